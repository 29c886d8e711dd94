"""Which file URLs the gateway fetches: the Document Server's, on its internal address, nothing else."""

from __future__ import annotations

import pytest
from yarl import URL

from gateway.onlyoffice.saving.fetch import FetchError, pinned_url

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


# The Document Server under a path of the gateway's own origin: only that path is the Document Server.
GATEWAY_PUBLIC = URL("https://wiki.example.com/ds-vpath")
DS_INTERNAL = URL("http://ds-internal")


def test_a_prefix_on_the_gateway_origin_maps_to_the_internal_address() -> None:
    given = "https://wiki.example.com/ds-vpath/cache/files/data/k_1/output.docx/output.docx?md5=a&expires=1"
    fetched = pinned_url(given, GATEWAY_PUBLIC, DS_INTERNAL)
    assert str(fetched) == "http://ds-internal/cache/files/data/k_1/output.docx/output.docx?md5=a&expires=1"


@pytest.mark.parametrize(
    "given",
    [
        "https://wiki.example.com/confluence/rest/api/content/1/child/attachment",  # Confluence's
        "https://wiki.example.com/cache/files/data/k_1/output.docx/output.docx",  # the origin's root
        "https://wiki.example.com/ds-vpath-other/cache/files/x.docx",
        "https://wiki.example.com/ds-vpath/../confluence/rest/api/content",
        "https://wiki.example.com/ds-vpath%2F..%2Fconfluence/rest/api/content",
        "http://wiki.example.com/ds-vpath/cache/files/x.docx",
    ],
)
def test_the_gateway_origin_outside_the_prefix_is_refused(given: str) -> None:
    with pytest.raises(FetchError) as refused:
        pinned_url(given, GATEWAY_PUBLIC, DS_INTERNAL)
    assert refused.value.transient is False
