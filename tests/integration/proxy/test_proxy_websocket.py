"""WebSocket bridging (Synchrony) through the gateway: echo, subprotocols, close codes both ways."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import WSMsgType

from tests.integration.proxy.proxy_fixtures import MakeGateway
from tests.integration.proxy.upstream_stub import CTX

PATHS = ["/synchrony/v1", f"{CTX}/synchrony-proxy/v1"]


@pytest.mark.parametrize("path", PATHS)
async def test_echo_text_binary_and_subprotocol(make_gateway: MakeGateway, path: str) -> None:
    gw = await make_gateway()
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(gw.url(path), protocols=("synchrony-v1",), autoping=False) as ws,
    ):
        assert ws.protocol == "synchrony-v1"
        await ws.send_str("hello")
        assert (await ws.receive(timeout=5)).data == "hello"
        payload = bytes(range(256)) * 4000  # ~1 MiB binary message
        await ws.send_bytes(payload)
        message = await ws.receive(timeout=5)
        assert message.type is WSMsgType.BINARY and message.data == payload
        await ws.ping(b"are-you-there")
        pong = await ws.receive(timeout=5)
        assert pong.type is WSMsgType.PONG and pong.data == b"are-you-there"
        await ws.send_str("headers")
        seen = {k.lower(): v for k, v in json.loads((await ws.receive(timeout=5)).data).items()}
        assert seen["x-forwarded-for"] == "127.0.0.1"
        assert seen["host"] == f"127.0.0.1:{gw.port}"
    assert gw.stub.ws_close_codes == [1000]


async def test_upstream_close_code_reaches_client(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    async with aiohttp.ClientSession() as session, session.ws_connect(gw.url(PATHS[0])) as ws:
        await ws.send_str("close:4001")
        message = await ws.receive(timeout=5)
        assert message.type is WSMsgType.CLOSE
        assert message.data == 4001
        assert message.extra == "bye"


async def test_client_close_code_reaches_upstream(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(gw.url(PATHS[1]))
        await ws.send_str("x")
        await ws.receive(timeout=5)
        await ws.close(code=4002, message=b"leaving")
    for _ in range(50):
        if gw.stub.ws_close_codes:
            break
        await asyncio.sleep(0.05)
    assert gw.stub.ws_close_codes == [4002]
    assert gw.server.app is not None


async def test_refused_handshake_status_passed_on(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as raised:
            await session.ws_connect(gw.url(f"{CTX}/ws-refused"))
        assert raised.value.status == 403


async def test_message_over_limit_closes_with_1009(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(websocket_max_message_bytes=1000)
    async with aiohttp.ClientSession() as session, session.ws_connect(gw.url(PATHS[0])) as ws:
        await ws.send_bytes(b"a" * 5000)
        message = await ws.receive(timeout=5)
        assert message.type is WSMsgType.CLOSE
        assert message.data == 1009


async def test_websocket_metric_counts_open_bridges(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(gw.url(PATHS[0])) as ws:
            await ws.send_str("x")
            await ws.receive(timeout=5)
            async with session.get(gw.url("/metrics")) as response:
                assert 'gateway_websockets_open{upstream="confluence"} 1.0' in await response.text()
        await asyncio.sleep(0.1)
        async with session.get(gw.url("/metrics")) as response:
            assert 'gateway_websockets_open{upstream="confluence"} 0.0' in await response.text()


async def test_heartbeat_keeps_idle_healthy_bridge_open(make_gateway: MakeGateway) -> None:
    """Idle for several heartbeats: pings are answered (the client keeps reading, as browsers do)."""
    gw = await make_gateway(websocket_heartbeat=1.0)  # pong awaited 0.5 s: margin for a busy machine
    async with aiohttp.ClientSession() as session, session.ws_connect(gw.url(PATHS[0])) as ws:
        received: asyncio.Queue[aiohttp.WSMessage] = asyncio.Queue()

        async def read() -> None:
            async for message in ws:
                await received.put(message)

        reader = asyncio.create_task(read())
        await asyncio.sleep(2.5)
        assert received.empty()
        await ws.send_str("still here")
        message = await asyncio.wait_for(received.get(), 5)
        assert message.data == "still here"
        reader.cancel()


async def test_heartbeat_closes_a_dead_client(make_gateway: MakeGateway) -> None:
    """A client that stops answering pings is dropped, and the upstream is told."""
    gw = await make_gateway(websocket_heartbeat=0.3)
    async with aiohttp.ClientSession() as session, session.ws_connect(gw.url(PATHS[0])) as ws:
        await asyncio.sleep(1.0)  # not reading: no pong goes back
        for _ in range(100):
            if gw.stub.ws_close_codes:
                break
            await asyncio.sleep(0.05)
        assert gw.stub.ws_close_codes == [1001]  # going away, not a normal close
        assert ws is not None
