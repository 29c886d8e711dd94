"""Reading and editing the XML parts of zip packages without losing what we do not understand.

Edits insert new markup as text before a closing tag instead of re-serialising the tree, so
namespace prefixes and `mc:Ignorable` declarations of files made elsewhere survive untouched.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .errors import DocumentError

__all__ = ["insert_before_last", "parse_xml", "part"]


def part(parts: dict[str, bytes], name: str, kind: str) -> bytes:
    """A required part of a package."""
    try:
        return parts[name]
    except KeyError:
        raise DocumentError(f"not a valid {kind}: the part {name!r} is missing") from None


def parse_xml(data: bytes, what: str) -> ET.Element:
    """Parse one XML part; a DocumentError when it is not well-formed."""
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data[:4096]:
        raise DocumentError(f"{what}: DTDs are not allowed in document parts")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise DocumentError(f"{what} is not well-formed XML: {exc}") from exc


def insert_before_last(xml: bytes, closing: str, markup: str, what: str) -> bytes:
    """Insert `markup` before the last `</prefix:closing>` (any prefix), or expand `<prefix:closing/>`."""
    text = xml.decode("utf-8")
    local = closing.split(":")[-1]
    ends = list(re.finditer(rf"</(\w+:)?{re.escape(local)}\s*>", text))
    if ends:
        at = ends[-1].start()
        return (text[:at] + markup + text[at:]).encode("utf-8")
    empty = list(re.finditer(rf"<((\w+:)?{re.escape(local)})(\s[^>]*)?/>", text))
    if empty:
        match = empty[-1]
        opened = f"<{match.group(1)}{match.group(3) or ''}>{markup}</{match.group(1)}>"
        return (text[: match.start()] + opened + text[match.end() :]).encode("utf-8")
    raise DocumentError(f"{what}: no <{closing}> element to append to")
