"""Upstream failures: 502 / 504 pages without internals, mid-body failures abort the client."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from tests.integration.proxy.proxy_fixtures import MakeGateway, free_port
from tests.integration.proxy.upstream_stub import CTX


async def _fetch(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


def _assert_clean_page(body: str, *internals: str) -> None:
    assert "Traceback" not in body
    for internal in internals:
        assert internal not in body
    assert len(body) < 1000


async def test_connection_refused_is_502(make_gateway: MakeGateway) -> None:
    dead = free_port()
    gw = await make_gateway(upstream_port=dead)
    status, content_type, body = await _fetch(gw.url(f"{CTX}/anything"))
    assert status == 502
    assert content_type.startswith("text/html")
    assert "Bad Gateway" in body
    _assert_clean_page(body, str(dead), "Connect")


async def test_connection_dropped_before_headers_is_502(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    status, _, body = await _fetch(gw.url(f"{CTX}/drop"))
    assert status == 502
    _assert_clean_page(body, str(gw.upstream.port), "Disconnected")


async def test_no_headers_in_time_is_504(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(response_timeout=0.5)
    status, _, body = await _fetch(gw.url(f"{CTX}/slow?delay=3"))
    assert status == 504
    assert "Gateway Timeout" in body
    _assert_clean_page(body, str(gw.upstream.port))


async def test_slow_body_is_not_cut_by_response_timeout(make_gateway: MakeGateway) -> None:
    """response_timeout bounds the wait for headers only; the body may take longer (read_timeout)."""
    gw = await make_gateway(response_timeout=0.5, read_timeout=5)
    status, _, body = await _fetch(gw.url(f"{CTX}/slowbody?delay=1.2"))
    assert status == 200
    assert body == "0123456789abcdefghij"


async def test_body_silence_beyond_read_timeout_aborts_client(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(read_timeout=0.5)
    async with aiohttp.ClientSession() as session, session.get(gw.url(f"{CTX}/slowbody?delay=3")) as response:
        assert response.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()


async def test_failure_mid_body_aborts_client_connection(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    async with aiohttp.ClientSession() as session:
        async with session.get(gw.url(f"{CTX}/dropmid")) as response:
            assert response.status == 200
            assert response.headers["Content-Length"] == "100000"
            with pytest.raises(aiohttp.ClientPayloadError):
                await response.read()
        # The gateway keeps serving afterwards.
        async with session.get(gw.url(f"{CTX}/echo")) as response:
            assert response.status == 200


async def test_client_leaving_mid_upload_is_quiet_and_upstream_never_completes(
    make_gateway: MakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    gw = await make_gateway()
    _, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    writer.write(
        f"POST {CTX}/upload HTTP/1.1\r\nHost: 127.0.0.1:{gw.port}\r\nContent-Length: 100000\r\n\r\n".encode()
        + b"a" * 1000
    )
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.close()
    await asyncio.sleep(0.5)
    assert gw.stub.upload_bytes == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_client_leaving_mid_download_is_quiet(
    make_gateway: MakeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    gw = await make_gateway()
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    size = 50 * 1024 * 1024
    writer.write(f"GET {CTX}/big?size={size} HTTP/1.1\r\nHost: 127.0.0.1:{gw.port}\r\n\r\n".encode())
    await reader.readexactly(100_000)
    writer.close()
    await asyncio.sleep(0.5)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    async with aiohttp.ClientSession() as session, session.get(gw.url(f"{CTX}/echo")) as response:
        assert response.status == 200
