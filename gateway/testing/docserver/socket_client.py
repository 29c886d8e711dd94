"""A small socket.io client for the editor's channel, for tests that act as the editor without a browser.

It does what socket.io-client does on the WebSocket transport: reads the engine.io open packet,
connects the main namespace (`40`), waits for the server's `40{"sid"}`, answers the server's pings
(`2` -> `3`) while it reads, and wraps/unwraps `message` events. `answer_pings=False` plays an
editor that stopped answering.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from . import engineio

__all__ = ["EditorSocket", "HandshakeError", "connect_editor"]


class HandshakeError(Exception):
    """The server did not open an engine.io session and connect the namespace."""


@dataclass
class EditorSocket:
    ws: aiohttp.ClientWebSocketResponse
    handshake: dict[str, Any]
    socket_id: str = ""
    answer_pings: bool = True
    pings: int = 0
    disconnected: bool = False  # the server sent socket.io DISCONNECT ("io server disconnect")
    frames: list[str] = field(default_factory=list)  # every text frame received, for assertions

    @property
    def closed(self) -> bool:
        return self.ws.closed

    @property
    def close_code(self) -> int | None:
        return self.ws.close_code

    async def send(self, message: dict[str, Any]) -> None:
        """`socket.emit("message", message)`."""
        await self.ws.send_str(engineio.event_packet("message", message))

    send_json = send  # the name aiohttp's own socket has, so tests read the same

    async def send_raw(self, packet: str) -> None:
        await self.ws.send_str(packet)

    async def close(self, *, code: int = 1000) -> None:
        await self.ws.close(code=code)

    async def frame(self) -> aiohttp.WSMessage:
        """The next frame that is not a ping (pings are answered here when `answer_pings`)."""
        while True:
            msg = await self.ws.receive()
            if msg.type is not aiohttp.WSMsgType.TEXT:
                return msg
            self.frames.append(msg.data)
            if msg.data == engineio.PING:
                self.pings += 1
                if self.answer_pings:
                    await self.ws.send_str(engineio.PONG)
                continue
            if msg.data == engineio.disconnect_packet():
                self.disconnected = True
            return msg

    async def receive(self, kind: str | None = None, timeout: float = 10.0) -> dict[str, Any]:
        """The next `message` event (of type `kind`, skipping others); fails on a close."""
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.frame()
                assert msg.type is aiohttp.WSMsgType.TEXT, (msg.type, msg.data, msg.extra)
                data = _message_of(msg.data)
                if data is not None and (kind is None or data.get("type") == kind):
                    return data

    async def closed_with(self, timeout: float = 10.0) -> int | None:
        """Read until the server closes the socket; its close code."""
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.frame()
                if msg.type is aiohttp.WSMsgType.CLOSE:
                    return int(msg.data)
                if msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                    return self.ws.close_code


def _message_of(text: str) -> dict[str, Any] | None:
    if not text.startswith(engineio.MESSAGE):
        return None
    packet = engineio.parse_socket_packet(text[1:])
    if packet.type != engineio.EVENT or packet.data[0] != "message" or len(packet.data) < 2:
        return None
    data = packet.data[1]
    return data if isinstance(data, dict) else None


async def connect_editor(
    client: aiohttp.ClientSession,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    auth: dict[str, Any] | None = None,
    answer_pings: bool = True,
    timeout: float = 10.0,
) -> EditorSocket:
    """Open `url` (`…/doc/<key>/c/?EIO=4&transport=websocket`) and connect the main namespace."""
    ws = await client.ws_connect(url, headers=headers or {}, autoping=True)
    try:
        async with asyncio.timeout(timeout):
            first = await ws.receive()
            if first.type is not aiohttp.WSMsgType.TEXT or not first.data.startswith(engineio.OPEN):
                raise HandshakeError(f"expected the engine.io open packet, got {first.type} {first.data!r}")
            socket = EditorSocket(ws, json.loads(first.data[1:]), answer_pings=answer_pings)
            socket.frames.append(first.data)
            connect = f"{engineio.MESSAGE}{engineio.CONNECT}"
            await ws.send_str(connect + (json.dumps(auth) if auth is not None else ""))
            answer = await socket.frame()
            if answer.type is not aiohttp.WSMsgType.TEXT or not answer.data.startswith(connect + "{"):
                raise HandshakeError(f"expected the socket.io CONNECT answer, got {answer.data!r}")
            socket.socket_id = str(json.loads(answer.data[2:])["sid"])
            return socket
    except BaseException:
        await ws.close()
        raise
