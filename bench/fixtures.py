"""Files a run serves and sends: pass-through bodies, the big download, the upload, the saved file.

Large files are sparse (zeros the kernel makes up), so creating 1 GiB costs nothing and reading it
never waits on the disk; nginx sends them with sendfile like any other file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

KiB, MiB = 1024, 1024 * 1024


@dataclass(frozen=True)
class Sizes:
    download: int
    upload: int
    save: int


FULL = Sizes(download=1024 * MiB, upload=200 * MiB, save=50 * MiB)
QUICK = Sizes(download=256 * MiB, upload=200 * MiB, save=50 * MiB)


def sparse(path: Path, size: int) -> Path:
    with path.open("wb") as file:
        file.truncate(size)
    return path


def make(root: Path, workdir: Path, sizes: Sizes) -> Path:
    """Pass-through bodies and the download under `root/confluence/bench/`, the Document Server's
    edited file at `root/save.bin`; returns the upload's source file."""
    bench = root / "confluence" / "bench"
    bench.mkdir(parents=True)
    (bench / "1k.bin").write_bytes(os.urandom(KiB))
    (bench / "200k.bin").write_bytes(os.urandom(200 * KiB))
    sparse(bench / "big.bin", sizes.download)
    sparse(root / "save.bin", sizes.save)
    for directory in (workdir, root, root / "confluence", bench):
        directory.chmod(0o755)  # nginx workers may run as another user
    return sparse(workdir / "upload.bin", sizes.upload)
