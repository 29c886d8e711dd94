"""PowerPoint 97-2003 presentations ([MS-PPT]) in an OLE2 compound file: one slide of text.

The PowerPoint Document stream holds the DocumentContainer (with the drawing group and the slide
list whose TextCharsAtom carries the text), a main master, one slide whose body placeholder refers
to that text (OutlineTextRefAtom, as PowerPoint stores placeholder text), the persist directory
and the UserEditAtom; the Current User stream points at that UserEditAtom.
"""

from __future__ import annotations

import struct

from gateway.documents.textutil import split_lines

from .cfb import read_cfb, write_cfb
from .errors import DocumentError

__all__ = ["make_ppt", "ppt_text"]

DOCUMENT, DOCUMENT_ATOM, END_DOCUMENT, SLIDE, SLIDE_ATOM, MAIN_MASTER = (
    0x03E8,
    0x03E9,
    0x03EA,
    0x03EE,
    0x03EF,
    0x03F8,
)
SLIDE_PERSIST, ENVIRONMENT, PPDRAWING_GROUP, PPDRAWING, NOTES, HANDOUT = (
    0x03F3,
    0x03F2,
    0x040B,
    0x040C,
    0x03F0,
    0x0FC9,
)
FONT_COLLECTION, FONT_ENTITY, COLOR_SCHEME = 0x07D5, 0x0FB7, 0x07F0
TEXT_HEADER, TEXT_CHARS, TEXT_BYTES, STYLE_TEXT_PROP, OUTLINE_TEXT_REF = (
    0x0F9F,
    0x0FA0,
    0x0FA8,
    0x0FA1,
    0x0F9E,
)
SLIDE_LIST, USER_EDIT, CURRENT_USER, PERSIST_DIRECTORY, PLACEHOLDER = 0x0FF0, 0x0FF5, 0x0FF6, 0x1772, 0x0BC3
HEADER_TOKEN = 0xE391C05F
_MASTER_ID, _SLIDE_ID = 0x80000000, 0x100
_CONTROL = {chr(c) for c in range(32)} - {"\t"}


def _atom(kind: int, data: bytes, version: int = 0, instance: int = 0) -> bytes:
    return struct.pack("<HHI", version | (instance << 4), kind, len(data)) + data


def _container(kind: int, *children: bytes, instance: int = 0) -> bytes:
    return _atom(kind, b"".join(children), 0xF, instance)


def _drawing_group() -> bytes:
    """OfficeArtDggContainer: drawing 1 (master) uses shape ids 0x400.., drawing 2 (slide) 0x800.."""
    fdgg = struct.pack("<IIII", 0x0802, 3, 3, 2) + struct.pack("<IIII", 1, 0x0401, 2, 0x0802)
    return _container(PPDRAWING_GROUP, _container(0xF000, _atom(0xF006, fdgg)))


def _group_shape(spid: int) -> bytes:
    fspgr = _atom(0xF009, bytes(16), 1)
    fsp = _atom(0xF00A, struct.pack("<II", spid, 0x0005), 2, 0)  # fGroup | fPatriarch
    return _container(0xF004, fspgr, fsp)


def _drawing(drawing_id: int, first_spid: int, shapes: list[bytes]) -> bytes:
    fdg = _atom(0xF008, struct.pack("<II", len(shapes) + 1, first_spid + len(shapes)), 0, drawing_id)
    group = _container(0xF003, _group_shape(first_spid), *shapes)
    return _container(PPDRAWING, _container(0xF002, fdg, group))


def _body_placeholder(spid: int) -> bytes:
    """A rectangle that shows the slide list's first text (OutlineTextRefAtom index 0) as the body."""
    fsp = _atom(0xF00A, struct.pack("<II", spid, 0x0A00), 2, 1)  # fHaveAnchor | fHaveSpt; a rectangle
    anchor = _atom(0xF010, struct.pack("<hhhh", 1000, 576, 5184, 3900))  # top, left, right, bottom
    placeholder = _container(0xF011, _atom(PLACEHOLDER, struct.pack("<IBBH", 1, 0x0E, 0, 0)))  # PT_Body
    textbox = _container(0xF00D, _atom(OUTLINE_TEXT_REF, struct.pack("<i", 0)))
    return _container(0xF004, fsp, _atom(0xF00B, b"", 3, 0), anchor, placeholder, textbox)


def _slide_atom(master: int, flags: int) -> bytes:
    return _atom(SLIDE_ATOM, struct.pack("<I8sIIHH", 0x10, bytes(8), master, 0, flags, 0), 2)


def _colors() -> bytes:
    rgb = [0xFFFFFF, 0x000000, 0x808080, 0x000000, 0xBBE0E3, 0x333399, 0x009999, 0x99CC00]
    return _atom(COLOR_SCHEME, struct.pack("<8I", *rgb), 0, 1)


def _font() -> bytes:
    face = "Arial".encode("utf-16-le").ljust(64, b"\x00")
    return _container(
        ENVIRONMENT, _container(FONT_COLLECTION, _atom(FONT_ENTITY, face + bytes([0, 0, 4, 0x22])))
    )


def make_ppt(text: str) -> bytes:
    """A PowerPoint 97 presentation with one slide whose body placeholder holds the text."""
    body = "\r".join("".join(c for c in line if c not in _CONTROL) for line in split_lines(text))
    chars = body.encode("utf-16-le")
    count = len(chars) // 2 + 1
    style = struct.pack("<IHI", count, 0, 0) + struct.pack("<II", count, 0)  # one paragraph run, one char run
    # LibreOffice reads the first slide list as the masters' and needs a master there (slideId >= 0x80000000).
    master_list = _container(
        SLIDE_LIST, _atom(SLIDE_PERSIST, struct.pack("<IIiII", 2, 0, 0, _MASTER_ID, 0)), instance=1
    )
    slide_list = _container(
        SLIDE_LIST,
        _atom(SLIDE_PERSIST, struct.pack("<IIiII", 3, 0, 1, _SLIDE_ID, 0)),
        _atom(TEXT_HEADER, struct.pack("<I", 1)),  # Tx_TYPE_BODY
        _atom(TEXT_CHARS, chars),
        _atom(STYLE_TEXT_PROP, style),
    )
    document_atom = struct.pack("<iiiiiiIIHHBBBB", 5760, 4320, 4320, 5760, 1, 2, 0, 0, 1, 0, 0, 0, 0, 1)
    document = _container(
        DOCUMENT,
        _atom(DOCUMENT_ATOM, document_atom, 1),
        _font(),
        _drawing_group(),
        master_list,
        slide_list,
        _atom(END_DOCUMENT, b""),
    )
    master = _container(MAIN_MASTER, _slide_atom(0, 0), _drawing(1, 0x400, []), _colors())
    slide = _container(SLIDE, _slide_atom(_MASTER_ID, 0x07), _drawing(2, 0x800, [_body_placeholder(0x801)]))
    offsets = [0, len(document), len(document) + len(master)]
    stream = document + master + slide
    persist_at = len(stream)
    stream += _atom(PERSIST_DIRECTORY, struct.pack("<I3I", 1 | (3 << 20), *offsets))
    edit_at = len(stream)
    stream += _atom(USER_EDIT, struct.pack("<IHBBIIIIHH", _SLIDE_ID, 0, 0, 3, 0, persist_at, 1, 4, 1, 0))
    user = b"gateway"
    fixed = struct.pack("<IIIHHBBH", 0x14, HEADER_TOKEN, edit_at, len(user), 0x03F4, 3, 0, 0)
    current = _atom(CURRENT_USER, fixed + user + struct.pack("<I", 8))  # relVersion 8
    return write_cfb({"PowerPoint Document": stream.ljust(4096, b"\x00"), "Current User": current})


def _records(data: bytes, start: int, end: int, depth: int = 0) -> list[tuple[int, int, int, int]]:
    """(type, instance, body start, body end) of each record in [start, end)."""
    if depth > 16:
        raise DocumentError("not a valid ppt file: records nest too deeply")
    out = []
    at = start
    while at + 8 <= end:
        ver_inst, kind, size = struct.unpack_from("<HHI", data, at)
        if at + 8 + size > end:
            raise DocumentError("not a valid ppt file: a record runs past its container")
        out.append((kind, ver_inst, at + 8, at + 8 + size))
        at += 8 + size
    return out


_SKIP = {MAIN_MASTER, NOTES, HANDOUT, ENVIRONMENT, PPDRAWING_GROUP}


def _collect(data: bytes, start: int, end: int, out: list[str], depth: int) -> None:
    for kind, ver_inst, body, stop in _records(data, start, end, depth):
        if kind in _SKIP:
            continue
        if ver_inst & 0x0F == 0x0F:
            _collect(data, body, stop, out, depth + 1)
        elif kind == TEXT_CHARS:
            out.append(data[body:stop].decode("utf-16-le", errors="replace"))
        elif kind == TEXT_BYTES:
            out.append(data[body:stop].decode("latin-1"))


def ppt_text(data: bytes) -> str:
    """The text of the slides (slide list and slide text boxes), paragraphs as lines."""
    streams = read_cfb(data)
    user = streams.get("Current User")
    stream = streams.get("PowerPoint Document")
    if user is None or stream is None:
        raise DocumentError("not a ppt file: the Current User or PowerPoint Document stream is missing")
    if len(user) < 20 or struct.unpack_from("<H", user, 2)[0] != CURRENT_USER:
        raise DocumentError("not a valid ppt file: a broken Current User stream")
    if struct.unpack_from("<I", user, 12)[0] != HEADER_TOKEN:
        raise DocumentError("ppt: the presentation is encrypted or not a PowerPoint 97 file")
    edit_at = struct.unpack_from("<I", user, 16)[0]
    if edit_at + 8 > len(stream) or struct.unpack_from("<H", stream, edit_at + 2)[0] != USER_EDIT:
        raise DocumentError("not a valid ppt file: the Current User stream does not point at a UserEditAtom")
    out: list[str] = []
    _collect(stream, 0, len(stream), out, 0)  # the zero padding reads as empty records
    return "\n".join(piece.replace("\r", "\n").replace("\x0b", "\n") for piece in out)
