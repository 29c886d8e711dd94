"""The OLE2 compound file writer is checked against olefile, in strict mode, and our own reader."""

from __future__ import annotations

import io
import random

import olefile
import pytest

from gateway.testing.documents import DocumentError
from gateway.testing.documents.cfb import read_cfb, write_cfb


def _streams(count: int, seed: int) -> dict[str, bytes]:
    rng = random.Random(seed)
    sizes = [0, 1, 63, 64, 65, 4095, 4096, 4097, 70_000, 513]
    return {f"Stream {i}": rng.randbytes(sizes[i % len(sizes)] + rng.randrange(3)) for i in range(count)}


@pytest.mark.parametrize("count", [1, 2, 3, 7, 40])
def test_olefile_reads_every_stream(count: int) -> None:
    streams = _streams(count, count)
    data = write_cfb(streams)
    assert len(data) % 512 == 0
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)
    assert sorted(entry[0] for entry in ole.listdir()) == sorted(streams)
    for name, content in streams.items():
        assert ole.openstream(name).read() == content
    assert read_cfb(data) == streams


def test_writes_are_deterministic() -> None:
    assert write_cfb(_streams(5, 1)) == write_cfb(_streams(5, 1))


def test_damaged_files_are_document_errors() -> None:
    data = write_cfb(_streams(7, 3))
    looping = bytearray(data)
    directory = int.from_bytes(data[48:52], "little")
    at = 512 + directory * 4  # the directory's FAT entry (the FAT is the first sector) points at itself
    looping[at : at + 4] = directory.to_bytes(4, "little")
    for bad in (b"", b"garbage" * 100, data[:512], data[: len(data) // 2], bytes(looping)):
        with pytest.raises(DocumentError):
            read_cfb(bad)


def test_files_beyond_109_fat_sectors_use_difat_sectors() -> None:
    """109 FAT sectors in the header cover about 7 MB; bigger files list the rest in DIFAT sectors."""
    streams = {"Big": bytes(range(256)) * 36_000, "Small": b"tiny"}  # 9.2 MB
    data = write_cfb(streams)
    assert int.from_bytes(data[72:76], "little") >= 1  # the number of DIFAT sectors
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)
    assert ole.openstream("Big").read() == streams["Big"]
    assert read_cfb(data) == streams
