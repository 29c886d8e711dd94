"""The blank files behind "New document": the plugin's four kinds, made by our own writers.

The plugin copies locale templates from ONLYOFFICE's document-templates; the gateway writes the
files itself (gateway/documents), so they are real, valid and identical on every replica, and in
the user's language as the plugin's are: the text's language (spelling, hyphenation), the paper
(Letter for American English, A4 elsewhere), the first sheet's name ("Tabelle1", "Feuil1"...) and
the default file name. Order follows the plugin's "New document" dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from gateway.documents import make_docx, make_pdf, make_pptx, make_xlsx
from gateway.onlyoffice.i18n import DEFAULT_LANGUAGE, messages

__all__ = ["BLANK_KINDS", "BlankKind", "blank_document", "default_name", "document_language"]

# The gateway's languages as the tags office files carry (the plugin's template folders).
_TAGS = {
    "en": "en-US",
    "de": "de-DE",
    "es": "es-ES",
    "fr": "fr-FR",
    "it": "it-IT",
    "ru": "ru-RU",
    "zh-CN": "zh-CN",
}


@dataclass(frozen=True, slots=True)
class BlankKind:
    extension: str
    label: str  # what the form shows
    make: Callable[[str], bytes]  # the blank file in one of the gateway's languages


def document_language(language: str) -> str:
    """The BCP 47 tag a new file is written in, for one of the gateway's page languages."""
    return _TAGS.get(language, _TAGS[DEFAULT_LANGUAGE])


def _docx(language: str) -> bytes:
    return make_docx("", lang=document_language(language))


def _xlsx(language: str) -> bytes:
    return make_xlsx("", sheet_name=messages().text(language, "blank.sheet_name"))


def _pptx(language: str) -> bytes:
    return make_pptx("", lang=document_language(language))


def _blank_pdf_form(language: str) -> bytes:
    """One empty page with an (empty) AcroForm: a PDF form, ready for fields to be added."""
    return make_pdf("", {})


BLANK_KINDS: MappingProxyType[str, BlankKind] = MappingProxyType(
    {
        "docx": BlankKind("docx", "Document", _docx),
        "xlsx": BlankKind("xlsx", "Spreadsheet", _xlsx),
        "pptx": BlankKind("pptx", "Presentation", _pptx),
        "pdf": BlankKind("pdf", "PDF form", _blank_pdf_form),
    }
)


def default_name(kind: BlankKind, language: str = DEFAULT_LANGUAGE) -> str:
    """The file name (without extension) when the user gives none: the kind, in their language."""
    return messages().text(language, f"kind.{kind.extension}")


def blank_document(extension: str, language: str = DEFAULT_LANGUAGE) -> bytes:
    """The blank file of a kind in `BLANK_KINDS`, in `language`; KeyError for an unknown kind."""
    return BLANK_KINDS[extension].make(language)
