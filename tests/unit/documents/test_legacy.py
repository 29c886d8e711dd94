"""Word 97, Excel 97 and PowerPoint 97 files, read by antiword, catdoc, xls2csv and catppt."""

from __future__ import annotations

import io
from pathlib import Path

import olefile
import openpyxl
import pytest
import xlrd

from gateway.testing.documents import (
    DocumentError,
    append_text,
    convert_document,
    extract_text,
    make_document,
)
from tests.workbooks import active_sheet

from .conftest import run_tool

TEXT = "Legacy memo\nWritten with Word 97: é € ü\n\nLast paragraph"


def test_doc_is_read_by_antiword(tmp_path: Path) -> None:
    data = make_document("doc", TEXT)
    assert olefile.isOleFile(data=data)
    output = run_tool("antiword", data, tmp_path, ".doc", "-m", "UTF-8.txt", "-w", "0")
    assert output.strip("\n").split("\n") == TEXT.split("\n")
    assert extract_text("doc", data) == TEXT


def test_doc_is_read_by_catdoc(tmp_path: Path) -> None:
    output = run_tool("catdoc", make_document("doc", TEXT), tmp_path, ".doc", "-d", "utf-8", "-w")
    assert [line for line in output.split("\n") if line] == [line for line in TEXT.split("\n") if line]


def test_doc_append_and_conversion(tmp_path: Path) -> None:
    appended = append_text("doc", make_document("doc", TEXT), "typed later")
    assert extract_text("doc", appended) == TEXT + "\ntyped later"
    output = run_tool("antiword", appended, tmp_path, ".doc", "-m", "UTF-8.txt", "-w", "0")
    assert "typed later" in output
    docx = convert_document(appended, "doc", "docx")
    assert extract_text("docx", docx) == TEXT + "\ntyped later"


def test_doc_drops_control_characters_word_would_misread() -> None:
    assert extract_text("doc", make_document("doc", "a\x07b\x13c\x15")) == "abc"


@pytest.mark.parametrize("ext", ["doc", "xls", "ppt"])
def test_damaged_legacy_files_are_document_errors(ext: str) -> None:
    data = make_document(ext, TEXT)
    for bad in (b"garbage" * 100, data[: len(data) // 2], make_document("docx", "x")):
        with pytest.raises(DocumentError):
            extract_text(ext, bad)


def test_long_doc_spans_several_paragraph_pages(tmp_path: Path) -> None:
    text = "\n".join(f"Paragraph {i}" for i in range(200))  # 29 paragraphs fit one PAPX page
    data = make_document("doc", text)
    output = run_tool("antiword", data, tmp_path, ".doc", "-w", "0")
    assert [line for line in output.split("\n") if line] == text.split("\n")
    assert extract_text("doc", data) == text


XLS_TEXT = "Budget 2024\nTravel: 12000\n\nHardware é € ü\nBudget 2024"


def test_xls_is_read_by_xls2csv(tmp_path: Path) -> None:
    data = make_document("xls", XLS_TEXT)
    output = run_tool("xls2csv", data, tmp_path, ".xls", "-d", "utf-8")
    rows = [line.strip('"') for line in output.split("\n") if line.strip()]
    assert rows == [line for line in XLS_TEXT.split("\n") if line]
    assert extract_text("xls", data) == XLS_TEXT


def test_xls_is_read_by_xlrd_with_long_strings_across_continue_records() -> None:
    long_line = "long text " * 2000  # 40 000 bytes of UTF-16: the SST needs CONTINUE records
    data = make_document("xls", XLS_TEXT + "\n" + long_line)
    sheet = xlrd.open_workbook(file_contents=data).sheet_by_index(0)
    assert [sheet.cell_value(row, 0) for row in range(sheet.nrows)] == [*XLS_TEXT.split("\n"), long_line]
    assert extract_text("xls", data) == XLS_TEXT + "\n" + long_line


def test_xls_append_and_conversion(tmp_path: Path) -> None:
    appended = append_text("xls", make_document("xls", XLS_TEXT), "Total: 5")
    assert extract_text("xls", appended) == XLS_TEXT + "\nTotal: 5"
    assert "Total: 5" in run_tool("xls2csv", appended, tmp_path, ".xls")
    assert (
        active_sheet(openpyxl.load_workbook(io.BytesIO(convert_document(appended, "xls", "xlsx"))))[
            "A6"
        ].value
        == "Total: 5"
    )


PPT_TEXT = "Old presentation\nMade with PowerPoint 97: é € ü\n\nQuestions"


def test_ppt_is_read_by_catppt(tmp_path: Path) -> None:
    data = make_document("ppt", PPT_TEXT)
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)
    assert sorted(entry[0] for entry in ole.listdir()) == ["Current User", "PowerPoint Document"]
    output = run_tool("catppt", data, tmp_path, ".ppt", "-d", "utf-8")
    assert output.rstrip("\f").rstrip("\n").split("\n") == PPT_TEXT.split("\n")
    assert extract_text("ppt", data) == PPT_TEXT


def test_ppt_current_user_points_at_the_user_edit_atom() -> None:
    ole = olefile.OleFileIO(io.BytesIO(make_document("ppt", "x")))
    current = ole.openstream("Current User").read()
    document = ole.openstream("PowerPoint Document").read()
    offset = int.from_bytes(current[16:20], "little")
    assert int.from_bytes(document[offset + 2 : offset + 4], "little") == 0x0FF5  # UserEditAtom
    directory = int.from_bytes(document[offset + 20 : offset + 24], "little")  # offsetPersistDirectory
    assert int.from_bytes(document[directory + 2 : directory + 4], "little") == 0x1772  # PersistDirectoryAtom


def test_ppt_append_and_conversion(tmp_path: Path) -> None:
    appended = append_text("ppt", make_document("ppt", PPT_TEXT), "one more")
    assert extract_text("ppt", appended) == PPT_TEXT + "\none more"
    assert "one more" in run_tool("catppt", appended, tmp_path, ".ppt")
    pptx_data = convert_document(appended, "ppt", "pptx")
    assert extract_text("pptx", pptx_data) == PPT_TEXT + "\none more"
