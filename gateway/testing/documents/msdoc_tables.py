"""The table-stream structures of a Word 97 document ([MS-DOC] 2.4, 2.9): piece table and friends."""

from __future__ import annotations

import struct
from collections.abc import Callable

__all__ = ["table_stream"]

FC_CLX = 33


def _clx(ccp: int, text_fc: int) -> bytes:
    """One piece covering CPs [0, ccp), stored as UTF-16LE at text_fc (fCompressed = 0)."""
    plc = struct.pack("<II", 0, ccp) + struct.pack("<HIH", 0, text_fc, 0)
    return b"\x02" + struct.pack("<I", len(plc)) + plc


def table_stream(
    ccp: int, text_fc: int, text_end: int
) -> tuple[bytes, dict[int, tuple[int, int]], Callable[[int], bytes]]:
    """The 1Table stream, the FIB pointers into it, and a maker of the WordDocument tail (FKPs)."""
    table = bytearray()
    pointers: dict[int, tuple[int, int]] = {}

    def put(index: int, blob: bytes) -> None:
        pointers[index] = (len(table), len(blob))
        table.extend(blob)

    put(FC_CLX, _clx(ccp, text_fc))

    def tail(at: int) -> bytes:
        return b""

    return bytes(table), pointers, tail
