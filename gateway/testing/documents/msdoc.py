"""Word 97-2003 binary documents ([MS-DOC]) inside an OLE2 compound file.

The WordDocument stream holds the FIB and the text (UTF-16LE, one piece); the 1Table stream holds
the piece table (CLX) and the other structures the FIB points at. The reader follows the piece
table, so it also reads documents with several or 8-bit ("compressed") pieces.
"""

from __future__ import annotations

import struct

from gateway.documents.textutil import split_lines

from .cfb import read_cfb, write_cfb
from .errors import DocumentError
from .msdoc_tables import word_tables

__all__ = ["doc_text", "make_doc"]

W_IDENT = 0xA5EC
NFIB_97 = 0x00C1
_FIB_SIZE = 0x384  # FibBase + FibRgW97 + FibRgLw97 + FibRgFcLcb97 + cswNew
_TEXT_AT = 0x400
_MIN_STREAM = 4096
_CCP_TEXT = 0x4C
_RG_FC_LCB = 0x9A
_FC_CLX_INDEX = 33
_CONTROL = {chr(c) for c in range(32)} - {"\t"}


def _clean(line: str) -> str:
    """Word gives control characters meanings (cell marks, fields); a typed text has none of them."""
    return "".join(char for char in line if char not in _CONTROL)


def make_doc(text: str) -> bytes:
    """A Word 97 document: one paragraph per line."""
    paragraphs = [_clean(line) + "\r" for line in split_lines(text)]
    ends: list[int] = []
    for paragraph in paragraphs:
        ends.append((ends[-1] if ends else 0) + len(paragraph.encode("utf-16-le")) // 2)
    encoded = "".join(paragraphs).encode("utf-16-le")
    ccp = len(encoded) // 2
    tables = word_tables(ccp, _TEXT_AT, ends)
    word = bytearray(_TEXT_AT) + encoded
    word += bytes(tables.fkp_offset - len(word)) + tables.fkps
    # Word's own files never keep WordDocument in the mini stream, and antiword cannot read it there.
    word = word.ljust(_MIN_STREAM, b"\x00")
    word[:_FIB_SIZE] = _fib(ccp, len(word), tables.pointers)
    # antiword takes a stream starting at (mini) sector 0 for a missing one: keep both out of the mini stream.
    return write_cfb({"WordDocument": bytes(word), "1Table": tables.table.ljust(_MIN_STREAM, b"\x00")})


def _fib(ccp: int, size: int, pointers: dict[int, tuple[int, int]]) -> bytes:
    # fWhichTblStm (bit 9): the table stream is 1Table; fExtChar (bit 12): text may be Unicode.
    flags = (1 << 9) | (1 << 12)
    base = struct.pack("<HHHHHHHIBBHHII", W_IDENT, NFIB_97, 0, 0x0409, 0, flags, 0x00BF, 0, 0, 0, 0, 0,
                       _TEXT_AT, _TEXT_AT + ccp * 2)  # fmt: skip
    rg_w = struct.pack("<H14H", 14, *([0] * 13), 0x0409)
    rg_lw = [0] * 22
    rg_lw[0] = size  # cbMac
    rg_lw[3] = ccp  # ccpText
    fc_lcb = [0] * (93 * 2)
    for index, (fc, lcb) in pointers.items():
        fc_lcb[index * 2] = fc
        fc_lcb[index * 2 + 1] = lcb
    fib = (
        base
        + rg_w
        + struct.pack("<H22I", 22, *rg_lw)
        + struct.pack("<H186I", 93, *fc_lcb)
        + struct.pack("<H", 0)
    )
    assert len(fib) == _FIB_SIZE
    return fib


def _clx_pieces(table: bytes, fc_clx: int, lcb_clx: int) -> list[tuple[int, int, int, bool]]:
    """(cp start, cp end, byte offset, compressed) of each piece of the piece table."""
    if lcb_clx <= 0 or fc_clx + lcb_clx > len(table):
        raise DocumentError("not a valid doc file: the piece table lies outside the table stream")
    clx = table[fc_clx : fc_clx + lcb_clx]
    at = 0
    while at < len(clx) and clx[at] == 0x01:  # Prc: property modifiers, skipped
        (size,) = struct.unpack_from("<h", clx, at + 1)
        at += 3 + max(size, 0)
    if at + 5 > len(clx) or clx[at] != 0x02:
        raise DocumentError("not a valid doc file: no Pcdt in the piece table")
    (lcb,) = struct.unpack_from("<I", clx, at + 1)
    plc = clx[at + 5 : at + 5 + lcb]
    if len(plc) < lcb or (lcb - 4) % 12:
        raise DocumentError("not a valid doc file: a truncated piece table")
    count = (lcb - 4) // 12
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    pieces = []
    for index in range(count):
        _, fc, _ = struct.unpack_from("<HIH", plc, (count + 1) * 4 + index * 8)
        compressed = bool(fc & 0x40000000)
        offset = (fc & 0x3FFFFFFF) // 2 if compressed else fc & 0x3FFFFFFF
        pieces.append((cps[index], cps[index + 1], offset, compressed))
    return pieces


def doc_text(data: bytes) -> str:
    """The main document's text: paragraphs as lines, field codes hidden, field results kept."""
    streams = read_cfb(data)
    word = streams.get("WordDocument")
    if word is None or len(word) < _FIB_SIZE:
        raise DocumentError("not a doc file: no WordDocument stream")
    ident, nfib, _, _, _, flags = struct.unpack_from("<HHHHHH", word, 0)
    if ident != W_IDENT:
        raise DocumentError("not a doc file: bad FIB identifier")
    if nfib < NFIB_97:
        raise DocumentError("doc: files older than Word 97 are not supported")
    if flags & (1 << 8):
        raise DocumentError("doc: the document is encrypted")
    table = streams.get("1Table" if flags & (1 << 9) else "0Table")
    if table is None:
        raise DocumentError("not a valid doc file: the table stream is missing")
    (ccp,) = struct.unpack_from("<I", word, _CCP_TEXT)
    fc_clx, lcb_clx = struct.unpack_from("<II", word, _RG_FC_LCB + _FC_CLX_INDEX * 8)
    out: list[str] = []
    for start, end, offset, compressed in _clx_pieces(table, fc_clx, lcb_clx):
        if start >= ccp:
            break
        count = min(end, ccp) - start
        size = count if compressed else count * 2
        raw = word[offset : offset + size]
        if len(raw) < size:
            raise DocumentError("not a valid doc file: the text lies outside the WordDocument stream")
        out.append(
            raw.decode("cp1252", errors="replace") if compressed else raw.decode("utf-16-le", "replace")
        )
    return _visible("".join(out))


def _visible(text: str) -> str:
    """Hide field codes (between 0x13 and 0x14 or 0x15) and map Word's marks to newlines."""
    out: list[str] = []
    hidden = 0
    for char in text:
        if char == "\x13":
            hidden += 1
        elif char in "\x14\x15":
            hidden = max(hidden - 1, 0) if char == "\x14" or hidden else hidden
        elif hidden:
            continue
        elif char in "\r\x0b\x0c\x07":
            out.append("\n")
        elif char == "\t" or char >= " ":
            out.append(char)
    result = "".join(out)
    return result[:-1] if result.endswith("\n") else result
