"""OLE2 Compound File Binary ([MS-CFB]) version 3: the container of .doc, .xls and .ppt files.

The writer lays out one flat storage: FAT and DIFAT sectors first, then the directory, the mini FAT, the
mini stream (streams under 4096 bytes live there in 64-byte mini sectors) and the big streams.
The reader follows FAT chains with loop and bounds checks, so damaged files are DocumentErrors.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

from .errors import DocumentError

__all__ = ["read_cfb", "write_cfb"]

SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
FREESECT, ENDOFCHAIN, FATSECT, DIFSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC
NOSTREAM = 0xFFFFFFFF
SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
_PER_SECTOR = SECTOR // 4
_HEADER_DIFAT = 109


def _ceil(size: int, unit: int) -> int:
    return -(-size // unit)


def _sort_key(name: str) -> tuple[int, str]:
    """Directory siblings are ordered by name length first, then by upper-cased name ([MS-CFB] 2.6.4)."""
    return (len(name.encode("utf-16-le")), name.upper())


def _entry(
    name: str, kind: int, left: int, right: int, child: int, start: int, size: int, clsid: bytes
) -> bytes:
    encoded = name.encode("utf-16-le") + b"\x00\x00"
    if len(encoded) > 64:
        raise DocumentError(f"cfb: the stream name {name!r} is longer than 31 characters")
    return struct.pack(
        "<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 1, left, right, child, clsid, 0, 0, 0, start, size
    )


_EMPTY_ENTRY = struct.pack(
    "<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"", 0, 0, 0, 0, 0
)


def write_cfb(streams: Mapping[str, bytes], clsid: bytes = bytes(16)) -> bytes:
    """A compound file whose root storage holds `streams` (name -> bytes), all black in a balanced tree."""
    names = sorted(streams, key=_sort_key)
    mini = [n for n in names if len(streams[n]) < MINI_CUTOFF]
    big = [n for n in names if len(streams[n]) >= MINI_CUTOFF]
    mini_start: dict[str, int] = {}
    mini_sectors = 0
    for name in mini:
        count = _ceil(len(streams[name]), MINI_SECTOR)
        mini_start[name] = mini_sectors if count else ENDOFCHAIN
        mini_sectors += count
    dir_sectors = _ceil(len(names) + 1, SECTOR // 128)
    minifat_sectors = _ceil(mini_sectors, _PER_SECTOR)
    ministream_sectors = _ceil(mini_sectors * MINI_SECTOR, SECTOR)
    big_sizes = [_ceil(len(streams[n]), SECTOR) for n in big]
    others = dir_sectors + minifat_sectors + ministream_sectors + sum(big_sizes)
    fat_sectors, difat_sectors = 1, 0
    while fat_sectors * _PER_SECTOR < fat_sectors + difat_sectors + others:
        fat_sectors += 1
        # FAT sectors past the header's 109 are listed in DIFAT sectors, 127 each (plus a next pointer).
        difat_sectors = _ceil(max(fat_sectors - _HEADER_DIFAT, 0), _PER_SECTOR - 1)

    fat: list[int] = [FATSECT] * fat_sectors + [DIFSECT] * difat_sectors
    starts: list[int] = []
    for count in [dir_sectors, minifat_sectors, ministream_sectors, *big_sizes]:
        starts.append(len(fat) if count else ENDOFCHAIN)
        fat.extend(range(len(fat) + 1, len(fat) + count))
        if count:
            fat.append(ENDOFCHAIN)
    fat.extend([FREESECT] * (fat_sectors * _PER_SECTOR - len(fat)))
    dir_start, minifat_start, ministream_start, *big_starts = starts

    minifat: list[int] = []
    ministream = bytearray()
    for name in mini:
        count = _ceil(len(streams[name]), MINI_SECTOR)
        minifat.extend(range(len(minifat) + 1, len(minifat) + count))
        if count:
            minifat.append(ENDOFCHAIN)
        ministream += streams[name].ljust(count * MINI_SECTOR, b"\x00")
    minifat.extend([FREESECT] * (minifat_sectors * _PER_SECTOR - len(minifat)))

    # Directory: entry 0 is the root; entries 1.. follow the sorted names; the tree is balanced.
    left = [NOSTREAM] * len(names)
    right = [NOSTREAM] * len(names)

    def subtree(low: int, high: int) -> int:
        if low >= high:
            return NOSTREAM
        middle = (low + high) // 2
        left[middle] = subtree(low, middle)
        right[middle] = subtree(middle + 1, high)
        return middle + 1  # directory ids: the root is 0, names[i] is i + 1

    top = subtree(0, len(names))
    big_start = dict(zip(big, big_starts, strict=True))
    directory = bytearray(
        _entry("Root Entry", 5, NOSTREAM, NOSTREAM, top, ministream_start, mini_sectors * MINI_SECTOR, clsid)
    )
    for index, name in enumerate(names):
        start = mini_start[name] if name in mini_start else big_start[name]
        directory += _entry(
            name, 2, left[index], right[index], NOSTREAM, start, len(streams[name]), bytes(16)
        )
    while len(directory) < dir_sectors * SECTOR:
        directory += _EMPTY_ENTRY

    listed = list(range(fat_sectors)) + [FREESECT] * max(_HEADER_DIFAT - fat_sectors, 0)
    difat = bytearray()
    for index in range(difat_sectors):
        chunk = listed[_HEADER_DIFAT + index * 127 : _HEADER_DIFAT + (index + 1) * 127]
        following = fat_sectors + index + 1 if index + 1 < difat_sectors else ENDOFCHAIN
        difat += struct.pack("<128I", *chunk, *[FREESECT] * (127 - len(chunk)), following)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I",
        SIGNATURE, bytes(16), 0x003E, 0x0003, 0xFFFE, 9, 6, bytes(6), 0, fat_sectors, dir_start, 0,
        MINI_CUTOFF, minifat_start if minifat_sectors else ENDOFCHAIN, minifat_sectors,
        fat_sectors if difat_sectors else ENDOFCHAIN, difat_sectors, *listed[:_HEADER_DIFAT],
    )  # fmt: skip
    body = bytearray(header)
    body += struct.pack(f"<{len(fat)}I", *fat)
    body += difat
    body += directory
    body += struct.pack(f"<{len(minifat)}I", *minifat)
    body += ministream.ljust(ministream_sectors * SECTOR, b"\x00")
    for name, count in zip(big, big_sizes, strict=True):
        body += streams[name].ljust(count * SECTOR, b"\x00")
    return bytes(body)


class _Reader:
    """Sector-level access to a compound file held in memory."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512 or not data.startswith(SIGNATURE):
            raise DocumentError("not an OLE2 compound file (bad signature)")
        (major, order, shift, mini_shift) = struct.unpack_from("<HHHH", data, 26)
        if order != 0xFFFE or (major, shift) not in ((3, 9), (4, 12)) or mini_shift != 6:
            raise DocumentError("not a valid OLE2 compound file (bad header)")
        self.data = data
        self.size = 1 << shift
        fields = struct.unpack_from("<IIIIIIIII", data, 40)
        _, fat_count, self.dir_start, _, self.cutoff, minifat_start, _, difat_start, difat_count = fields
        difat = [s for s in struct.unpack_from("<109I", data, 76) if s < DIFSECT]
        sector, seen = difat_start, 0
        while sector < DIFSECT and seen <= difat_count:
            entries = struct.unpack(f"<{self.size // 4}I", self._sector(sector))
            difat.extend(s for s in entries[:-1] if s < DIFSECT)
            sector, seen = entries[-1], seen + 1
        if len(difat) < fat_count:
            raise DocumentError("not a valid OLE2 compound file (FAT sectors missing)")
        raw_fat = b"".join(self._sector(s) for s in difat[:fat_count])
        self.fat = struct.unpack(f"<{len(raw_fat) // 4}I", raw_fat)
        raw_minifat = self.chain_bytes(minifat_start)
        self.minifat = struct.unpack(f"<{len(raw_minifat) // 4}I", raw_minifat)

    def _sector(self, index: int) -> bytes:
        offset = (index + 1) * self.size
        if index >= DIFSECT or offset + self.size > len(self.data):
            raise DocumentError("not a valid OLE2 compound file: a sector lies beyond the end (truncated)")
        return self.data[offset : offset + self.size]

    def _chain(self, start: int, table: tuple[int, ...]) -> list[int]:
        chain: list[int] = []
        seen: set[int] = set()
        sector = start
        while sector != ENDOFCHAIN:
            if sector >= len(table) or sector in seen:
                raise DocumentError("not a valid OLE2 compound file: a broken or looping sector chain")
            seen.add(sector)
            chain.append(sector)
            sector = table[sector]
        return chain

    def chain_bytes(self, start: int) -> bytes:
        if start in (ENDOFCHAIN, FREESECT):
            return b""
        return b"".join(self._sector(s) for s in self._chain(start, self.fat))

    def mini_bytes(self, start: int, ministream: bytes) -> bytes:
        if start in (ENDOFCHAIN, FREESECT):
            return b""
        chain = self._chain(start, self.minifat)
        if chain and (max(chain) + 1) * MINI_SECTOR > len(ministream):
            raise DocumentError("not a valid OLE2 compound file: a mini sector lies beyond the mini stream")
        return b"".join(ministream[s * MINI_SECTOR : (s + 1) * MINI_SECTOR] for s in chain)


def read_cfb(data: bytes) -> dict[str, bytes]:
    """Every stream of the file by path ("Name" or "Storage/Name")."""
    reader = _Reader(data)
    directory = reader.chain_bytes(reader.dir_start)
    count = len(directory) // 128
    if count == 0:
        raise DocumentError("not a valid OLE2 compound file: empty directory")

    def entry(index: int) -> tuple[str, int, int, int, int, int, int]:
        raw = directory[index * 128 : (index + 1) * 128]
        length = min(struct.unpack_from("<H", raw, 64)[0], 64)
        name = raw[: max(length - 2, 0)].decode("utf-16-le", errors="replace")
        kind = raw[66]
        left, right, child = struct.unpack_from("<III", raw, 68)
        start, size = struct.unpack_from("<IQ", raw, 116)
        if reader.size == 512:
            size &= 0xFFFFFFFF
        return name, kind, left, right, child, start, size

    root = entry(0)
    if root[1] != 5:
        raise DocumentError("not a valid OLE2 compound file: no root entry")
    ministream = reader.chain_bytes(root[5])[: root[6]]
    streams: dict[str, bytes] = {}
    visited: set[int] = set()

    def walk(index: int, prefix: str) -> None:
        if index == NOSTREAM:
            return
        if index >= count or index in visited:
            raise DocumentError("not a valid OLE2 compound file: a broken directory tree")
        visited.add(index)
        name, kind, left, right, child, start, size = entry(index)
        walk(left, prefix)
        walk(right, prefix)
        if kind == 2:
            small = size < reader.cutoff
            content = reader.mini_bytes(start, ministream) if small else reader.chain_bytes(start)
            if len(content) < size:
                raise DocumentError(f"not a valid OLE2 compound file: the stream {name!r} is truncated")
            streams[prefix + name] = content[:size]
        elif kind == 1:
            walk(child, prefix + name + "/")

    walk(root[4], "")
    return streams
