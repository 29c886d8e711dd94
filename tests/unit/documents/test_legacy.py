"""Word 97, Excel 97 and PowerPoint 97 files, read by antiword, catdoc, xls2csv and catppt."""

from __future__ import annotations

from pathlib import Path

import olefile
import pytest

from gateway.testing.documents import (
    DocumentError,
    append_text,
    convert_document,
    extract_text,
    make_document,
)

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


@pytest.mark.parametrize("ext", ["doc"])
def test_damaged_legacy_files_are_document_errors(ext: str) -> None:
    data = make_document(ext, TEXT)
    for bad in (b"garbage" * 100, data[: len(data) // 2], make_document("docx", "x")):
        with pytest.raises(DocumentError):
            extract_text(ext, bad)
