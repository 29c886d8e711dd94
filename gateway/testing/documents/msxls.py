"""Excel 97-2003 workbooks ([MS-XLS] BIFF8) in an OLE2 compound file: one sheet, text in column A.

The Workbook stream carries the globals (fonts, the 16 default cell formats, the Normal style,
the sheet's position, the shared string table with CONTINUE records and its EXTSST index) and one
worksheet of LABELSST cells. The reader also takes LABEL, NUMBER, RK and MULRK cells.
"""

from __future__ import annotations

import struct

from gateway.documents.textutil import split_lines

from .cfb import read_cfb, write_cfb
from .errors import DocumentError

__all__ = ["make_xls", "xls_text"]

BOF, EOF, SST, CONTINUE, EXTSST, BOUNDSHEET = 0x0809, 0x000A, 0x00FC, 0x003C, 0x00FF, 0x0085
LABELSST, LABEL, NUMBER, RK, MULRK = 0x00FD, 0x0204, 0x0203, 0x027E, 0x00BD
_MAX_DATA = 8224
_MAX_ROWS = 65536
_MAX_CHARS = 32767
_CELL_XF = 15
_STYLE_XF = bytes.fromhex("00000000F5FF200000000000000000000000C020")
_DEFAULT_XF = bytes.fromhex("000000000100200000000000000000000000C020")


def _record(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _bof(kind: int) -> bytes:
    return _record(BOF, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x0006))


def _short_string(text: str) -> bytes:
    encoded = text.encode("utf-16-le")
    return struct.pack("<BB", len(encoded) // 2, 1) + encoded


def _sst(strings: list[str], total: int) -> tuple[list[bytes], list[tuple[int, int]]]:
    """SST and CONTINUE record bodies, and (offset in stream part, offset in record) of every 8th string."""
    chunks: list[bytes] = []
    current = bytearray(struct.pack("<II", total, len(strings)))
    marks: list[tuple[int, int]] = []
    written = 0  # bytes of the SST/CONTINUE records (headers included) before `current`

    def flush(next_start: bytes) -> None:
        nonlocal current, written
        chunks.append(bytes(current))
        written += 4 + len(current)
        current = bytearray(next_start)

    for index, text in enumerate(strings):
        encoded = text.encode("utf-16-le")
        if len(current) + 3 + min(len(encoded), 2) > _MAX_DATA:
            flush(b"")
        if index % 8 == 0:
            marks.append((written + 4 + len(current), 4 + len(current)))
        current += struct.pack("<HB", len(encoded) // 2, 1)
        position = 0
        while True:
            room = (_MAX_DATA - len(current)) // 2 * 2
            current += encoded[position : position + room]
            position += room
            if position >= len(encoded):
                break
            flush(b"\x01")  # a string continued in the next record restates its flags
    chunks.append(bytes(current))
    return chunks, marks


def make_xls(text: str) -> bytes:
    """A BIFF8 workbook with one sheet, "Sheet1", one line per row in column A."""
    lines = [line[:_MAX_CHARS] for line in split_lines(text)]
    if len(lines) > _MAX_ROWS:
        raise DocumentError(f"xls: a sheet holds at most {_MAX_ROWS} rows")
    strings: list[str] = []
    index_of: dict[str, int] = {}
    cells = bytearray()
    for row, line in enumerate(lines):
        if not line:
            continue
        if line not in index_of:
            index_of[line] = len(strings)
            strings.append(line)
        cells += _record(LABELSST, struct.pack("<HHHI", row, 0, _CELL_XF, index_of[line]))
    font = _record(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0) + b"\x05\x00Arial")
    head = (
        _bof(0x0005)
        + _record(0x0042, struct.pack("<H", 1200))  # CODEPAGE: UTF-16
        + _record(0x003D, struct.pack("<HHHHHHHHH", 0, 0, 0x3000, 0x2000, 0x0038, 0, 0, 1, 0x0258))  # WINDOW1
        + font * 4
        + b"".join(_record(0x00E0, _STYLE_XF) for _ in range(15))
        + _record(0x00E0, _DEFAULT_XF)
        + _record(0x0293, struct.pack("<HBB", 0x8000, 0, 0xFF))  # STYLE: built-in Normal
    )
    boundsheet_size = 4 + 6 + len(_short_string("Sheet1"))
    sst_start = len(head) + boundsheet_size
    chunks, marks = _sst(strings, sum(1 for line in lines if line))
    sst = b"".join(_record(SST if i == 0 else CONTINUE, chunk) for i, chunk in enumerate(chunks))
    extsst = _record(
        EXTSST,
        struct.pack("<H", 8)
        + b"".join(struct.pack("<IHH", sst_start + at, inside, 0) for at, inside in marks),
    )
    sheet_at = sst_start + len(sst) + len(extsst) + 4
    globals_ = head + _record(BOUNDSHEET, struct.pack("<IBB", sheet_at, 0, 0) + _short_string("Sheet1"))
    globals_ += sst + extsst + _record(EOF, b"")
    assert len(globals_) == sheet_at
    sheet = (
        _bof(0x0010)
        + _record(0x0200, struct.pack("<IIHHH", 0, len(lines), 0, 1, 0))  # DIMENSIONS
        + _record(0x023E, struct.pack("<HHHHHHHHH", 0x06B6, 0, 0, 0x40, 0, 0, 0, 0, 0))  # WINDOW2
        + bytes(cells)
        + _record(EOF, b"")
    )
    workbook = globals_ + sheet
    return write_cfb({"Workbook": workbook.ljust(4096, b"\x00")})


class _Records:
    """The BIFF records of a stream, as (type, data, offset)."""

    def __init__(self, stream: bytes) -> None:
        self.items: list[tuple[int, bytes, int]] = []
        at = 0
        while at + 4 <= len(stream):
            kind, size = struct.unpack_from("<HH", stream, at)
            if kind == 0 and size == 0:
                break  # the zero padding after the last EOF
            if at + 4 + size > len(stream):
                raise DocumentError("not a valid xls file: a record runs past the end of the stream")
            self.items.append((kind, stream[at + 4 : at + 4 + size], at))
            at += 4 + size


class _SstReader:
    """Reads XLUnicodeRichExtendedStrings that may continue across CONTINUE records."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks, self.index, self.pos = chunks, 0, 0

    def _next_chunk(self) -> None:
        self.index += 1
        self.pos = 0
        if self.index >= len(self.chunks):
            raise DocumentError("not a valid xls file: the shared string table is truncated")

    def raw(self, size: int) -> bytes:
        out = bytearray()
        while len(out) < size:
            if self.pos >= len(self.chunks[self.index]):
                self._next_chunk()
            take = self.chunks[self.index][self.pos : self.pos + size - len(out)]
            out += take
            self.pos += len(take)
        return bytes(out)

    def string(self) -> str:
        count, flags = struct.unpack("<HB", self.raw(3))
        runs = struct.unpack("<H", self.raw(2))[0] if flags & 0x08 else 0
        ext = struct.unpack("<I", self.raw(4))[0] if flags & 0x04 else 0
        out: list[str] = []
        high = flags & 0x01
        while count:
            if self.pos >= len(self.chunks[self.index]):
                self._next_chunk()
                high = self.raw(1)[0] & 0x01
            width = 2 if high else 1
            available = (len(self.chunks[self.index]) - self.pos) // width
            take = min(count, max(available, 0))
            if take == 0:
                raise DocumentError("not a valid xls file: a broken shared string")
            data = self.raw(take * width)
            out.append(data.decode("utf-16-le" if high else "latin-1", errors="replace"))
            count -= take
        self.raw(4 * runs + ext)
        return "".join(out)


def _rk(value: int) -> float:
    number = (
        float(struct.unpack("<d", struct.pack("<Q", (value & 0xFFFFFFFC) << 32))[0])
        if not value & 0x02
        else float(value >> 2 if value < 0x80000000 else (value >> 2) - (1 << 30))
    )
    return number / 100 if value & 0x01 else number


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def xls_text(data: bytes) -> str:
    """The first sheet as lines: one per row, cells separated by tabs."""
    streams = read_cfb(data)
    stream = streams.get("Workbook")
    if stream is None:
        raise DocumentError("not an xls file: no Workbook stream (BIFF5 and older are not supported)")
    records = _Records(stream).items
    if not records or records[0][0] != BOF or struct.unpack_from("<H", records[0][1])[0] != 0x0600:
        raise DocumentError("not a valid xls file: the workbook does not start with a BIFF8 BOF")
    strings: list[str] = []
    sheets: list[int] = []
    for position, (kind, body, _) in enumerate(records):
        if kind == BOUNDSHEET and len(body) >= 6:
            sheets.append(struct.unpack_from("<I", body)[0])
        elif kind == SST and len(body) >= 8:
            chunks = [body[8:]]
            for follow_kind, follow, _ in records[position + 1 :]:
                if follow_kind != CONTINUE:
                    break
                chunks.append(follow)
            reader = _SstReader(chunks)
            strings = [reader.string() for _ in range(struct.unpack_from("<I", body, 4)[0])]
        elif kind == EOF:
            break
    if not sheets:
        raise DocumentError("not a valid xls file: the workbook has no sheet")
    starts = [i for i, (_, _, offset) in enumerate(records) if offset == sheets[0]]
    if not starts or records[starts[0]][0] != BOF:
        raise DocumentError("not a valid xls file: the sheet position does not point at a BOF record")
    rows: dict[int, dict[int, str]] = {}
    for kind, body, _ in records[starts[0] + 1 :]:
        if kind == EOF:
            break
        if kind in (LABELSST, LABEL, NUMBER, RK, MULRK) and len(body) >= 6:
            row, col = struct.unpack_from("<HH", body)
            if kind == LABELSST and len(body) >= 10:
                index = struct.unpack_from("<I", body, 6)[0]
                rows.setdefault(row, {})[col] = strings[index] if index < len(strings) else ""
            elif kind == LABEL and len(body) >= 9:
                count, flags = struct.unpack_from("<HB", body, 6)
                raw = body[9 : 9 + count * (2 if flags & 1 else 1)]
                rows.setdefault(row, {})[col] = raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")
            elif kind == NUMBER and len(body) >= 14:
                rows.setdefault(row, {})[col] = _number(struct.unpack_from("<d", body, 6)[0])
            elif kind == RK and len(body) >= 10:
                rows.setdefault(row, {})[col] = _number(_rk(struct.unpack_from("<I", body, 6)[0]))
            elif kind == MULRK:
                for n in range((len(body) - 6) // 6):
                    rk = struct.unpack_from("<I", body, 4 + n * 6 + 2)[0]
                    rows.setdefault(row, {})[col + n] = _number(_rk(rk))
    if not rows:
        return ""
    return "\n".join(
        "\t".join(rows.get(r, {}).get(c, "") for c in range(max(rows.get(r, {0: ""})) + 1))
        if r in rows
        else ""
        for r in range(max(rows) + 1)
    )
