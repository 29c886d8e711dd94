"""OOXML files are checked with python-docx, openpyxl and python-pptx, not only our own reader."""

from __future__ import annotations

import io
import zipfile

import docx
import openpyxl
import pptx
import pytest

from gateway.testing.documents import DocumentError, append_text, extract_text, make_document
from tests.workbooks import active_sheet

TEXT = 'Quarterly report\nRevenue <grew> & "fell" — é€ 😀\n\nLast line'


def _docx_paragraphs(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


@pytest.mark.parametrize("ext", ["docx", "docxf", "oform"])
def test_word_documents_open_in_python_docx(ext: str) -> None:
    data = make_document(ext, TEXT)
    assert _docx_paragraphs(data) == TEXT.split("\n")
    assert extract_text(ext, data) == TEXT
    appended = append_text(ext, data, "typed by a user")
    assert _docx_paragraphs(appended) == [*TEXT.split("\n"), "typed by a user"]
    assert extract_text(ext, appended) == TEXT + "\ntyped by a user"


def test_forms_carry_a_content_control() -> None:
    for ext in ("docxf", "oform"):
        xml = zipfile.ZipFile(io.BytesIO(make_document(ext, "Name:"))).read("word/document.xml")
        assert b"<w:sdt>" in xml and b"<w:text/>" in xml


def test_docx_append_keeps_section_properties_last() -> None:
    appended = append_text("docx", make_document("docx", "a"), "b")
    xml = zipfile.ZipFile(io.BytesIO(appended)).read("word/document.xml").decode()
    assert xml.index('<w:t xml:space="preserve">b</w:t>') < xml.index("<w:sectPr>")
    assert xml.endswith("</w:sectPr></w:body></w:document>")


def test_docx_made_by_python_docx_is_read_and_appended() -> None:
    document = docx.Document()
    document.add_paragraph("Made elsewhere")
    document.add_table(rows=1, cols=1).cell(0, 0).text = "in a table"
    buffer = io.BytesIO()
    document.save(buffer)
    assert extract_text("docx", buffer.getvalue()) == "Made elsewhere\nin a table"
    appended = append_text("docx", buffer.getvalue(), "added")
    assert _docx_paragraphs(appended) == ["Made elsewhere", "added"]


def test_xlsx_opens_in_openpyxl_one_cell_per_line() -> None:
    data = make_document("xlsx", TEXT)
    sheet = active_sheet(openpyxl.load_workbook(io.BytesIO(data)))
    assert [sheet.cell(row=i, column=1).value or "" for i in range(1, 5)] == TEXT.split("\n")
    appended = append_text("xlsx", data, "Total: 5")
    sheet = active_sheet(openpyxl.load_workbook(io.BytesIO(appended)))
    assert sheet["A5"].value == "Total: 5"
    assert sheet.max_row == 5
    assert extract_text("xlsx", appended) == TEXT + "\nTotal: 5"


def test_xlsx_made_by_openpyxl_with_shared_strings_is_read() -> None:
    book = openpyxl.Workbook()
    active_sheet(book)["A1"] = "name"
    active_sheet(book)["B1"] = "value"
    active_sheet(book)["A3"] = 42
    buffer = io.BytesIO()
    book.save(buffer)
    assert extract_text("xlsx", buffer.getvalue()) == "name\tvalue\n\n42"
    appended = append_text("xlsx", buffer.getvalue(), "more")
    assert active_sheet(openpyxl.load_workbook(io.BytesIO(appended)))["A4"].value == "more"


def test_pptx_opens_in_python_pptx() -> None:
    data = make_document("pptx", TEXT)
    presentation = pptx.Presentation(io.BytesIO(data))
    assert len(presentation.slides) == 1
    assert presentation.slides[0].shapes[0].text_frame.text == TEXT
    assert presentation.slides[0].slide_layout.slide_master is not None
    appended = append_text("pptx", data, "one more point")
    frame = pptx.Presentation(io.BytesIO(appended)).slides[0].shapes[0].text_frame
    assert frame.text == TEXT + "\none more point"
    assert extract_text("pptx", appended) == TEXT + "\none more point"


def test_pptx_made_by_python_pptx_is_read() -> None:
    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = "Title"
    slide.placeholders[1].text = "Body"
    buffer = io.BytesIO()
    presentation.save(buffer)
    assert extract_text("pptx", buffer.getvalue()) == "Title\nBody"


def test_packages_are_deterministic() -> None:
    for ext in ("docx", "xlsx", "pptx"):
        assert make_document(ext, "same") == make_document(ext, "same")


@pytest.mark.parametrize("ext", ["docx", "xlsx", "pptx"])
def test_garbage_and_truncation_are_document_errors(ext: str) -> None:
    data = make_document(ext, "hello")
    for bad in (b"garbage", data[: len(data) // 2], make_document("docx" if ext != "docx" else "xlsx", "x")):
        with pytest.raises(DocumentError):
            extract_text(ext, bad)
        with pytest.raises(DocumentError):
            append_text(ext, bad, "x")
