"""A small HTML tokenizer that reports tags with their offsets in the original text.

Why not `html.parser`: we never re-serialise, we only need to know where tags start and end, and
we must skip what HTML skips (comments, `<script>`/`<style>`/`<textarea>`/`<title>` contents, the
inside of quoted attribute values), so that markup-looking text in a script or a comment is never
mistaken for an attachment row. One compiled regular expression walks the document tag by tag
(following the HTML5 tokenizer's rules for tag names, attribute names and values), which is several
times faster than `html.parser` and works on bytes directly, so offsets are byte offsets and the
output can be spliced without decoding the page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Literal

__all__ = ["Token", "parse_attributes", "tokens"]

_WS = r"[\t\n\f\r ]"
# An attribute: HTML5 names run to whitespace, "/", ">" or "="; values are quoted or run to
# whitespace or ">". Atomic groups and possessive quantifiers keep a tag that never closes (EOF)
# from backtracking exponentially.
_NAME = r"[^\t\n\f\r />][^\t\n\f\r />=]*+"
_VALUE = r"\"[^\"]*\"|'[^']*'|[^\t\n\f\r >]*+"
_BODY = rf"(?:[\t\n\f\r /]++|(?>{_NAME}(?:{_WS}*+={_WS}*+(?:{_VALUE}))?))*+"
_RAW = "script|style|textarea|title|xmp|iframe|noembed|noframes|noscript"
_PATTERN = (
    # One literal "<" first, so the engine can skip text between tags at full speed.
    r"(?is)<(?:"
    r"!--(?:-?>|(?:[^-]++|-(?!-!?>))*+(?:--!?>|\Z))"  # comments, including the abrupt <!--> and <!--->
    rf"|(?P<raw>(?P<rawname>{_RAW})(?=[\t\n\f\r />]){_BODY}>)"  # raw-text element: skip its text
    rf"(?:[^<]++|<(?!/(?P=rawname)[\t\n\f\r />]))*+"
    rf"|(?P<start>[a-z][^\t\n\f\r />]*+){_BODY}>"
    rf"|/(?P<end>[a-z][^\t\n\f\r />]*+){_BODY}>"
    r"|(?:[!?]|/(?![a-z]))[^>]*+(?:>|\Z)"  # doctype, bogus comments, </ followed by a non-letter
    r")"
)
_ATTR = rf"({_NAME})(?:{_WS}*+={_WS}*+(\"[^\"]*\"|'[^']*'|[^\t\n\f\r >]*+))?"

_TOKEN_STR = re.compile(_PATTERN)
_TOKEN_BYTES = re.compile(_PATTERN.encode())
_ATTR_STR = re.compile(_ATTR)

Kind = Literal["start", "end"]


class Token:
    """A start or end tag: lower-cased name, its source text and where it is."""

    __slots__ = ("end", "kind", "name", "start", "text")

    def __init__(self, kind: Kind, name: str, text: bytes | str, start: int, end: int) -> None:
        self.kind = kind
        self.name = name
        self.text = text
        self.start = start
        self.end = end


def tokens(document: bytes | str) -> Iterator[Token]:
    """Start and end tags in document order; text, comments and raw-text contents are skipped."""
    if isinstance(document, bytes):
        for match in _TOKEN_BYTES.finditer(document):
            group = match.lastgroup
            if group == "start" or group == "end":
                name = match.group(group).decode("ascii", "replace").lower()
                yield Token(
                    "start" if group == "start" else "end", name, match.group(0), match.start(), match.end()
                )
            elif group == "raw":
                name = match.group("rawname").decode("ascii").lower()
                yield Token("start", name, b"<" + match.group("raw"), match.start(), match.end("raw"))
        return
    for text_match in _TOKEN_STR.finditer(document):
        group = text_match.lastgroup
        if group == "start" or group == "end":
            yield Token(
                "start" if group == "start" else "end",
                text_match.group(group).lower(),
                text_match.group(0),
                text_match.start(),
                text_match.end(),
            )
        elif group == "raw":
            name = text_match.group("rawname").lower()
            yield Token(
                "start", name, "<" + text_match.group("raw"), text_match.start(), text_match.end("raw")
            )


def parse_attributes(tag: bytes | str) -> dict[str, str]:
    """A start tag's attributes, names lower-cased, values decoded; the first of duplicates wins."""
    text = tag.decode("utf-8", "replace") if isinstance(tag, bytes) else tag
    # Skip "<name"; what is left is the attribute list up to ">".
    body_start = 1
    while body_start < len(text) and text[body_start] not in "\t\n\f\r />":
        body_start += 1
    found: dict[str, str] = {}
    for match in _ATTR_STR.finditer(text, body_start, len(text) - 1):
        name = match.group(1).lower()
        if name in found:
            continue
        raw = match.group(2)
        if raw is None:
            value = ""
        elif raw[:1] in ("'", '"'):
            value = raw[1:-1]
        else:
            value = raw
        found[name] = html.unescape(value) if "&" in value else value
    return found
