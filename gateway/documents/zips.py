"""Deterministic ZIP packages (fixed timestamps, fixed order) for the OOXML and ODF writers.

Fixed bytes make blank documents, the demo seed and the tests reproducible.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

__all__ = ["FIXED_DATE", "write_zip"]

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
