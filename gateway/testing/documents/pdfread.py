"""A small PDF reader: objects, the page tree, page text and AcroForm fields.

Enough for files written by our pdf module and simple files from elsewhere (uncompressed xref
tables or plain object scanning, FlateDecode streams); anything else is a DocumentError.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from .errors import DocumentError
from .pdfcmap import Decoder, cmap_decoder, latin_decoder
from .pdflex import Lexer, Op, Ref, Stream

__all__ = ["PdfDocument", "decode_text_string"]

_OBJ = re.compile(rb"(?<![0-9])(\d+)\s+(\d+)\s+obj\b")


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
        self._unpack_object_streams()
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

    def _unpack_object_streams(self) -> None:
        """PDF 1.5 files may keep objects inside compressed object streams (/Type /ObjStm)."""
        for holder in list(self.objects.values()):
            if not isinstance(holder, Stream) or holder.info.get("Type") != "ObjStm":
                continue
            count, first = holder.info.get("N"), holder.info.get("First")
            if not isinstance(count, int) or not isinstance(first, int):
                continue
            try:
                content = self.stream_data(holder)
                lexer = Lexer(content)
                header = [lexer.token() for _ in range(2 * count)]
                for number, offset in zip(header[::2], header[1::2], strict=True):
                    if isinstance(number, int) and isinstance(offset, int) and number not in self.objects:
                        self.objects[number] = Lexer(content, first + offset).value()
            except DocumentError:
                continue

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
        return _show_text(program, self._decoders(page))

    def _decoders(self, page: dict[str, Any]) -> dict[str, Decoder]:
        """Font resource name -> how its codes become text (a ToUnicode CMap when the font has one)."""
        node: Any = page
        resources: Any = None
        for _ in range(64):  # Resources may be inherited from the page tree
            resources = self.resolve(node.get("Resources"))
            node = self.resolve(node.get("Parent"))
            if isinstance(resources, dict) or not isinstance(node, dict):
                break
        fonts = self.resolve(resources.get("Font")) if isinstance(resources, dict) else None
        decoders: dict[str, Decoder] = {}
        for name, ref in (fonts or {}).items():
            font = self.resolve(ref)
            cmap = self.resolve(font.get("ToUnicode")) if isinstance(font, dict) else None
            decoders[name] = (
                cmap_decoder(self.stream_data(cmap)) if isinstance(cmap, Stream) else latin_decoder
            )
        return decoders

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


def _show_text(program: bytes, decoders: dict[str, Decoder]) -> list[str]:
    """Lines shown by a content stream: text operators, new lines on T*, ', " and vertical moves."""
    lexer, operands = Lexer(program), []
    lines: list[str] = []
    current: str | None = None
    decode: Decoder = latin_decoder
    line_y: float | None = None
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
        if token == "Tf" and len(operands) >= 2 and isinstance(operands[-2], str):
            decode = decoders.get(operands[-2], latin_decoder)
        moves = token in ("T*", "'", '"') or (
            token in ("Td", "TD") and len(operands) >= 2 and operands[-1] != 0
        )
        if token == "Tm" and len(operands) >= 6 and isinstance(operands[-1], int | float):
            moves = line_y is not None and operands[-1] != line_y
            line_y = operands[-1]
        if moves and current is not None:
            lines.append(current)
            current = ""
        if token in ("Tj", "'", '"', "TJ") and operands:
            shown = operands[-1]
            pieces = shown if isinstance(shown, list) else [shown]
            current = (current or "") + "".join(decode(p) for p in pieces if isinstance(p, bytes))
        operands = []
    if current is not None:
        lines.append(current)
    return lines
