"""File names chosen by users: what is refused, and the RFC 6266 header that carries them."""

from __future__ import annotations

import pytest

from gateway.onlyoffice.download_as import download_name, stem_of
from gateway.onlyoffice.filenames import attachment_disposition, name_problem


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
