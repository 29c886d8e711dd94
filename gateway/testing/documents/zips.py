"""Reading the ZIP packages of OOXML and ODF files (the writer is production code, re-exported).

The package readers turn every zip failure into a DocumentError.
"""

from __future__ import annotations

import io
import zipfile

from gateway.documents.zips import FIXED_DATE, write_zip

from .errors import DocumentError

__all__ = ["FIXED_DATE", "read_zip", "write_zip"]


def read_zip(data: bytes, kind: str) -> dict[str, bytes]:
    """All parts of a package, in archive order; a DocumentError names `kind` when it is not one."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise DocumentError(f"not a valid {kind} package: {exc}") from exc
    except Exception as exc:  # zlib.error and friends from a corrupted member
        raise DocumentError(f"not a valid {kind} package: {exc}") from exc
