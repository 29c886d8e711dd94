"""Byte ranges on `/download/attachments/...` as Confluence's one-range download servlet answers."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from multidict import CIMultiDictProxy

from gateway.testing.confluence import Store
from tests.simulators.confluence.confluence_helpers import CTX, basic

DATA = bytes(range(256)) * 4  # 1024 bytes, every offset recognisable


@pytest.fixture
def url(store: Store, welcome: int) -> str:
    store.add_attachment(welcome, "ranged.bin", DATA, "application/octet-stream", by="admin")
    return f"{CTX}/download/attachments/{welcome}/ranged.bin?api=v2"


async def _get(
    client: TestClient[Any, Any], url: str, **headers: str
) -> tuple[int, CIMultiDictProxy[str], bytes]:
    response = await client.get(url, headers={**basic("bob"), "Accept-Encoding": "gzip", **headers})
    return response.status, response.headers, await response.read()


async def test_whole_file_says_it_accepts_byte_ranges(client: TestClient[Any, Any], url: str) -> None:
    status, headers, body = await _get(client, url)
    assert (status, body, headers["Accept-Ranges"]) == (200, DATA, "bytes")
    assert "Content-Range" not in headers


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-", 1000, 1023),
        ("bytes=-24", 1000, 1023),
        ("bytes=1000-5000", 1000, 1023),  # an end past the file is cut to its last byte
        ("bytes=-5000", 0, 1023),
        ("bytes=5-5", 5, 5),
    ],
)
async def test_one_range_is_206_with_content_range(
    client: TestClient[Any, Any], url: str, header: str, start: int, end: int
) -> None:
    status, headers, body = await _get(client, url, Range=header)
    assert status == 206
    assert headers["Content-Range"] == f"bytes {start}-{end}/1024"
    assert body == DATA[start : end + 1]
    assert int(headers["Content-Length"]) == end - start + 1
    assert "Content-Encoding" not in headers


@pytest.mark.parametrize("header", ["bytes=1024-", "bytes=5000-6000", "bytes=-0"])
async def test_range_past_the_end_is_416(client: TestClient[Any, Any], url: str, header: str) -> None:
    status, headers, body = await _get(client, url, Range=header)
    assert status == 416
    assert headers["Content-Range"] == "bytes */1024"
    assert body == b""


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "bytes=9-3", "items=0-1", "bytes=-", "bytes=a-b"])
async def test_several_or_malformed_ranges_get_the_whole_file(
    client: TestClient[Any, Any], url: str, header: str
) -> None:
    status, headers, body = await _get(client, url, Range=header)
    assert (status, body) == (200, DATA)
    assert "Content-Range" not in headers


async def test_if_range_with_the_current_etag_or_date_applies(client: TestClient[Any, Any], url: str) -> None:
    _, full, _ = await _get(client, url)
    for validator in (full["ETag"], full["Last-Modified"]):
        status, _, body = await _get(client, url, Range="bytes=0-9", **{"If-Range": validator})
        assert (status, body) == (206, DATA[:10])


async def test_if_range_with_a_stale_validator_gets_the_whole_file(
    client: TestClient[Any, Any], url: str
) -> None:
    _, full, _ = await _get(client, url)
    stale = ['"0-1"', f"W/{full['ETag']}", "Mon, 01 Jan 2001 00:00:00 GMT", "not a date"]
    for validator in stale:
        status, _, body = await _get(client, url, Range="bytes=0-9", **{"If-Range": validator})
        assert (status, body) == (200, DATA), validator


async def test_ranges_of_an_old_version(
    client: TestClient[Any, Any], store: Store, welcome: int, url: str
) -> None:
    att = store.attachment_by_name(welcome, "ranged.bin")
    assert att is not None
    store.add_version(att, b"new bytes", "application/octet-stream", by="admin")
    old = url.replace("?api=v2", "?version=1&api=v2")
    status, headers, body = await _get(client, old, Range="bytes=-4")
    assert (status, body, headers["Content-Range"]) == (206, DATA[-4:], "bytes 1020-1023/1024")
    status, headers, body = await _get(client, url, Range="bytes=-4")
    assert (status, body, headers["Content-Range"]) == (206, b"ytes", "bytes 5-8/9")


async def test_text_ranges_are_not_compressed(
    client: TestClient[Any, Any], store: Store, welcome: int
) -> None:
    store.add_attachment(welcome, "notes.txt", b"hello range world" * 20, "text/plain", by="admin")
    url = f"{CTX}/download/attachments/{welcome}/notes.txt"
    status, headers, body = await _get(client, url, Range="bytes=6-10")
    assert (status, body) == (206, b"range")
    assert "Content-Encoding" not in headers


async def test_forbidden_callers_get_no_bytes_with_a_range(client: TestClient[Any, Any], url: str) -> None:
    response = await client.get(url, headers={"Range": "bytes=0-9"}, allow_redirects=False)
    assert response.status == 302
    assert "/login.action?os_destination=" in response.headers["Location"]


async def test_head_ignores_the_range(client: TestClient[Any, Any], url: str) -> None:
    response = await client.head(url, headers={**basic("bob"), "Range": "bytes=0-9"})
    assert response.status == 200
    assert response.headers["Content-Length"] == "1024" and response.headers["Accept-Ranges"] == "bytes"
    assert "Content-Range" not in response.headers
