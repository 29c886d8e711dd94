"""Slow and idle clients against the real `serve` process: they are closed, capped, and do not stop
anyone else (gateway/proxy/connections.py; listen.idle_timeout, body_timeout, max_connections).

Slowloris keeps many connections open by sending a request head a byte at a time; "R-U-Dead-Yet"
does the same with a body. An event loop spends nothing on them, but each holds a socket: the
limits decide how long and how many.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from tests.integration.proxy.proxy_fixtures import GatewayProcess, gateway_process
from tests.integration.proxy.upstream_stub import CTX, STATE, StubState


def _head(gateway: GatewayProcess, method: str, path: str, extra: str = "") -> bytes:
    return f"{method} {CTX}{path} HTTP/1.1\r\nHost: 127.0.0.1:{gateway.port}\r\n{extra}".encode()


def _state(stub: TestServer) -> StubState:
    return stub.app[STATE]


async def _closed_by_server(reader: asyncio.StreamReader, within: float) -> bytes:
    """What the server sent before closing; fails when it keeps the connection open longer."""
    return await asyncio.wait_for(reader.read(), within)


async def _trickle(gateway: GatewayProcess) -> tuple[bytes, float]:
    """Slowloris: a request head a byte every 0.2 s, until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
    started = time.monotonic()
    answer = asyncio.ensure_future(reader.read())
    try:
        writer.write(_head(gateway, "GET", "/echo/slow", "X-Slow: "))
        while not answer.done():
            await asyncio.sleep(0.2)
            writer.write(b"a")
            try:
                await writer.drain()
            except ConnectionError:
                break
        data = await asyncio.wait_for(answer, 5)
    except ConnectionError:
        data = b""
    finally:
        writer.close()
    return data, time.monotonic() - started


async def test_slowloris_connections_are_closed_and_others_are_served(
    tmp_path: Path, stub: TestServer
) -> None:
    assert stub.port is not None
    async with gateway_process(tmp_path, stub.port, listen={"idle_timeout": 1.5}) as gateway:
        slow = [asyncio.create_task(_trickle(gateway)) for _ in range(200)]
        await asyncio.sleep(0.5)  # all of them are trickling now
        async with aiohttp.ClientSession() as session:
            for index in range(20):  # normal visitors meanwhile: served at once
                async with session.get(gateway.url(f"{CTX}/echo/normal{index}")) as response:
                    assert response.status == 200
        results = await asyncio.wait_for(asyncio.gather(*slow), 15)
        for data, lasted in results:
            # closed by the gateway after the idle timeout, never answered as a request
            assert b"HTTP/1.1 200" not in data
            assert 1.0 < lasted < 6.0, lasted
        assert not any("/echo/slow" in path for path in _state(stub).paths)


async def test_an_idle_connection_is_closed_after_the_idle_timeout(tmp_path: Path, stub: TestServer) -> None:
    assert stub.port is not None
    async with gateway_process(tmp_path, stub.port, listen={"idle_timeout": 1}) as gateway:
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        started = time.monotonic()
        assert await _closed_by_server(reader, 5) == b""
        assert time.monotonic() - started >= 0.9
        writer.close()
        # and after a response: the keep-alive connection idles out the same way
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        writer.write(_head(gateway, "GET", "/echo/once", "\r\n"))
        await writer.drain()
        data = await _closed_by_server(reader, 5)
        assert data.startswith(b"HTTP/1.1 200 ") and data.count(b"HTTP/1.1") == 1
        writer.close()


async def test_over_the_connection_cap_new_connections_get_503(tmp_path: Path, stub: TestServer) -> None:
    assert stub.port is not None
    async with gateway_process(
        tmp_path, stub.port, listen={"max_connections": 20, "idle_timeout": 30}
    ) as gateway:
        held = [await asyncio.open_connection("127.0.0.1", gateway.port) for _ in range(20)]
        await asyncio.sleep(0.3)  # accepted by the worker
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        writer.write(_head(gateway, "GET", "/echo/over", "\r\n"))
        refused = await _closed_by_server(reader, 5)
        writer.close()
        assert refused.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), refused[:100]
        assert b"Retry-After: 5\r\n" in refused and b"Connection: close\r\n" in refused
        for _, held_writer in held:
            held_writer.close()
        await asyncio.sleep(0.3)  # the gateway saw them go
        async with (
            aiohttp.ClientSession() as session,
            session.get(gateway.url(f"{CTX}/echo/after")) as response,
        ):
            assert response.status == 200
        assert "/confluence/echo/over" not in _state(stub).paths
        assert "connection limit reached (listen.max_connections=20)" in gateway.log()


async def test_a_stalled_upload_is_answered_408_and_a_slow_steady_one_passes(
    tmp_path: Path, stub: TestServer
) -> None:
    assert stub.port is not None
    async with gateway_process(tmp_path, stub.port, listen={"body_timeout": 1}) as gateway:
        head = _head(gateway, "POST", "/upload", "Content-Length: 100\r\n\r\n")
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        writer.write(head + b"x" * 10)
        await writer.drain()
        started = time.monotonic()
        data = await _closed_by_server(reader, 6)
        writer.close()
        assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), data[:100]
        assert 0.9 < time.monotonic() - started < 5
        assert _state(stub).upload_bytes == 0  # Confluence never got a whole body

        # pauses shorter than the limit are fine, however long the upload takes in all
        reader, writer = await asyncio.open_connection("127.0.0.1", gateway.port)
        writer.write(head.replace(b"100", b"5"))
        for byte in b"hello":
            await asyncio.sleep(0.4)
            writer.write(bytes([byte]))
            await writer.drain()
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n"), 5)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 200 "), answer
        assert _state(stub).upload_bytes == 5
        assert "client upload paused over 1.0s: POST /confluence/upload" in gateway.log()
