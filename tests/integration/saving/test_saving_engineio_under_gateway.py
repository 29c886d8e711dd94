"""The editor's engine.io session through the gateway's WebSocket bridge (Document Server mount).

A raw socket.io client (what the editor iframe runs) talks to the Document Server simulator under
the gateway's `/ds-vpath`: the handshake and the server's pings cross the bridge untouched, and
when the connection drops (the client's socket killed, or the Document Server restarted) a new
connection to the same key rejoins the session and the edits of both end up in one save.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path
from typing import Any

import aiohttp

from gateway.testing.docserver.socket_client import EditorSocket, HandshakeError, connect_editor
from gateway.testing.stack import Stack, running_stack
from tests.integration.saving.saving_helpers import (
    attachment,
    basic,
    callbacks,
    editor_config,
    metric_value,
    text_of,
    wait_for,
)

PREFIX = "/ds-vpath"
HEADERS = {"Authorization": basic("alice", "alice"), "Cookie": "JSESSIONID=alice-confluence-session"}
PINGS = {"ping_interval": 0.2, "ping_timeout": 0.4}


def socket_url(stack: Stack, key: str) -> str:
    return f"ws://{stack.host}:{stack.gateway_port}{PREFIX}/doc/{key}/c/?EIO=4&transport=websocket"


async def open_through_gateway(
    stack: Stack, client: aiohttp.ClientSession, config: dict[str, Any]
) -> tuple[EditorSocket, dict[str, Any]]:
    """Connect (retrying while the far side is not up yet, as the editor's backoff does) and open."""
    for _ in range(100):
        try:
            ws = await connect_editor(client, socket_url(stack, config["document"]["key"]), headers=HEADERS)
            break
        except (aiohttp.WSServerHandshakeError, HandshakeError, aiohttp.ClientError):
            await asyncio.sleep(0.05)
    else:
        raise AssertionError("the editor socket never came back")
    await ws.send({"type": "open", "config": config})
    opened = await ws.receive("opened")
    return ws, opened


async def append(ws: EditorSocket, text: str) -> str:
    await ws.send({"type": "append", "text": text})
    appended = await ws.receive("appended")
    return str(appended["text"])


async def test_handshake_pings_and_messages_cross_the_bridge() -> None:
    async with (
        running_stack(docserver_path=PREFIX, save_delay=0.2, docserver=PINGS) as stack,
        aiohttp.ClientSession() as client,
    ):
        att = attachment(stack)
        config = await editor_config(stack, att.id)
        ws, opened = await open_through_gateway(stack, client, config)
        assert ws.handshake["pingInterval"] == 200 and ws.handshake["pingTimeout"] == 400
        assert ws.handshake["upgrades"] == [] and ws.frames[0].startswith('0{"sid":')
        assert opened["mode"] == "edit"
        assert await metric_value(stack, "gateway_websockets_open", upstream="documentserver") == 1
        # Idle for well over pingTimeout: the server's pings arrive through the gateway, the
        # answers go back, and the session stays.
        async with asyncio.timeout(10):
            while ws.pings < 4:  # reading answers them
                with contextlib.suppress(TimeoutError):
                    await ws.receive(timeout=0.05)
        assert "Hello" in await append(ws, "Hello over engine.io")
        assert not ws.closed and len(stack.docserver.sessions) == 1
        await ws.send({"type": "close"})
        assert await ws.closed_with() == 1000
        await stack.docserver.drain()
        assert [c.status for c in callbacks(stack)] == [1, 2]
        assert "Hello over engine.io" in text_of(stack, att)


async def test_a_client_that_stops_answering_through_the_gateway_is_dropped() -> None:
    async with (
        running_stack(docserver_path=PREFIX, save_delay=0.2, docserver=PINGS) as stack,
        aiohttp.ClientSession() as client,
    ):
        config = await editor_config(stack, attachment(stack).id)
        ws, _ = await open_through_gateway(stack, client, config)
        ws.answer_pings = False
        assert await ws.closed_with() == 1000  # the Document Server's ping timeout, passed on
        assert ws.pings == 1 and not ws.disconnected
        await wait_for(lambda: callbacks(stack, status=4), what="status 4")
        assert stack.docserver.sessions == {}


async def test_a_killed_client_socket_reconnects_and_the_session_continues() -> None:
    async with (
        running_stack(docserver_path=PREFIX, save_delay=3.0, docserver=PINGS) as stack,
        aiohttp.ClientSession() as client,
    ):
        att = attachment(stack)
        before = att.current.number
        config = await editor_config(stack, att.id)
        ws, first = await open_through_gateway(stack, client, config)
        await append(ws, "Typed before the drop")
        raw = ws.ws.get_extra_info("socket")
        assert raw is not None
        raw.shutdown(socket.SHUT_RDWR)  # the browser's end goes away, as when its process is killed
        key = config["document"]["key"]
        await wait_for(lambda: not stack.docserver.sessions[key].participants, what="the editor to leave")
        assert stack.docserver.sessions[key].save_task is not None  # the save delay is running

        ws, again = await open_through_gateway(stack, client, config)
        assert again["connection"] != first["connection"]
        assert "Typed before the drop" in again["text"]
        assert stack.docserver.sessions[key].save_task is None  # rejoined in time: no save yet
        assert "Typed after the drop" in await append(ws, "Typed after the drop")
        await ws.send({"type": "close"})
        assert await ws.closed_with() == 1000
        await stack.docserver.drain()
        assert len(callbacks(stack, status=2)) == 1
        assert [v.number for v in att.versions][-2:] == [before, before + 1]
        text = text_of(stack, att)
        assert "Typed before the drop" in text and "Typed after the drop" in text


async def test_a_restarted_document_server_takes_the_editor_back(tmp_path: Path) -> None:
    async with (
        running_stack(docserver_path=PREFIX, save_delay=3.0, data_dir=tmp_path, docserver=PINGS) as stack,
        aiohttp.ClientSession() as client,
    ):
        att = attachment(stack)
        before = att.current.number
        config = await editor_config(stack, att.id)
        ws, _ = await open_through_gateway(stack, client, config)
        await append(ws, "Typed before the restart")
        closing = asyncio.create_task(ws.closed_with())
        await stack.restart_docserver(pause=0.3)
        assert await closing == 1001  # DS's shutdown, through the bridge...
        assert not ws.disconnected  # ...without socket.io's DISCONNECT: the editor comes back

        ws, again = await open_through_gateway(stack, client, config)
        assert "Typed before the restart" in again["text"]  # the persisted session, not a new download
        assert "Typed after the restart" in await append(ws, "Typed after the restart")
        await ws.send({"type": "close"})
        assert await ws.closed_with() == 1000
        await stack.docserver.drain()
        assert len(callbacks(stack, status=2)) == 1
        assert att.current.number == before + 1
        text = text_of(stack, att)
        assert "Typed before the restart" in text and "Typed after the restart" in text
