"""A small PDF reader: objects, the page tree, page text and AcroForm fields.

Enough for files written by our pdf module and simple files from elsewhere (uncompressed xref
tables or plain object scanning, FlateDecode streams); anything else is a DocumentError.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any

from .errors import DocumentError

__all__ = ["PdfDocument", "decode_text_string"]

_DELIMS = b"()<>[]{}/%"
_WS = b" \t\r\n\f\x00"
_OBJ = re.compile(rb"(?<![0-9])(\d+)\s+(\d+)\s+obj\b")


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


def decode_text_string(raw: bytes) -> str:
    """A PDF text string: UTF-16BE with a byte-order mark, else PDFDocEncoding (close to Latin-1)."""
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be", errors="replace")
    return raw.decode("latin-1")


class PdfDocument:
    """The objects of a PDF file, found by scanning for `N G obj` (later definitions win)."""

    def __init__(self, data: bytes) -> None:
        if not data.startswith(b"%PDF-"):
            raise DocumentError("not a pdf file: it does not start with %PDF-")
        if b"%%EOF" not in data[-1024:]:
            raise DocumentError("not a valid pdf file: it is truncated (no %%EOF at the end)")
        self.data = data
        self.objects: dict[int, Any] = {}
        for match in _OBJ.finditer(data):
            lexer = Lexer(data, match.end())
            try:
                value = lexer.value()
                following = lexer.token()
            except DocumentError:
                continue
            if isinstance(value, dict) and isinstance(following, Op) and following == "stream":
                value = Stream(value, self._stream_bytes(lexer.pos, value))
            self.objects[int(match.group(1))] = value
        trailer = data.rfind(b"trailer")
        root: Any = None
        if trailer >= 0:
            lexer = Lexer(data, trailer + len(b"trailer"))
            info = lexer.value()
            root = info.get("Root") if isinstance(info, dict) else None
        if root is None:
            root = next((Ref(n, 0) for n, o in self.objects.items() if _is_type(o, "Catalog")), None)
        self.catalog = self.resolve(root)
        if not isinstance(self.catalog, dict) or not _is_type(self.catalog, "Catalog"):
            raise DocumentError("not a valid pdf file: no document catalog")

    def _stream_bytes(self, pos: int, info: dict[str, Any]) -> bytes:
        data = self.data
        if data.startswith(b"\r\n", pos):
            pos += 2
        elif data.startswith(b"\n", pos) or data.startswith(b"\r", pos):
            pos += 1
        length = info.get("Length")
        if isinstance(length, Ref):
            length = self.objects.get(length.number) if length.number in self.objects else None
        if isinstance(length, int) and 0 <= length <= len(data) - pos:
            return data[pos : pos + length]
        end = data.find(b"endstream", pos)
        if end < 0:
            raise DocumentError("not a valid pdf file: a stream has no end")
        return data[pos:end].rstrip(b"\r\n")

    def resolve(self, value: Any, depth: int = 0) -> Any:
        while isinstance(value, Ref):
            depth += 1
            if depth > 32:
                raise DocumentError("pdf: reference loop")
            value = self.objects.get(value.number)
        return value

    def stream_data(self, stream: Stream) -> bytes:
        filters = self.resolve(stream.info.get("Filter"))
        names = filters if isinstance(filters, list) else [filters] if filters else []
        raw = stream.raw
        for name in names:
            if name != "FlateDecode":
                raise DocumentError(f"pdf: the {name} filter is not supported")
            try:
                raw = zlib.decompress(raw)
            except zlib.error as exc:
                raise DocumentError(f"not a valid pdf file: corrupt compressed stream ({exc})") from exc
        return raw

    def pages(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []

        def walk(node: Any, depth: int) -> None:
            node = self.resolve(node)
            if not isinstance(node, dict) or depth > 64:
                raise DocumentError("not a valid pdf file: broken page tree")
            if _is_type(node, "Pages"):
                for kid in self.resolve(node.get("Kids")) or []:
                    walk(kid, depth + 1)
            else:
                found.append(node)

        walk(self.catalog.get("Pages"), 0)
        return found

    def page_lines(self, page: dict[str, Any]) -> list[str]:
        contents = self.resolve(page.get("Contents"))
        streams = contents if isinstance(contents, list) else [contents] if contents is not None else []
        program = b"\n".join(
            self.stream_data(s) for s in (self.resolve(c) for c in streams) if isinstance(s, Stream)
        )
        return _show_text(program)

    def fields(self) -> dict[str, str]:
        """AcroForm text fields: full name -> value."""
        form = self.resolve(self.catalog.get("AcroForm"))
        found: dict[str, str] = {}
        if not isinstance(form, dict):
            return found
        for ref in self.resolve(form.get("Fields")) or []:
            field = self.resolve(ref)
            if isinstance(field, dict) and isinstance(field.get("T"), bytes):
                value = self.resolve(field.get("V"))
                found[decode_text_string(field["T"])] = (
                    decode_text_string(value) if isinstance(value, bytes) else ""
                )
        return found


def _is_type(value: Any, name: str) -> bool:
    return isinstance(value, dict) and value.get("Type") == name


def _show_text(program: bytes) -> list[str]:
    """Lines shown by a content stream: text operators, new lines on T*, ', " and vertical moves."""
    lexer, operands = Lexer(program), []
    lines: list[str] = []
    current: str | None = None
    while True:
        try:
            lexer._skip()
            if lexer.pos >= len(program):
                break
            token = lexer.value()
        except DocumentError as exc:
            raise DocumentError(f"not a valid pdf file: bad content stream ({exc})") from exc
        if not isinstance(token, Op) or token in ("[", "<<"):
            operands.append(token)
            continue
        moves = token in ("T*", "'", '"') or (
            token in ("Td", "TD") and len(operands) >= 2 and operands[-1] != 0
        )
        if moves and current is not None:
            lines.append(current)
            current = ""
        if token in ("Tj", "'", '"', "TJ") and operands:
            shown = operands[-1]
            pieces = shown if isinstance(shown, list) else [shown]
            text = "".join(p.decode("cp1252", errors="replace") for p in pieces if isinstance(p, bytes))
            current = (current or "") + text
        operands = []
    if current is not None:
        lines.append(current)
    return lines
