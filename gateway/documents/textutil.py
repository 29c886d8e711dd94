"""Text helpers shared by the format writers: line splitting and XML-safe text."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

__all__ = ["split_lines", "xml_text"]

# Characters XML 1.0 cannot carry at all; writers drop them rather than produce an unreadable file.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def split_lines(text: str) -> list[str]:
    """Split on any newline convention; an empty text is one empty paragraph."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def xml_text(text: str) -> str:
    """Escape text for element content or a double-quoted attribute."""
    return escape(_XML_INVALID.sub("", text), {'"': "&quot;"})
