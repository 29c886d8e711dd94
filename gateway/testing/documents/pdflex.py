"""PDF syntax: the tokens and objects of PDF files and content streams (ISO 32000-1, 7.2-7.3)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import DocumentError

__all__ = ["Lexer", "Name", "Op", "Ref", "Stream"]

_DELIMS = b"()<>[]{}/%"
_WS = b" \t\r\n\f\x00"


class Name(str):
    """A PDF name (without the slash)."""


class Op(str):
    """A bare keyword: an operator in content streams, or true/false/null/R."""


@dataclass(frozen=True)
class Ref:
    number: int
    generation: int


@dataclass
class Stream:
    info: dict[str, Any]
    raw: bytes


class Lexer:
    """Tokens of PDF syntax from a byte string, starting at `pos`."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def _skip(self) -> None:
        data, n = self.data, len(self.data)
        while self.pos < n:
            char = data[self.pos]
            if char in _WS:
                self.pos += 1
            elif char == 0x25:  # % comment
                end = data.find(b"\n", self.pos)
                self.pos = n if end < 0 else end + 1
            else:
                return

    def token(self) -> Any:
        self._skip()
        data = self.data
        if self.pos >= len(data):
            raise DocumentError("pdf: unexpected end of data")
        char = data[self.pos : self.pos + 1]
        if data.startswith(b"<<", self.pos) or data.startswith(b">>", self.pos):
            self.pos += 2
            return Op(data[self.pos - 2 : self.pos].decode())
        if char in b"[]{}":
            self.pos += 1
            return Op(char.decode())
        if char == b"/":
            match = re.compile(rb"/([^\s()<>\[\]{}/%]*)").match(data, self.pos)
            assert match is not None
            self.pos = match.end()
            raw = re.sub(rb"#([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]), match.group(1))
            return Name(raw.decode("latin-1"))
        if char == b"(":
            return self._literal()
        if char == b"<":
            end = data.find(b">", self.pos)
            if end < 0:
                raise DocumentError("pdf: unterminated hex string")
            digits = re.sub(rb"\s", b"", data[self.pos + 1 : end])
            self.pos = end + 1
            try:
                return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
            except ValueError as exc:
                raise DocumentError("pdf: bad hex string") from exc
        match = re.compile(rb"[^\s()<>\[\]{}/%]+").match(data, self.pos)
        if match is None:
            raise DocumentError(f"pdf: unexpected byte at {self.pos}")
        self.pos = match.end()
        word = match.group(0)
        if re.fullmatch(rb"[+-]?\d+", word):
            return int(word)
        if re.fullmatch(rb"[+-]?(\d+\.\d*|\.\d+)", word):
            return float(word)
        return Op(word.decode("latin-1"))

    def _literal(self) -> bytes:
        data, out, depth = self.data, bytearray(), 0
        self.pos += 1
        escapes = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
        while self.pos < len(data):
            char = data[self.pos]
            self.pos += 1
            if char == 0x5C:  # backslash
                nxt = data[self.pos : self.pos + 1]
                octal = re.compile(rb"[0-7]{1,3}").match(data, self.pos)
                if octal:
                    out.append(int(octal.group(0), 8) & 0xFF)
                    self.pos = octal.end()
                elif nxt in (b"\r", b"\n"):
                    self.pos += 2 if data[self.pos : self.pos + 2] == b"\r\n" else 1
                else:
                    out += escapes.get(nxt[0], nxt) if nxt else b""
                    self.pos += 1
            elif char == 0x28:
                depth += 1
                out.append(char)
            elif char == 0x29:
                if depth == 0:
                    return bytes(out)
                depth -= 1
                out.append(char)
            else:
                out.append(char)
        raise DocumentError("pdf: unterminated string")

    def value(self, token: Any = None) -> Any:
        """One object; `N G R` becomes a Ref."""
        token = self.token() if token is None else token
        if token == "<<" and isinstance(token, Op):
            result: dict[str, Any] = {}
            while True:
                key = self.token()
                if isinstance(key, Op) and key == ">>":
                    return result
                if not isinstance(key, Name):
                    raise DocumentError("pdf: a dictionary key is not a name")
                result[key] = self.value()
        if token == "[" and isinstance(token, Op):
            items: list[Any] = []
            while True:
                item = self.token()
                if isinstance(item, Op) and item == "]":
                    return items
                items.append(self.value(item))
        if isinstance(token, int):
            saved = self.pos
            try:
                generation = self.token()
                keyword = self.token() if isinstance(generation, int) else None
            except DocumentError:
                keyword = None
            if isinstance(keyword, Op) and keyword == "R":
                return Ref(token, generation)
            self.pos = saved
        return token
