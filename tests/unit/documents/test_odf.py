"""ODF packages are checked with odfpy (an independent reader) and for the package layout rules."""

from __future__ import annotations

import io
import zipfile

import pytest

# odfpy ships no type hints (no py.typed, no stubs): mypy reports each of its modules once.
from odf import teletype  # type: ignore[import-untyped]
from odf import text as odf_text
from odf.opendocument import load  # type: ignore[import-untyped]
from odf.table import TableCell, TableRow  # type: ignore[import-untyped]

from gateway.testing.documents import DocumentError, append_text, extract_text, make_document, media_type

TEXT = "Meeting notes\nTwo  spaces, a\ttab & <markup> é 😀\n\n leading space"


def _paragraphs(data: bytes) -> list[str]:
    return [teletype.extractText(p) for p in load(io.BytesIO(data)).getElementsByType(odf_text.P)]


@pytest.mark.parametrize("ext", ["odt", "odp"])
def test_text_and_presentation_open_in_odfpy(ext: str) -> None:
    data = make_document(ext, TEXT)
    document = load(io.BytesIO(data))
    assert document.mimetype == media_type(ext)
    assert _paragraphs(data) == TEXT.split("\n")
    appended = append_text(ext, data, "typed")
    assert _paragraphs(appended) == [*TEXT.split("\n"), "typed"]
    assert extract_text(ext, appended) == TEXT + "\ntyped"


def test_spreadsheet_has_one_cell_per_line_in_odfpy() -> None:
    data = append_text("ods", make_document("ods", "Measurements\n3.14\n\n2.72"), "1.41")
    rows = load(io.BytesIO(data)).getElementsByType(TableRow)
    first_cells = [teletype.extractText(row.getElementsByType(TableCell)[0]) for row in rows]
    assert first_cells == ["Measurements", "3.14", "", "2.72", "1.41"]
    assert extract_text("ods", data) == "Measurements\n3.14\n\n2.72\n1.41"


@pytest.mark.parametrize("ext", ["odt", "ods", "odp"])
def test_mimetype_is_first_and_stored(ext: str) -> None:
    data = make_document(ext, "x")
    first = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert data[30:38] == b"mimetype" and data[38 : 38 + len(media_type(ext))] == media_type(ext).encode()
    appended = append_text(ext, data, "y")
    assert zipfile.ZipFile(io.BytesIO(appended)).infolist()[0].compress_type == zipfile.ZIP_STORED


@pytest.mark.parametrize("ext", ["odt", "ods", "odp"])
def test_wrong_or_broken_files_are_document_errors(ext: str) -> None:
    other = "odp" if ext != "odp" else "odt"
    data = make_document(ext, "x")
    for bad in (make_document(other, "x"), data[:-40], b"PK\x03\x04 nonsense", make_document("docx", "x")):
        with pytest.raises(DocumentError):
            extract_text(ext, bad)
