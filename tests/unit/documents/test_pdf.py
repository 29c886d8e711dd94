"""PDF files are checked with pypdf in strict mode: pages, text and the AcroForm fields."""

from __future__ import annotations

import io

import pypdf
import pytest

from gateway.testing.documents import DocumentError, append_text, demo_files, extract_text, make_document
from gateway.testing.documents.pdf import make_pdf, pdf_fields

TEXT = "Leave (request) form\n\nBackslash \\ and é € fit Windows-1252"


def _reader(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data), strict=True)


def test_pdf_text_is_read_by_pypdf() -> None:
    data = make_document("pdf", TEXT)
    reader = _reader(data)
    assert len(reader.pages) == 1
    assert reader.pages[0].extract_text().split("\n") == [line for line in TEXT.split("\n") if line]
    assert extract_text("pdf", data) == TEXT


def test_long_text_flows_onto_more_pages() -> None:
    text = "\n".join(f"line {i}" for i in range(100))
    data = make_document("pdf", text)
    reader = _reader(data)
    assert len(reader.pages) == 3
    assert "line 99" in reader.pages[2].extract_text()
    assert extract_text("pdf", data) == text


def test_characters_outside_windows_1252_become_question_marks() -> None:
    assert extract_text("pdf", make_document("pdf", "snow ☃")) == "snow ?"


def test_form_has_a_real_acroform_text_field() -> None:
    data = demo_files()["form.pdf"]
    reader = _reader(data)
    fields = reader.get_fields()
    assert fields is not None and fields["Name"]["/FT"] == "/Tx"
    assert reader.trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()["/T"] == "Name"
    assert reader.pages[0]["/Annots"][0].get_object()["/Subtype"] == "/Widget"


def test_append_keeps_fields_and_adds_a_line() -> None:
    data = make_pdf("Form", {"Name": "Ann", "Städte": "Zürich ☃"})
    appended = append_text("pdf", data, "typed")
    assert extract_text("pdf", appended) == "Form\ntyped"
    assert pdf_fields(appended) == {"Name": "Ann", "Städte": "Zürich ☃"}
    fields = _reader(appended).get_fields()
    assert fields is not None and fields["Name"]["/V"] == "Ann" and fields["Städte"]["/V"] == "Zürich ☃"
    assert "typed" in _reader(appended).pages[0].extract_text()


def test_pypdf_written_file_is_read() -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    assert extract_text("pdf", buffer.getvalue()) == ""


def test_garbage_and_truncated_pdfs_are_document_errors() -> None:
    data = make_document("pdf", "hello")
    for bad in (
        b"garbage",
        data[: len(data) // 2],
        data[:-20],
        b"%PDF-1.4\n%%EOF\n",
        make_document("docx", "x"),
    ):
        with pytest.raises(DocumentError):
            extract_text("pdf", bad)
        with pytest.raises(DocumentError):
            append_text("pdf", bad, "x")
