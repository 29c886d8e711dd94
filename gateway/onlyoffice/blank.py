"""The blank files behind "New document": the plugin's four kinds, made by our own writers.

The plugin copies locale templates from ONLYOFFICE's document-templates; the gateway writes the
files itself (gateway/documents), so they are real, valid and identical on every replica. Order and
default names follow the plugin's "New document" dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from gateway.documents import make_docx, make_pdf, make_pptx, make_xlsx

__all__ = ["BLANK_KINDS", "BlankKind", "blank_document"]


@dataclass(frozen=True, slots=True)
class BlankKind:
    extension: str
    label: str  # what the form shows
    default_name: str  # the file name when the user gives none
    make: Callable[[], bytes]


def _blank_pdf_form() -> bytes:
    """One empty page with an (empty) AcroForm: a PDF form, ready for fields to be added."""
    return make_pdf("", {})


BLANK_KINDS: MappingProxyType[str, BlankKind] = MappingProxyType(
    {
        "docx": BlankKind("docx", "Document", "Document", lambda: make_docx("")),
        "xlsx": BlankKind("xlsx", "Spreadsheet", "Spreadsheet", lambda: make_xlsx("")),
        "pptx": BlankKind("pptx", "Presentation", "Presentation", lambda: make_pptx("")),
        "pdf": BlankKind("pdf", "PDF form", "PDF form", _blank_pdf_form),
    }
)


def blank_document(extension: str) -> bytes:
    """The blank file of a kind in `BLANK_KINDS`; KeyError for anything else."""
    return BLANK_KINDS[extension].make()
