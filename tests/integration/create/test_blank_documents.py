"""The blank files of "New document", opened with independent readers (not our own)."""

from __future__ import annotations

import io
from typing import cast

import docx
import openpyxl
import pptx
import pypdf
import pytest
from pypdf.generic import DictionaryObject

from gateway.onlyoffice.actions.blank import BLANK_KINDS, blank_document, default_name
from gateway.onlyoffice.i18n import LANGUAGES
from gateway.testing.documents import extract_text, media_type
from tests.workbooks import active_sheet


def test_the_four_kinds_in_the_plugins_order() -> None:
    assert list(BLANK_KINDS) == ["docx", "xlsx", "pptx", "pdf"]
    assert [default_name(k) for k in BLANK_KINDS.values()] == [
        "Document",
        "Spreadsheet",
        "Presentation",
        "PDF form",
    ]


def test_blank_docx_opens_in_python_docx() -> None:
    document = docx.Document(io.BytesIO(blank_document("docx")))
    assert [p.text for p in document.paragraphs] == [""]
    assert len(document.sections) == 1


def test_blank_xlsx_opens_in_openpyxl() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(blank_document("xlsx")))
    assert workbook.sheetnames == ["Sheet1"]
    assert all(cell.value is None for row in active_sheet(workbook).iter_rows() for cell in row)


def test_blank_pptx_opens_in_python_pptx() -> None:
    presentation = pptx.Presentation(io.BytesIO(blank_document("pptx")))
    assert len(presentation.slides) == 1
    texts = [shape.text_frame.text for shape in presentation.slides[0].shapes if shape.has_text_frame]
    assert texts == [""]


def test_blank_pdf_is_a_form_in_pypdf() -> None:
    reader = pypdf.PdfReader(io.BytesIO(blank_document("pdf")), strict=True)
    assert len(reader.pages) == 1
    assert "/AcroForm" in cast(DictionaryObject, reader.trailer["/Root"])
    assert not reader.get_fields()
    assert reader.pages[0].extract_text().strip() == ""


@pytest.mark.parametrize("extension", list(BLANK_KINDS))
def test_blanks_are_stable_and_readable_by_the_simulators(extension: str) -> None:
    assert blank_document(extension) == blank_document(extension)  # same bytes on every replica
    assert extract_text(extension, blank_document(extension)).strip() == ""
    assert media_type(extension)


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(KeyError):
        blank_document("exe")


_SHEETS = {"en": "Sheet1", "de": "Tabelle1", "es": "Hoja1", "fr": "Feuil1", "it": "Foglio1", "ru": "Лист1"}  # noqa: RUF001 (Russian)


@pytest.mark.parametrize("language", LANGUAGES)
def test_blanks_in_the_users_language(language: str) -> None:
    """As the plugin's locale templates: the sheet named as Excel names it, the text's language set,
    Letter paper for American English only, and the default name in the language."""
    workbook = openpyxl.load_workbook(io.BytesIO(blank_document("xlsx", language)))
    assert workbook.sheetnames == [_SHEETS.get(language, "Sheet1")]
    document = docx.Document(io.BytesIO(blank_document("docx", language)))
    tag = {"en": "en-US", "zh-CN": "zh-CN"}.get(language, f"{language}-{language.upper()}")
    defaults = document.styles.element.find(".//w:docDefaults//w:lang", document.styles.element.nsmap)
    assert defaults is not None and defaults.get(f"{{{document.styles.element.nsmap['w']}}}val") == tag
    section = document.sections[0]
    assert section.page_width is not None and section.page_height is not None  # both are in the file
    letter = (section.page_width.inches, section.page_height.inches) == (8.5, 11)
    assert letter == (language == "en")
    presentation = pptx.Presentation(io.BytesIO(blank_document("pptx", language)))
    assert f'lang="{tag}"'.encode() in presentation.slides[0].part.blob
    names = {default_name(kind, language) for kind in BLANK_KINDS.values()}
    assert len(names) == 4 and all(names)
    if language == "de":
        assert default_name(BLANK_KINDS["docx"], "de") == "Dokument"
