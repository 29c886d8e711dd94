"""The public API: formats, media types, conversion between every pair, demo files, errors."""

from __future__ import annotations

import contextlib
import io
import random
import zipfile

import pytest

from gateway.testing.documents import (
    SUPPORTED_EXTENSIONS,
    DocumentError,
    append_text,
    convert_document,
    demo_files,
    extract_text,
    make_document,
    media_type,
)

REQUIRED = {
    "docx",
    "xlsx",
    "pptx",
    "docxf",
    "oform",
    "pdf",
    "doc",
    "xls",
    "ppt",
    "odt",
    "ods",
    "odp",
    "txt",
    "csv",
}
TEXT = "First line\nSecond line, with é and €\n\nLast line"


def test_the_required_formats_are_supported() -> None:
    assert REQUIRED <= SUPPORTED_EXTENSIONS


@pytest.mark.parametrize(
    ("ext", "expected"),
    [
        ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ("docxf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.docxf"),
        ("oform", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.oform"),
        ("doc", "application/msword"),
        ("xls", "application/vnd.ms-excel"),
        ("ppt", "application/vnd.ms-powerpoint"),
        ("odt", "application/vnd.oasis.opendocument.text"),
        ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
        ("odp", "application/vnd.oasis.opendocument.presentation"),
        ("pdf", "application/pdf"),
        ("txt", "text/plain"),
        ("csv", "text/csv"),
        ("rtf", "application/rtf"),
    ],
)
def test_media_types(ext: str, expected: str) -> None:
    assert media_type(ext) == expected
    assert media_type("." + ext.upper()) == expected


@pytest.mark.parametrize("ext", sorted(SUPPORTED_EXTENSIONS))
def test_every_format_round_trips_and_appends(ext: str) -> None:
    data = make_document(ext, TEXT)
    assert extract_text(ext, data) == TEXT
    appended = append_text(ext, data, "typed by a user")
    assert extract_text(ext, appended) == TEXT + "\ntyped by a user"
    assert make_document(ext, TEXT) == data  # deterministic bytes


@pytest.mark.parametrize("source", sorted(SUPPORTED_EXTENSIONS))
def test_conversion_between_every_pair_keeps_the_text(source: str) -> None:
    data = make_document(source, TEXT)
    for target in sorted(SUPPORTED_EXTENSIONS):
        converted = convert_document(data, source, target)
        assert extract_text(target, converted) == TEXT, target


def test_unsupported_formats_and_pairs_are_document_errors() -> None:
    for call in (
        lambda: make_document("exe", "x"),
        lambda: extract_text("exe", b"x"),
        lambda: append_text("exe", b"x", "y"),
        lambda: media_type("exe"),
        lambda: convert_document(make_document("docx", "x"), "docx", "exe"),
        lambda: convert_document(b"x", "exe", "docx"),
    ):
        with pytest.raises(DocumentError, match="unsupported"):
            call()
    assert issubclass(DocumentError, ValueError)


@pytest.mark.parametrize("ext", sorted(SUPPORTED_EXTENSIONS - {"txt", "csv"}))
def test_empty_garbage_and_other_formats_are_document_errors(ext: str) -> None:
    other = "pdf" if ext != "pdf" else "docx"
    for bad in (b"", b"\x00\xffgarbage" * 50, make_document(other, "x")):
        with pytest.raises(DocumentError):
            extract_text(ext, bad)
        with pytest.raises(DocumentError):
            append_text(ext, bad, "x")
        with pytest.raises(DocumentError):
            convert_document(bad, ext, "docx")


@pytest.mark.parametrize("ext", ["txt", "csv"])
def test_binary_input_is_not_text(ext: str) -> None:
    for bad in (b"", b"\x00\x01\x02", b"\xff\xfe\xfa invalid utf-8"):
        with pytest.raises(DocumentError):
            extract_text(ext, bad)


@pytest.mark.parametrize("ext", sorted(SUPPORTED_EXTENSIONS))
def test_damaged_files_raise_only_document_errors(ext: str) -> None:
    """Random truncation and byte flips: the readers fail cleanly, never with another exception."""
    rng = random.Random(ext)
    data = make_document(ext, TEXT)
    for _ in range(40):
        damaged = bytearray(data[: rng.randrange(1, len(data))] if rng.random() < 0.4 else data)
        for _ in range(rng.randrange(0, 6)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        blob = bytes(damaged)
        with contextlib.suppress(DocumentError):
            extract_text(ext, blob)
        with contextlib.suppress(DocumentError):
            append_text(ext, blob, "x")


def test_demo_files_are_named_as_in_the_product_and_reproducible() -> None:
    files = demo_files()
    assert set(files) == {
        "report.docx", "budget.xlsx", "slides.pptx", "form.pdf",
        "legacy.doc", "notes.odt", "data.ods", "old.ppt",
    }  # fmt: skip
    assert files == demo_files()
    for name, data in files.items():
        ext = name.rsplit(".", 1)[1]
        assert extract_text(ext, data).strip(), name
    assert "Quarterly report" in extract_text("docx", files["report.docx"])
    for name in ("report.docx", "budget.xlsx", "slides.pptx", "notes.odt", "data.ods"):
        dates = {info.date_time for info in zipfile.ZipFile(io.BytesIO(files[name])).infolist()}
        assert dates == {(2024, 1, 1, 0, 0, 0)}, name
