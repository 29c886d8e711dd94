"""Request-smuggling vectors over a raw socket: answered 400 and never reaching the upstream.

aiohttp's C parser (llhttp) is the first line; these tests pin that the gateway runs it and that
nothing ambiguous is re-framed and forwarded (reference 4.4; aiohttp advisories in 4.3).
"""

from __future__ import annotations

import asyncio

import pytest

from gateway.server import parser_kind
from tests.integration.proxy.proxy_fixtures import Gateway, MakeGateway
from tests.integration.proxy.upstream_stub import CTX


async def _send(gw: Gateway, raw: bytes, *, split: int | None = None) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    if split is None:
        writer.write(raw)
    else:
        writer.write(raw[:split])
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.write(raw[split:])
    await writer.drain()
    try:
        data = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
    return data


def _head(gw: Gateway, method: str = "POST", path: str = f"{CTX}/upload") -> str:
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{gw.port}\r\n"


SMUGGLED = "GET /confluence/echo/smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

VECTORS = {
    "duplicate content-length": "Content-Length: 5\r\nContent-Length: 40\r\n\r\nhello" + SMUGGLED,
    "duplicate equal content-length": "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    "cl and te": "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" + SMUGGLED,
    "te chunked123": "Transfer-Encoding: chunked123\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "te not last": "Transfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "te obs-fold": "Transfer-Encoding:\r\n chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "obs-fold header": "X-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n",
    "bad chunk size": "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "chunk size overflow": "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\nhello\r\n0\r\n\r\n",
    "missing chunk crlf": "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
    "space before colon": "Content-Length : 5\r\n\r\nhello",
    "negative content-length": "Content-Length: -1\r\n\r\n",
    "plus content-length": "Content-Length: +5\r\n\r\nhello",
    "nul in header": "X-Evil: a\x00b\r\nContent-Length: 0\r\n\r\n",
    "duplicate host": "Host: evil.example\r\nContent-Length: 0\r\n\r\n",
    "bare lf in chunk": "Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n",
    "bare lf in headers": "Content-Length: 5\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "te with tab": "Transfer-Encoding:\tchunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n" + SMUGGLED,
    "te xchunked": "Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "te twice": "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "te quoted": 'Transfer-Encoding: "chunked"\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    "te vertical tab": "Transfer-Encoding:\x0bchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "cl with comma": "Content-Length: 5, 5\r\n\r\nhello",
    "cl hex": "Content-Length: 0x5\r\n\r\nhello",
    "chunk size with spaces": "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
    "lf-only request end": "Content-Length: 0\n\n" + SMUGGLED,
}


def test_gateway_runs_the_c_parser() -> None:
    assert parser_kind() == "c (llhttp)"


@pytest.mark.parametrize("vector", list(VECTORS), ids=list(VECTORS))
async def test_smuggling_vector_rejected_before_upstream(make_gateway: MakeGateway, vector: str) -> None:
    gw = await make_gateway()
    data = await _send(gw, (_head(gw) + VECTORS[vector]).encode("latin-1"))
    assert data.startswith((b"HTTP/1.1 400 ", b"HTTP/1.0 400 ")), data[:200]
    # nothing smuggled behind it was answered (the 400's text may quote the request: not a status line)
    assert sum(line.startswith(b"HTTP/1.") for line in data.split(b"\r\n")) == 1
    assert gw.stub.hits == 0
    assert b"Traceback" not in data


async def test_bad_chunk_after_headers_never_completes_at_upstream(make_gateway: MakeGateway) -> None:
    """Headers pass, the body turns bad later: the upstream never sees a complete request.

    aiohttp (3.14) queues the 400 but does not fail the running request's body stream, so the
    request stays pending until the client leaves (or `listen.body_timeout` answers 408, see
    test_slow_clients.py); what matters is that the
    upstream only ever got a truncated chunked body and nothing smuggled behind it.
    """
    gw = await make_gateway()
    raw = (
        _head(gw) + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n" + SMUGGLED
    ).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    split = len(_head(gw)) + 40
    writer.write(raw[:split])
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.write(raw[split:])
    await writer.drain()
    try:
        data = await asyncio.wait_for(reader.read(), 1.5)
    except TimeoutError:
        data = b""
    writer.close()
    assert b"HTTP/1.1 200" not in data
    assert b"smuggled" not in data
    await asyncio.sleep(0.3)
    assert gw.stub.upload_bytes == 0
    assert all("smuggled" not in path for path in gw.stub.paths)


@pytest.mark.parametrize("extension", [";a=b", ";" + "a" * 70000], ids=["short", "70 KB"])
async def test_chunk_extensions_are_dropped_not_forwarded(make_gateway: MakeGateway, extension: str) -> None:
    """Chunk extensions are legal (RFC 9112 7.1.1) but parsers disagree on them: the upstream gets
    the body re-framed without them, exactly once."""
    gw = await make_gateway()
    body = f"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5{extension}\r\nhello\r\n0\r\n\r\n"
    data = await _send(gw, (_head(gw) + body).encode())
    assert data.startswith(b"HTTP/1.1 200 "), data[:200]
    assert gw.stub.hits == 1 and gw.stub.upload_bytes == 5


async def test_pipelined_valid_requests_still_work(make_gateway: MakeGateway) -> None:
    """The control: two honest pipelined requests are both answered in order."""
    gw = await make_gateway()
    one = _head(gw, "GET", f"{CTX}/echo/one") + "\r\n"
    two = _head(gw, "GET", f"{CTX}/echo/two") + "Connection: close\r\n\r\n"
    data = await _send(gw, (one + two).encode())
    assert data.count(b"HTTP/1.1 200 ") == 2
    assert data.index(b"/echo/one") < data.index(b"/echo/two")
