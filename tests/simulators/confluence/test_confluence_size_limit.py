"""Attachment Maximum Size on the two REST upload resources (reference §1.4: per file, 10x per request)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient

from gateway.testing.confluence import CONFIG, Store, create_confluence_app
from tests.simulators.confluence.confluence_helpers import CTX, basic, no_check, upload_form

Client = TestClient[Any, Any]
LIMIT = 1000


@pytest.fixture
def app() -> web.Application:
    return create_confluence_app(attachment_max_size=LIMIT)


def _att(store: Store, page_id: int, name: str) -> int:
    att = store.attachment_by_name(page_id, name)
    assert att is not None
    return att.id


def test_default_is_100_mb() -> None:
    assert create_confluence_app()[CONFIG].attachment_max_size == 100 * 1024 * 1024


async def test_create_over_the_limit_is_the_multipart_layers_404(
    client: Client, store: Store, welcome: int
) -> None:
    url = f"{CTX}/rest/api/content/{welcome}/child/attachment"
    response = await client.post(
        url, data=upload_form("big.bin", b"x" * (LIMIT + 1)), headers=no_check("alice")
    )
    assert response.status == 404
    assert await response.text() == f"The field file exceeds its maximum permitted size of {LIMIT} bytes."
    assert store.attachment_by_name(welcome, "big.bin") is None
    exact = await client.post(url, data=upload_form("edge.bin", b"x" * LIMIT), headers=no_check("alice"))
    assert exact.status == 200  # the limit itself is allowed
    assert store.data(store.attachments[_att(store, welcome, "edge.bin")]) == b"x" * LIMIT


async def test_new_version_over_the_limit_keeps_the_old_version(
    client: Client, store: Store, welcome: int
) -> None:
    att_id = _att(store, welcome, "report.docx")
    before = store.attachments[att_id].current.number
    url = f"{CTX}/rest/api/content/{welcome}/child/attachment/{att_id}/data"
    response = await client.post(
        url, data=upload_form("report.docx", b"y" * (LIMIT * 3)), headers=no_check("alice")
    )
    assert response.status == 404
    assert "exceeds its maximum permitted size" in await response.text()
    assert store.attachments[att_id].current.number == before


async def test_each_file_is_checked_and_the_request_as_a_whole(client: Client, welcome: int) -> None:
    url = f"{CTX}/rest/api/content/{welcome}/child/attachment"
    several = FormData()
    for index in range(11):  # each under the limit, together over ten times it
        several.add_field("file", b"z" * (LIMIT - 1), filename=f"part{index}.bin")
    response = await client.post(url, data=several, headers=no_check("alice"))
    assert response.status == 404
    text = await response.text()
    assert text.startswith("the request was rejected because its size (")
    assert text.endswith(f"exceeds the configured maximum ({LIMIT * 10})")


async def test_size_is_checked_before_permissions_as_jersey_reads_first(client: Client, welcome: int) -> None:
    url = f"{CTX}/rest/api/content/{welcome}/child/attachment"
    big = await client.post(url, data=upload_form("big.bin", b"x" * (LIMIT + 1)), headers=no_check("bob"))
    assert big.status == 404
    small = await client.post(url, data=upload_form("small.bin", b"x"), headers=no_check("bob"))
    assert small.status == 403


async def test_xsrf_still_comes_first(client: Client, welcome: int) -> None:
    url = f"{CTX}/rest/api/content/{welcome}/child/attachment"
    response = await client.post(url, data=upload_form("big.bin", b"x" * (LIMIT + 1)), headers=basic("alice"))
    assert (response.status, await response.text()) == (403, "XSRF check failed")


async def _chunks(total: int) -> AsyncIterator[bytes]:
    for _ in range(total // 100):
        yield b"c" * 100


async def test_a_streamed_upload_is_stopped_at_the_limit(client: Client, welcome: int) -> None:
    """Chunked, without Content-Length: counted while read, as the gateway streams its uploads."""
    form = FormData()
    form.add_field(
        "file", _chunks(LIMIT * 20), filename="stream.bin", content_type="application/octet-stream"
    )
    url = f"{CTX}/rest/api/content/{welcome}/child/attachment"
    response = await client.post(url, data=form, headers=no_check("alice"))
    assert response.status == 404
    assert "exceeds its maximum permitted size" in await response.text()


async def test_pages_carry_the_configured_limit(client: Client, welcome: int) -> None:
    response = await client.get(f"{CTX}/pages/viewpage.action?pageId={welcome}", headers=basic("alice"))
    assert f'<meta name="ajs-global-settings-attachment-max-size" content="{LIMIT}">' in await response.text()
