"""File names chosen by users: what is refused, and the RFC 6266 header that carries them."""

from __future__ import annotations

import pytest

from gateway.onlyoffice.actions.download_as import download_name, stem_of
from gateway.onlyoffice.filenames import attachment_disposition, name_problem, safe_filename


@pytest.mark.parametrize("name", ["report", "Q3 (final) \u2013 v2", "日本語", "a.b.c", "x" * 200])
def test_good_names_pass(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    "name", ["", " ", "a/b", "a\\b", "a:b", "a?", "a*", 'a"', "<a", "a>", "a|b", "a\x00", "a\u202e"]
)
def test_bad_names_are_refused_with_a_reason(name: str) -> None:
    problem = name_problem(name)
    assert problem is not None and problem.endswith((".", ">"))


def test_disposition_is_ascii_with_a_utf8_name() -> None:
    assert attachment_disposition("a b.pdf") == "attachment; filename=\"a b.pdf\"; filename*=UTF-8''a%20b.pdf"
    header = attachment_disposition("Übersicht 100%.pdf")
    assert (
        header == "attachment; filename=\"_bersicht 100_.pdf\"; filename*=UTF-8''%C3%9Cbersicht%20100%25.pdf"
    )


def test_download_names_get_the_target_extension_once() -> None:
    assert download_name("report", "pdf") == "report.pdf"
    assert download_name(" report.PDF ", "pdf") == "report.PDF"
    assert download_name("report.docx", "pdf") == "report.docx.pdf"
    assert download_name("archive", "pdfa") == "archive.pdf"
    assert (
        stem_of("report.docx") == "report"
        and stem_of("README") == "README"
        and stem_of(".bashrc") == ".bashrc"
    )


@pytest.mark.parametrize(
    "name",
    [
        "a\r\nSet-Cookie: x=1.pdf",
        "a\x00b.pdf",
        "report\u202efdp.exe",
        "../../etc/passwd",
        "..\\..\\boot.ini",
        "x" * 5000 + ".pdf",
        "\ud800lone.pdf",
        "\r\n",
        "",
        "...",
    ],
)
def test_any_name_gives_one_printable_ascii_header_line(name: str) -> None:
    header = attachment_disposition(name)
    assert all(" " <= c <= "~" for c in header), header
    assert header.startswith('attachment; filename="') and header.count('"') == 2
    assert "/" not in header.split("filename*=")[0] and "\\" not in header
    assert len(header) < 4 * 200 + 100  # the name is capped (percent-encoding at most triples it)


def test_safe_names_keep_what_is_harmless() -> None:
    assert safe_filename("report\u202efdp.exe") == "reportfdp.exe"
    assert safe_filename("a\r\nb.pdf") == "ab.pdf"
    assert safe_filename("../x/y.docx") == ".._x_y.docx"
    long = safe_filename("x" * 500 + ".docx")
    assert len(long) == 200 and long.endswith("x.docx")
    assert safe_filename("\x00\u202e", "download") == "download"
    assert safe_filename("日本語.docx") == "日本語.docx"
