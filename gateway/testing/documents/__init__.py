"""Real office files made and read by our own code, for the simulators and the demo seed.

Every writer produces a file other software opens (checked in tests with independent readers):
OOXML and ODF packages, PDF with an AcroForm, and the legacy OLE2 formats (Word 97, Excel BIFF8,
PowerPoint 97). Conversion keeps the text, which is what a conversion service's callers check.
"""

from __future__ import annotations

from .errors import DocumentError
from .formats import (
    SUPPORTED_EXTENSIONS,
    append_text,
    convert_document,
    extract_text,
    make_document,
    media_type,
)
from .protection import PROTECTABLE_EXTENSIONS, make_protected, protection_of
from .seed import demo_files

__all__ = [
    "PROTECTABLE_EXTENSIONS",
    "SUPPORTED_EXTENSIONS",
    "DocumentError",
    "append_text",
    "convert_document",
    "demo_files",
    "extract_text",
    "make_document",
    "make_protected",
    "media_type",
    "protection_of",
]
