"""The relay's coalescing reader against a real upstream on loopback: fewer writes, same bytes, no stall."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.proxy.coalesce import FLUSH_BYTES, HOLD_SECONDS, coalesced

PIECE = bytes(range(256)) * 16  # 4 KiB


async def _many_small(request: web.Request) -> web.StreamResponse:
    """Chunked, written in 4 KiB pieces about a millisecond apart (each its own TCP segment)."""
    response = web.StreamResponse()
    response.enable_chunked_encoding()
    await response.prepare(request)
    for _ in range(int(request.query["count"])):
        await response.write(PIECE)
        await asyncio.sleep(0.001)
    await response.write_eof()
    return response


async def _trickle(request: web.Request) -> web.StreamResponse:
    """Three pieces with pauses between them (a slow download, a streamed answer)."""
    response = web.StreamResponse()
    response.enable_chunked_encoding()
    await response.prepare(request)
    for index in range(3):
        if index:
            await asyncio.sleep(0.3)
        await response.write(b"%d" % index * 100)
    await response.write_eof()
    return response


async def _drop_mid(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    response.content_length = 100_000
    await response.prepare(request)
    await response.write(b"y" * 1000)
    assert request.transport is not None
    request.transport.abort()
    return response


@pytest.fixture
async def upstream() -> AsyncIterator[TestServer]:
    app = web.Application()
    app.router.add_get("/small", _many_small)
    app.router.add_get("/trickle", _trickle)
    app.router.add_get("/drop", _drop_mid)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def _pieces(server: TestServer, path: str, hold: float = HOLD_SECONDS) -> list[tuple[float, bytes]]:
    async with aiohttp.ClientSession() as session, session.get(server.make_url(path)) as response:
        assert response.status == 200
        return [(time.monotonic(), piece) async for piece in coalesced(response.content, hold=hold)]


async def _reads(server: TestServer, path: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(server.make_url(path)) as response:
        return len([piece async for piece in response.content.iter_any()])


async def test_a_fast_body_comes_in_few_pieces_with_every_byte_in_order(upstream: TestServer) -> None:
    count = 200  # 800 KiB in 4 KiB writes
    reads = await _reads(upstream, f"/small?count={count}")
    # A generous hold, so that a loaded machine's scheduling gaps cannot split what belongs together.
    pieces = await _pieces(upstream, f"/small?count={count}", hold=0.05)
    assert b"".join(piece for _, piece in pieces) == PIECE * count
    # Each piece is at most one flush plus the read that crossed it; reads are joined.
    assert all(len(piece) < FLUSH_BYTES + 256 * 1024 for _, piece in pieces)
    assert len(pieces) * 5 < reads  # a piece per 50 ms hold at most, a read per write or so


async def test_a_trickling_body_is_passed_on_as_it_comes(upstream: TestServer) -> None:
    started = time.monotonic()
    pieces = await _pieces(upstream, "/trickle")
    assert [piece for _, piece in pieces] == [b"0" * 100, b"1" * 100, b"2" * 100]
    # The first piece went on long before the second existed (held 2 ms, not until the end).
    assert pieces[0][0] - started < 0.25
    assert pieces[1][0] - pieces[0][0] > 0.2


async def test_an_upstream_that_breaks_off_raises_after_the_bytes_it_sent(upstream: TestServer) -> None:
    received: list[bytes] = []
    with pytest.raises(aiohttp.ClientPayloadError):  # as iter_any() would
        async with aiohttp.ClientSession() as session, session.get(upstream.make_url("/drop")) as response:
            async for piece in coalesced(response.content, hold=0.5):
                received.append(piece)
    # What came before the break is the browser's (held, then handed on before the error).
    assert b"".join(received) == b"y" * 1000


async def test_aiohttps_own_read_timeout_is_not_taken_for_the_hold(upstream: TestServer) -> None:
    timeout = aiohttp.ClientTimeout(sock_read=0.1)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(upstream.make_url("/trickle")) as response,
    ):
        with pytest.raises(TimeoutError):
            async for _ in coalesced(response.content):
                pass
