"""PDF 1.7 writer: Helvetica text pages and, for forms, an AcroForm with text fields.

Text is drawn with the standard Helvetica font in WinAnsiEncoding (no embedded font), so any
character outside Windows-1252 is written as "?". The gateway's blank PDF form comes from here;
the simulators read and append with gateway/testing/documents/pdf.py.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Mapping

from gateway.documents.textutil import split_lines

__all__ = ["make_pdf"]

_PAGE_W, _PAGE_H = 595, 842
_LINES_PER_PAGE = 48
_LEADING = 14
_TOP = 780
_FIELD_RECT = (72, 40, 372, 62)


def _literal(text: str) -> bytes:
    """Text drawn with the WinAnsi-encoded Helvetica: Windows-1252, "?" for anything else."""
    return _literal_bytes(text.encode("cp1252", errors="replace"))


def _text_string(text: str) -> bytes:
    """A text string for names and values: Latin-1 when it fits, else UTF-16BE with a BOM."""
    try:
        return _literal_bytes(text.encode("latin-1"))
    except UnicodeEncodeError:
        return b"<" + (b"\xfe\xff" + text.encode("utf-16-be")).hex().upper().encode() + b">"


def _literal_bytes(raw: bytes) -> bytes:
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _stream(info: bytes, content: bytes) -> bytes:
    packed = zlib.compress(content, 9)
    return (
        b"<< "
        + info
        + b" /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
        + packed
        + b"\nendstream"
    )


def _page_program(lines: list[str]) -> bytes:
    body = [b"BT", b"/F1 11 Tf", b"%d TL" % _LEADING, b"72 %d Td" % _TOP]
    for index, line in enumerate(lines):
        if index:
            body.append(b"T*")
        body.append(_literal(line.replace("\t", "    ")) + b" Tj")
    body.append(b"ET")
    return b"\n".join(body) + b"\n"


def make_pdf(text: str, fields: Mapping[str, str] | None = None) -> bytes:
    """Pages of text; with `fields` (even none), an AcroForm whose text fields sit on the first page's foot."""
    lines = split_lines(text)
    chunks = [lines[i : i + _LINES_PER_PAGE] for i in range(0, len(lines), _LINES_PER_PAGE)] or [[""]]
    objects: list[bytes] = []  # objects[i] is object number i + 1

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")
    pages = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    page_numbers: list[int] = []
    for chunk in chunks:
        contents = add(_stream(b"", _page_program(chunk)))
        page_numbers.append(add(b""))
        objects[page_numbers[-1] - 1] = (
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 %d 0 R >> >>"
            b" /Contents %d 0 R" % (pages, _PAGE_W, _PAGE_H, font, contents)
        )
    field_numbers = [
        _add_field(add, name, value, page_numbers[0], font) for name, value in (fields or {}).items()
    ]
    if field_numbers:
        annots = b" ".join(b"%d 0 R" % n for n in field_numbers)
        objects[page_numbers[0] - 1] += b" /Annots [" + annots + b"]"
    for number in page_numbers:
        objects[number - 1] += b" >>"
    kids = b" ".join(b"%d 0 R" % n for n in page_numbers)
    objects[pages - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_numbers))
    form = b""
    if fields is not None:  # a form, even one without fields yet (a blank PDF form)
        form_number = add(
            b"<< /Fields [%s] /NeedAppearances true /DA (/Helv 0 Tf 0 g)"
            b" /DR << /Font << /Helv %d 0 R >> >> >>"
            % (b" ".join(b"%d 0 R" % n for n in field_numbers), font)
        )
        form = b" /AcroForm %d 0 R" % form_number
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R%s >>" % (pages, form)
    info = add(b"<< /Producer (onlyoffice-gateway) /CreationDate (D:20240101000000Z) >>")
    return _serialise(objects, catalog, info)


def _add_field(add: Callable[[bytes], int], name: str, value: str, page: int, font: int) -> int:
    """A text field merged with its widget annotation, with an appearance stream for viewers."""
    x1, y1, x2, y2 = _FIELD_RECT
    look = b"/Tx BMC q BT /Helv 11 Tf 0 g 2 6 Td " + _literal(value) + b" Tj ET Q EMC\n"
    appearance = add(
        _stream(b"/Type /XObject /Subtype /Form /BBox [0 0 %d %d] /Resources << /Font << /Helv %d 0 R >> >>"
                % (x2 - x1, y2 - y1, font), look)
    )  # fmt: skip
    return add(
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /F 4 /T " + _text_string(name)
        + b" /V " + _text_string(value)
        + b" /Rect [%d %d %d %d] /P %d 0 R /DA (/Helv 11 Tf 0 g) /MK << /BC [0 0 0] /BG [1 1 1] >>"
        b" /AP << /N %d 0 R >> >>" % (x1, y1, x2, y2, page, appearance)
    )  # fmt: skip


def _serialise(objects: list[bytes], catalog: int, info: int) -> bytes:
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    digest = hashlib.md5(bytes(out), usedforsecurity=False).hexdigest().upper().encode()
    out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n" % (
        len(objects) + 1, catalog, info, digest, digest,
    )  # fmt: skip
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
