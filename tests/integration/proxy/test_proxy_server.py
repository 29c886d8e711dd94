"""`python -m gateway serve` as a real process: serving, and graceful shutdown on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from gateway.loop import ENV
from tests.integration.proxy.proxy_fixtures import gateway_process
from tests.integration.proxy.upstream_stub import CTX


async def test_serve_proxies_and_logs_parser(tmp_path: Path, stub: TestServer) -> None:
    assert stub.port is not None
    async with gateway_process(tmp_path, stub.port) as gateway:
        async with aiohttp.ClientSession() as session, session.get(gateway.url(f"{CTX}/echo")) as response:
            assert response.status == 200
        assert "HTTP parser: c (llhttp)" in gateway.log()


async def test_serve_runs_on_uvloop_unless_turned_off(tmp_path: Path, stub: TestServer) -> None:
    """The test install includes the `speed` extra, so what ships (uvloop) is what is tested."""
    assert stub.port is not None
    async with gateway_process(tmp_path, stub.port) as gateway:
        assert "event loop: uvloop" in gateway.log()
    async with gateway_process(tmp_path, stub.port, env={ENV: "asyncio"}) as gateway:
        async with aiohttp.ClientSession() as session, session.get(gateway.url(f"{CTX}/echo")) as response:
            assert response.status == 200
        assert "event loop: asyncio" in gateway.log()


async def test_unknown_event_loop_is_a_clear_error(tmp_path: Path, stub: TestServer) -> None:
    assert stub.port is not None
    with pytest.raises(AssertionError, match="exited early") as failed:
        async with gateway_process(tmp_path, stub.port, env={ENV: "trio"}):
            pass
    assert "GATEWAY_EVENT_LOOP must be one of auto, uvloop, asyncio, not 'trio'" in str(failed.value)
    assert "Traceback" not in str(failed.value)


async def test_pure_python_parser_is_warned_about(tmp_path: Path, stub: TestServer) -> None:
    assert stub.port is not None
    async with gateway_process(tmp_path, stub.port, env={"AIOHTTP_NO_EXTENSIONS": "1"}) as gateway:
        assert "HTTP parser: python" in gateway.log()
        assert "pure-Python HTTP parser" in gateway.log()


async def test_sigterm_drains_in_flight_request(tmp_path: Path, stub: TestServer) -> None:
    assert stub.port is not None
    async with gateway_process(tmp_path, stub.port, shutdown_drain_delay=1.5) as gateway:
        async with aiohttp.ClientSession() as session:

            async def slow() -> tuple[int, str]:
                async with session.get(gateway.url(f"{CTX}/slow?delay=3")) as response:
                    return response.status, await response.text()

            in_flight = asyncio.create_task(slow())
            await asyncio.sleep(0.5)  # the request is at the upstream now
            gateway.process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.2)
            async with aiohttp.ClientSession() as probe, probe.get(gateway.url("/readyz")) as response:
                assert response.status == 503  # readiness flips first, while the listener still answers
            assert await in_flight == (200, "slow done")
            assert await asyncio.wait_for(gateway.process.wait(), 10) == 0
        assert "shutting down" in gateway.log()


async def test_sigterm_with_nothing_in_flight_exits_promptly(tmp_path: Path, stub: TestServer) -> None:
    assert stub.port is not None
    async with gateway_process(tmp_path, stub.port) as gateway:
        gateway.process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(gateway.process.wait(), 5) == 0


async def test_sigterm_tells_open_websockets_going_away(tmp_path: Path, stub: TestServer) -> None:
    """Open WebSockets would hold shutdown for shutdown_timeout; they are closed with 1001 instead."""
    assert stub.port is not None
    async with gateway_process(tmp_path, stub.port, shutdown_timeout=30) as gateway:
        async with aiohttp.ClientSession() as session, session.ws_connect(gateway.url("/synchrony/v1")) as ws:
            await ws.send_str("hi")
            assert (await ws.receive(timeout=5)).data == "hi"
            gateway.process.send_signal(signal.SIGTERM)
            message = await ws.receive(timeout=10)
            assert message.type is aiohttp.WSMsgType.CLOSE
            assert message.data == 1001
        assert await asyncio.wait_for(gateway.process.wait(), 10) == 0
