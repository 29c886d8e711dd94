"""The blank files of "New document", opened with independent readers (not our own)."""

from __future__ import annotations

import io

import docx
import openpyxl
import pptx
import pypdf
import pytest

from gateway.onlyoffice.blank import BLANK_KINDS, blank_document
from gateway.testing.documents import extract_text, media_type


def test_the_four_kinds_in_the_plugins_order() -> None:
    assert list(BLANK_KINDS) == ["docx", "xlsx", "pptx", "pdf"]
    assert [k.default_name for k in BLANK_KINDS.values()] == [
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
    assert all(cell.value is None for row in workbook.active.iter_rows() for cell in row)


def test_blank_pptx_opens_in_python_pptx() -> None:
    presentation = pptx.Presentation(io.BytesIO(blank_document("pptx")))
    assert len(presentation.slides) == 1
    texts = [shape.text_frame.text for shape in presentation.slides[0].shapes if shape.has_text_frame]
    assert texts == [""]


def test_blank_pdf_is_a_form_in_pypdf() -> None:
    reader = pypdf.PdfReader(io.BytesIO(blank_document("pdf")), strict=True)
    assert len(reader.pages) == 1
    assert "/AcroForm" in reader.trailer["/Root"]
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
