"""Deterministic ZIP packages (fixed timestamps, fixed order) for the OOXML and ODF writers.

Fixed bytes make the demo seed and the tests reproducible; the package readers turn every zip
failure into a DocumentError.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

from .errors import DocumentError

__all__ = ["FIXED_DATE", "read_zip", "write_zip"]

FIXED_DATE = (2024, 1, 1, 0, 0, 0)


def write_zip(parts: Mapping[str, bytes | str], *, stored: frozenset[str] = frozenset()) -> bytes:
    """Write parts in the given order; names in `stored` are not compressed (ODF `mimetype`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content.encode("utf-8") if isinstance(content, str) else content)
    return buffer.getvalue()


def read_zip(data: bytes, kind: str) -> dict[str, bytes]:
    """All parts of a package, in archive order; a DocumentError names `kind` when it is not one."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise DocumentError(f"not a valid {kind} package: {exc}") from exc
    except Exception as exc:  # zlib.error and friends from a corrupted member
        raise DocumentError(f"not a valid {kind} package: {exc}") from exc
