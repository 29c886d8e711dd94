"""ToUnicode CMaps: how PDFs with embedded (subset, Identity-H) fonts map glyph codes to text."""

from __future__ import annotations

from collections.abc import Callable

from .errors import DocumentError
from .pdflex import Lexer, Op

__all__ = ["Decoder", "cmap_decoder", "latin_decoder"]

Decoder = Callable[[bytes], str]
_MAX_RANGE = 65536


def latin_decoder(raw: bytes) -> str:
    """Simple fonts in WinAnsiEncoding (what our writer uses, and the usual default)."""
    return raw.decode("cp1252", errors="replace")


def _utf16(raw: bytes) -> str:
    return raw.decode("utf-16-be", errors="replace")


def _parse(program: bytes) -> dict[bytes, str]:
    lexer = Lexer(program)
    mapping: dict[bytes, str] = {}
    operands: list[object] = []
    mode = ""
    while True:
        lexer._skip()
        if lexer.pos >= len(program):
            return mapping
        token = lexer.value()
        if isinstance(token, Op) and token in ("beginbfchar", "beginbfrange", "endbfchar", "endbfrange"):
            mode = token if token.startswith("begin") else ""
            operands = []
            continue
        if mode == "beginbfchar":
            operands.append(token)
            if len(operands) == 2:
                source, target = operands
                if isinstance(source, bytes) and isinstance(target, bytes):
                    mapping[source] = _utf16(target)
                operands = []
        elif mode == "beginbfrange":
            operands.append(token)
            if len(operands) == 3:
                _add_range(mapping, *operands)
                operands = []


def _add_range(mapping: dict[bytes, str], low: object, high: object, target: object) -> None:
    if not isinstance(low, bytes) or not isinstance(high, bytes) or not low:
        return
    first, last = int.from_bytes(low, "big"), int.from_bytes(high, "big")
    for offset in range(min(last - first + 1, _MAX_RANGE)):
        key = (first + offset).to_bytes(len(low), "big")
        if isinstance(target, list):
            if offset < len(target) and isinstance(target[offset], bytes):
                mapping[key] = _utf16(target[offset])
        elif isinstance(target, bytes) and len(target) >= 2:
            unit = int.from_bytes(target[-2:], "big") + offset
            mapping[key] = _utf16(target[:-2] + (unit & 0xFFFF).to_bytes(2, "big"))


def cmap_decoder(program: bytes) -> Decoder:
    """A decoder that reads the longest code the CMap knows at each position."""
    try:
        mapping = _parse(program)
    except DocumentError:
        return latin_decoder
    if not mapping:
        return latin_decoder
    lengths = sorted({len(key) for key in mapping}, reverse=True)

    def decode(raw: bytes) -> str:
        out: list[str] = []
        at = 0
        while at < len(raw):
            for size in lengths:
                text = mapping.get(raw[at : at + size])
                if text is not None:
                    out.append(text)
                    at += size
                    break
            else:
                at += lengths[-1]  # a code without a mapping shows nothing we could name
        return "".join(out)

    return decode
