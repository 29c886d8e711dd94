"""The format registry: which writer, reader and editor serve each extension, and the public API."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType

from . import msdoc, msppt, msxls, odf, ooxml, pdf, plain
from .errors import DocumentError

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "append_text",
    "convert_document",
    "extract_text",
    "make_document",
    "media_type",
]

Maker = Callable[[str], bytes]
Reader = Callable[[bytes], str]
Appender = Callable[[bytes, str], bytes]


@dataclass(frozen=True)
class Format:
    """How one extension is made, read and appended to (None: append goes through make)."""

    media_type: str
    make: Maker
    extract: Reader
    append: Appender | None = None


_OOXML = "application/vnd.openxmlformats-officedocument"
_make_form = partial(ooxml.make_docx, form=True)


def _odf(ext: str) -> Format:
    return Format(
        odf.ODF_MEDIA_TYPES[ext],
        partial(odf.make_odf, ext),
        partial(odf.odf_text, ext),
        partial(odf.append_odf, ext),
    )


# Read-only: the set of formats is fixed when the module loads.
_FORMATS: Mapping[str, Format] = MappingProxyType(
    {
        "docx": Format(
            f"{_OOXML}.wordprocessingml.document", ooxml.make_docx, ooxml.docx_text, ooxml.append_docx
        ),
        "docxf": Format(
            f"{_OOXML}.wordprocessingml.document.docxf", _make_form, ooxml.docx_text, ooxml.append_docx
        ),
        "oform": Format(
            f"{_OOXML}.wordprocessingml.document.oform", _make_form, ooxml.docx_text, ooxml.append_docx
        ),
        "xlsx": Format(f"{_OOXML}.spreadsheetml.sheet", ooxml.make_xlsx, ooxml.xlsx_text, ooxml.append_xlsx),
        "pptx": Format(
            f"{_OOXML}.presentationml.presentation", ooxml.make_pptx, ooxml.pptx_text, ooxml.append_pptx
        ),
        "odt": _odf("odt"),
        "ods": _odf("ods"),
        "odp": _odf("odp"),
        "doc": Format("application/msword", msdoc.make_doc, msdoc.doc_text),
        "xls": Format("application/vnd.ms-excel", msxls.make_xls, msxls.xls_text),
        "ppt": Format("application/vnd.ms-powerpoint", msppt.make_ppt, msppt.ppt_text),
        "pdf": Format("application/pdf", pdf.make_pdf, pdf.pdf_text, pdf.append_pdf),
        "txt": Format("text/plain", plain.make_txt, plain.txt_text, plain.append_txt),
        "csv": Format("text/csv", plain.make_csv, plain.csv_text, plain.append_csv),
        "rtf": Format("application/rtf", plain.make_rtf, plain.rtf_text, plain.append_rtf),
    }
)


def _format(ext: str) -> Format:
    key = ext.lower().lstrip(".")
    try:
        return _FORMATS[key]
    except KeyError:
        raise DocumentError(f"unsupported document format: {ext!r}") from None


def _supported() -> frozenset[str]:
    return frozenset(_FORMATS)


def media_type(ext: str) -> str:
    """The registered MIME type of the extension."""
    return _format(ext).media_type


@contextmanager
def _damage_as_document_error(what: str) -> Iterator[None]:
    """A damaged file makes the readers fail with whatever the parser underneath raised; callers
    are promised DocumentError only, saying `what` failed (a DocumentError passes as it is)."""
    try:
        yield
    except DocumentError:
        raise
    except (ValueError, LookupError, OverflowError, RecursionError, struct.error) as exc:
        raise DocumentError(f"{what}: {exc}") from exc


def make_document(ext: str, text: str) -> bytes:
    """A new, valid file of the format whose visible content is `text` (one paragraph/row per line)."""
    return _format(ext).make(text)


def extract_text(ext: str, data: bytes) -> str:
    """The visible text, one line per paragraph/row; DocumentError for anything unreadable."""
    if not data:
        raise DocumentError(f"empty file: not a valid {ext} document")
    with _damage_as_document_error(f"not a valid {ext} document"):
        return _format(ext).extract(data)


def append_text(ext: str, data: bytes, text: str) -> bytes:
    """The same document with `text` added as new paragraph(s)/row(s) at the end."""
    fmt = _format(ext)
    if fmt.append is None:
        return fmt.make(extract_text(ext, data) + "\n" + text)
    extract_text(ext, data)
    with _damage_as_document_error(f"cannot append to this {ext} document"):
        return fmt.append(data, text)


def convert_document(data: bytes, source_ext: str, target_ext: str) -> bytes:
    """A file of the target format carrying the source's text (what a conversion service returns)."""
    target = _format(target_ext)
    return target.make(extract_text(source_ext, data))


SUPPORTED_EXTENSIONS: frozenset[str] = _supported()
