"""The structures a Word 97 document needs besides its text ([MS-DOC] 2.4, 2.7, 2.8, 2.9).

Table stream: style sheet (STSH), font table (SttbfFfn), section table (PlcfSed), paragraph and
character bin tables (PlcBtePapx/PlcBteChpx), document properties (Dop97) and the piece table
(Clx). The formatted disk pages (FKPs) the bin tables point at live in the WordDocument stream.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["WordTables", "word_tables"]

PAGE = 512
# Indexes of (fc, lcb) pairs in FibRgFcLcb97.
FC_STSHF, FC_PLCFSED, FC_PLCFBTECHPX, FC_PLCFBTEPAPX, FC_STTBFFFN, FC_DOP, FC_CLX = 1, 6, 12, 13, 15, 31, 33
_NO_FC = 0xFFFFFFFF
_PARAS_PER_FKP = 29  # 4 * (n + 1) + 13 * n bytes must leave room for the shared PAPX at byte 506


@dataclass(frozen=True)
class WordTables:
    table: bytes  # the 1Table stream
    pointers: dict[int, tuple[int, int]]  # FibRgFcLcb97 index -> (fc, lcb)
    fkps: bytes  # to be placed in WordDocument at fkp_offset
    fkp_offset: int


def _xstz(name: str) -> bytes:
    encoded = name.encode("utf-16-le")
    return struct.pack("<H", len(encoded) // 2) + encoded + b"\x00\x00"


def _std(sti: int, stk: int, istd_next: int, name: str, upxs: list[bytes]) -> bytes:
    """One style: StdfBase (10 bytes, cbSTDBaseInFile 0x000A), its name and its property exceptions."""
    body = _xstz(name)
    for upx in upxs:
        body += struct.pack("<H", len(upx)) + upx + (b"\x00" if len(upx) % 2 else b"")
    size = 10 + len(body)
    base = struct.pack("<HHHHH", sti & 0x0FFF, stk | (0x0FFF << 4), len(upxs) | (istd_next << 4), size, 0)
    return struct.pack("<H", size) + base + body


def _stylesheet() -> bytes:
    """Fixed styles 0-14: Normal (paragraph) and Default Paragraph Font (character, istd 10)."""
    styles = [b"\x00\x00"] * 15
    styles[0] = _std(0, 1, 0, "Normal", [struct.pack("<H", 0), b""])
    styles[10] = _std(65, 2, 10, "Default Paragraph Font", [b""])
    stshif = struct.pack("<HHHHHHHHH", 15, 0x000A, 1, 0x005B, 0x000F, 0, 0, 0, 0)
    stshi = stshif + struct.pack("<H", 0)  # ftcBi
    return struct.pack("<H", len(stshi)) + stshi + b"".join(styles)


def _ffn(name: str, family: int, charset: int = 0) -> bytes:
    """A font: pitch variable, TrueType, the given family; no PANOSE or signature."""
    body = struct.pack("<BhBB", 0x02 | 0x04 | (family << 4), 400, charset, 0) + bytes(10 + 24)
    body += name.encode("utf-16-le") + b"\x00\x00"
    return bytes([len(body)]) + body


def _fonts() -> bytes:
    fonts = [_ffn("Times New Roman", 1), _ffn("Symbol", 5, 2), _ffn("Arial", 2)]
    return struct.pack("<HH", len(fonts), 0) + b"".join(fonts)


def _dop() -> bytes:
    dop = bytearray(500)
    struct.pack_into("<H", dop, 10, 720)  # dxaTab: default tab stops every half inch
    return bytes(dop)


def _chpx_fkp(start: int, end: int) -> bytes:
    """One run with the style's character properties (rgb = 0: no CHPX)."""
    page = bytearray(PAGE)
    struct.pack_into("<II", page, 0, start, end)
    page[8] = 0
    page[511] = 1
    return bytes(page)


def _papx_fkp(bounds: list[int]) -> bytes:
    """One entry per paragraph, all pointing at one PAPX: style 0 (Normal), no sprms."""
    count = len(bounds) - 1
    page = bytearray(PAGE)
    struct.pack_into(f"<{count + 1}I", page, 0, *bounds)
    at = 4 * (count + 1)
    for index in range(count):
        page[at + 13 * index] = 506 // 2  # bOffset (in words); the 12-byte PHE stays zero
    page[506:510] = b"\x00\x01\x00\x00"  # cb = 0, cb' = 1: a 2-byte GrpPrlAndIstd holding istd 0
    page[511] = count
    return bytes(page)


def _clx(ccp: int, text_fc: int) -> bytes:
    """One piece covering CPs [0, ccp), stored as UTF-16LE at text_fc (fCompressed = 0)."""
    plc = struct.pack("<II", 0, ccp) + struct.pack("<HIH", 0, text_fc, 0)
    return b"\x02" + struct.pack("<I", len(plc)) + plc


def word_tables(ccp: int, text_fc: int, paragraph_ends: list[int]) -> WordTables:
    """Everything but the FIB and the text, for a text of `ccp` UTF-16 characters at `text_fc`.

    `paragraph_ends` are the character counts after each paragraph mark (the last one is ccp).
    """
    text_end = text_fc + 2 * ccp
    fkp_offset = -(-text_end // PAGE) * PAGE
    fcs = [text_fc] + [text_fc + 2 * end for end in paragraph_ends]
    fkps = bytearray(_chpx_fkp(text_fc, text_end))
    chpx_pages = [fkp_offset // PAGE]
    papx_pages: list[int] = []
    papx_bounds: list[int] = []
    for first in range(0, len(fcs) - 1, _PARAS_PER_FKP):
        bounds = fcs[first : first + _PARAS_PER_FKP + 1]
        papx_pages.append((fkp_offset + len(fkps)) // PAGE)
        papx_bounds.append(bounds[0])
        fkps += _papx_fkp(bounds)
    papx_bounds.append(fcs[-1])

    table = bytearray()
    pointers: dict[int, tuple[int, int]] = {}

    def put(index: int, blob: bytes) -> None:
        pointers[index] = (len(table), len(blob))
        table.extend(blob)

    put(FC_STSHF, _stylesheet())
    put(FC_PLCFSED, struct.pack("<II", 0, ccp) + struct.pack("<hIHI", 0, _NO_FC, 0, _NO_FC))
    put(FC_PLCFBTECHPX, struct.pack("<III", text_fc, text_end, *chpx_pages))
    papx = struct.pack(f"<{len(papx_bounds)}I{len(papx_pages)}I", *papx_bounds, *papx_pages)
    put(FC_PLCFBTEPAPX, papx)
    put(FC_STTBFFFN, _fonts())
    put(FC_DOP, _dop())
    put(FC_CLX, _clx(ccp, text_fc))
    return WordTables(bytes(table), pointers, bytes(fkps), fkp_offset)
