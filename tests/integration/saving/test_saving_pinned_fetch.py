"""Which file URLs the gateway fetches: the Document Server's, on its internal address, nothing else."""

from __future__ import annotations

import pytest
from yarl import URL

from gateway.onlyoffice.fetch import FetchError, pinned_url

PUBLIC = URL("https://docs.example.com/ds/")
INTERNAL = URL("http://documentserver:8000/")


@pytest.mark.parametrize(
    ("given", "fetched"),
    [
        (
            "https://docs.example.com/ds/cache/files/data/k_1/output.docx/output.docx?md5=a&expires=1",
            "http://documentserver:8000/cache/files/data/k_1/output.docx/output.docx?md5=a&expires=1",
        ),
        (
            "http://documentserver:8000/cache/files/data/k_1/output.docx/output.docx?md5=a",
            "http://documentserver:8000/cache/files/data/k_1/output.docx/output.docx?md5=a",
        ),
        (
            "https://docs.example.com/ds/cache/files/data/k%201/out%20put.docx/x.docx?filename=a%20b.docx",
            "http://documentserver:8000/cache/files/data/k%201/out%20put.docx/x.docx?filename=a%20b.docx",
        ),
    ],
)
def test_document_server_urls_are_rewritten_to_the_internal_address(given: str, fetched: str) -> None:
    assert str(pinned_url(given, PUBLIC, INTERNAL)) == fetched


@pytest.mark.parametrize(
    "given",
    [
        "https://evil.example.com/ds/cache/files/x.docx",
        "https://docs.example.com/other/cache/files/x.docx",  # outside the public prefix
        "https://docs.example.com/ds/../confluence/rest/api/content",
        "https://docs.example.com:444/ds/cache/files/x.docx",
        "http://docs.example.com/ds/cache/files/x.docx",  # another scheme is another origin
        "https://user:pw@docs.example.com/ds/cache/files/x.docx",
        "https://docs.example.com@evil.example.com/ds/x.docx",
        "file:///etc/passwd",
        "/ds/cache/files/x.docx",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_anything_else_is_refused(given: str) -> None:
    with pytest.raises(FetchError) as refused:
        pinned_url(given, PUBLIC, INTERNAL)
    assert refused.value.transient is False
