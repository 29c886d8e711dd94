"""PDF files are checked with pypdf in strict mode: pages, text and the AcroForm fields."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import cast

import pypdf
import pytest
from pypdf.generic import ArrayObject, DictionaryObject

from gateway.testing.documents import DocumentError, append_text, demo_files, extract_text, make_document
from gateway.testing.documents.pdf import make_pdf, pdf_fields

from .conftest import run_tool

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
    # pypdf types what it reads from a file as any PDF object; the form's structure is known here.
    acroform = cast(DictionaryObject, cast(DictionaryObject, reader.trailer["/Root"])["/AcroForm"])
    assert cast(ArrayObject, acroform["/Fields"])[0].get_object()["/T"] == "Name"
    assert cast(ArrayObject, reader.pages[0]["/Annots"])[0].get_object()["/Subtype"] == "/Widget"


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


def test_qpdf_finds_no_errors_and_poppler_reads_text_and_form(tmp_path: Path) -> None:
    files = {
        "plain": make_document("pdf", TEXT),
        "form": demo_files()["form.pdf"],
        "appended form": append_text("pdf", make_pdf("Form", {"Name": "Ann"}), "typed"),
        "three pages": make_document("pdf", "\n".join(str(i) for i in range(120))),
    }
    for name, data in files.items():
        assert "No syntax or stream encoding errors" in run_tool("qpdf", data, tmp_path, ".pdf", "--check"), (
            name
        )
    assert (
        run_tool("pdftotext", files["plain"], tmp_path, ".pdf", "-enc", "UTF-8", "{}", "-").split()
        == TEXT.split()
    )
    assert "typed" in run_tool("pdftotext", files["appended form"], tmp_path, ".pdf", "{}", "-")
    info = run_tool("pdfinfo", files["form"], tmp_path, ".pdf")
    assert re.search(r"^Form:\s+AcroForm$", info, re.M) and re.search(r"^Pages:\s+1$", info, re.M)
    assert re.search(r"^Pages:\s+3$", run_tool("pdfinfo", files["three pages"], tmp_path, ".pdf"), re.M)


def test_fonts_with_a_tounicode_cmap_are_decoded() -> None:
    """PDFs from office suites draw text with subset fonts: glyph codes map to text via ToUnicode."""
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(width=300, height=200)
    cmap = DecodedStreamObject()
    cmap.set_data(
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        b"2 beginbfchar <0001> <0048> <0002> <00E9> endbfchar\n"
        b"1 beginbfrange <0010> <0012> <0061> endbfrange\n"
        b"endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type0"),
            NameObject("/BaseFont"): NameObject("/Subset+Sans"),
            NameObject("/Encoding"): NameObject("/Identity-H"),
            NameObject("/ToUnicode"): writer._add_object(cmap),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F7"): writer._add_object(font)})}
    )
    content = DecodedStreamObject()
    content.set_data(
        b"BT /F7 12 Tf 1 0 0 1 20 150 Tm <00010002> Tj 1 0 0 1 20 130 Tm [<0010> 120 <00110012>] TJ ET"
    )
    page[NameObject("/Contents")] = writer._add_object(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    assert _reader(buffer.getvalue()).pages[0].extract_text().split() == ["Hé", "abc"]
    assert extract_text("pdf", buffer.getvalue()) == "Hé\nabc"


def test_objects_in_compressed_object_streams_are_found(tmp_path: Path) -> None:
    """qpdf rewrites our form with object streams and a cross-reference stream (PDF 1.5)."""
    source, target = tmp_path / "in.pdf", tmp_path / "out.pdf"
    source.write_bytes(make_pdf(TEXT, {"Name": "Ann"}))
    run_tool("qpdf", b"", tmp_path, ".unused", "--object-streams=generate", str(source), str(target))
    data = target.read_bytes()
    assert b"/ObjStm" in data and b"trailer" not in data
    assert extract_text("pdf", data) == TEXT
    assert pdf_fields(data) == {"Name": "Ann"}
