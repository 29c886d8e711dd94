"""The editor's co-editing channel: socket.io over a WebSocket at `/doc/<key>/c/`.

The real editor (sdkjs `docscoapi.js`) connects socket.io 4 with `transports: ["websocket",
"polling"]`, so its first try is `/doc/<key>/c/?EIO=4&transport=websocket`, and that is what a proxy
in front of DS sees. The simulator speaks engine.io v4 on that transport (engineio.py): the server
opens with `0{"sid",…,"pingInterval","pingTimeout","maxPayload"}`, the client connects the main
namespace with `40` (optionally `40{auth}`), the server answers `40{"sid"}`; the server pings (`2`)
every pingInterval and closes the transport when the pong (`3`) has not come within pingTimeout.
The long-polling transport is not offered (the editor falls back to it only when the WebSocket
cannot be opened at all): `transport=polling` gets engine.io's "Transport unknown".

Inside, the editor's messages are socket.io events named `message` (`42["message",{...}]`), with
the simulator's small vocabulary:
client -> server: `{"type": "open", "config": {...}}` first (the signed config, as the real editor's
auth message carries the token; on a reconnect also `"session": <jwt>`, the session token DS gave in
`opened.jwt`, so an expired config token does not lock the editor out, reference §3.3), then `{"type": "append", "text": ...}`, `{"type": "save"}` (the Save
button: force-save) and `{"type": "close"}` (a clean close).
Server -> client: `opened` (connection, key, title, fileType, mode, user, text, users, warning,
outdated, jwt (the session token) and `settings.reconnection` when configured, as DS's auth answer), `state` (title, mode,
text, users: pushed whenever they change), `metaChange`, `drop`, `appended`, `saved`, `error`
(code, description) and `closed` (the connection was ended server-side).

When the server ends a connection on purpose it sends socket.io's DISCONNECT (`41`, "io server
disconnect": the editor must not reconnect) and closes the WebSocket with DS's code (reference
§3.1, §8.2): 4006 malformed or invalid token, 4005 expired token, 4004 access deny, 4008 when the
key was just saved (opened read-only, "version changed"), 1000 otherwise. A transport that just
goes away (network, ping timeout, server restart) carries no `41`: the editor reconnects with
backoff and opens the same key again, rejoining the session (within the save delay nothing is
saved in between). Frames that socket.io could not decode close the socket with 1003.
The socket going away is the participant leaving (status 1 or the save-delay flow of
`SessionManager.leave`); a clean `close` goes the same way but, as in DS (§2.2), without the save
delay: the edits are saved at once. On shutdown sockets close with 1001 and nobody leaves: the
sessions stay persisted and `restore()` saves them on the next start, like DS's shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import Any

from aiohttp import WSMsgType, web

from gateway.tasks import cancel_and_wait

from . import engineio
from .cache import base_url_from_request
from .engineio import EngineOptions, PacketError
from .models import Participant, Session
from .sessions import NoChanges, SessionManager, UnknownKey
from .tokens import EditorError

__all__ = ["CLOSE_CODES", "OUTDATED_CLOSE_CODE", "EditorChannel", "Reconnection", "users_of"]

log = logging.getLogger(__name__)

# EditorError code -> the socket close code DS uses for it (reference §3.1).
CLOSE_CODES = {-20: 4006, -120: 4005, -23: 4004}
OUTDATED_CLOSE_CODE = 4008

# (attempts, delay in seconds): what DS's auth answer may tell the editor about reconnecting.
Reconnection = tuple[int, float]


def users_of(session: Session) -> list[dict[str, str]]:
    return [{"id": p.user_id, "name": p.user_name, "mode": p.mode} for p in session.participants.values()]


def _engine_io_error(code: int, message: str) -> web.Response:
    """engine.io's refusal of a handshake: HTTP 400 with its JSON error."""
    return web.json_response({"code": code, "message": message}, status=400)


class _Connection:
    """One engine.io session on one WebSocket: reads packets, pings, and a pusher task sends state
    when the co-editing session changes."""

    def __init__(self, channel: EditorChannel, ws: web.WebSocketResponse, base_url: str) -> None:
        self.channel = channel
        self.manager = channel.manager
        self.options = channel.options
        self.ws = ws
        self.base_url = base_url
        self.sid = secrets.token_urlsafe(15)
        self.connected = False  # socket.io CONNECT done
        self.pong = asyncio.Event()
        self.participant: Participant | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.last_state: dict[str, Any] | None = None

    async def send_raw(self, packet: str) -> None:
        if not self.ws.closed:
            with contextlib.suppress(ConnectionResetError):  # the editor went away mid-send
                await self.ws.send_str(packet)

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_raw(engineio.event_packet("message", message))

    async def hang_up(self, code: int = 1000, reason: bytes = b"") -> None:
        """End the connection on purpose: "io server disconnect", so the editor stays away."""
        await self.send_raw(engineio.disconnect_packet())
        await self.ws.close(code=code, message=reason)

    async def refuse(self, error: EditorError) -> None:
        await self.send({"type": "error", "code": error.code, "description": error.description})
        reason = error.description.encode("ascii", "ignore")[:120]  # a close reason fits in 123 bytes
        await self.hang_up(CLOSE_CODES.get(error.code, 1000), reason)

    def state(self, session: Session, participant: Participant) -> dict[str, Any]:
        return {
            "type": "state",
            "title": session.title,
            "mode": participant.mode,
            "text": session.text,
            "users": users_of(session),
        }

    def spawn(self, coro: Any) -> None:
        self.tasks.append(asyncio.get_running_loop().create_task(coro))

    async def run(self) -> None:
        await self.send_raw(engineio.open_packet(self.sid, self.options))
        self.spawn(self.heartbeat())
        self.spawn(self.expect_connect())
        async for msg in self.ws:
            if msg.type is not WSMsgType.TEXT:
                await self.ws.close(code=1003, message=b"text frames only")
                return
            try:
                going = await self.packet(msg.data)
            except PacketError as exc:
                await self.ws.close(code=1003, message=str(exc).encode("ascii", "ignore")[:120])
                return
            if not going:
                return

    async def heartbeat(self) -> None:
        """engine.io v4: the server pings every pingInterval; no pong within pingTimeout ends it."""
        while not self.ws.closed:
            await asyncio.sleep(self.options.ping_interval)
            self.pong.clear()
            await self.send_raw(engineio.PING)
            try:
                async with asyncio.timeout(self.options.ping_timeout):
                    await self.pong.wait()
            except TimeoutError:
                log.info("docserver simulator: editor socket %s: ping timeout", self.sid)
                await self.ws.close(code=1000, message=b"ping timeout")
                return

    async def expect_connect(self) -> None:
        await asyncio.sleep(self.options.connect_timeout)
        if not self.connected:
            await self.ws.close(code=1000, message=b"connect timeout")

    async def packet(self, text: str) -> bool:
        """Handle one engine.io packet; False when the socket is done."""
        kind, rest = text[:1], text[1:]
        if kind == engineio.PONG:
            self.pong.set()
            return True
        if kind == engineio.PING:  # only "2probe" during an upgrade, which is never offered here
            return True
        if kind == engineio.CLOSE:
            await self.ws.close(code=1000)
            return False
        if kind != engineio.MESSAGE:
            raise PacketError(f"engine.io packet type {kind!r} is not one a client sends")
        packet = engineio.parse_socket_packet(rest)
        if packet.type == engineio.CONNECT:
            if packet.namespace != "/":
                await self.send_raw(engineio.connect_error_packet(packet.namespace, "Invalid namespace"))
                return True
            if not self.connected:
                self.connected = True
                await self.send_raw(engineio.connect_packet(secrets.token_urlsafe(15)))
            return True
        if not self.connected or packet.namespace != "/":
            return True  # socket.io drops packets for a namespace the client has not connected
        if packet.type == engineio.DISCONNECT:  # "client namespace disconnect": the editor leaves
            await self.ws.close(code=1000)
            return False
        if packet.type != engineio.EVENT or packet.data[0] != "message":
            return True  # acks, and events nobody listens to
        data = packet.data[1] if len(packet.data) > 1 else None
        if not isinstance(data, dict) or not isinstance(data.get("type"), str):
            raise PacketError("messages are JSON objects with a type")
        return await self.dispatch(data)

    async def dispatch(self, data: dict[str, Any]) -> bool:
        """Handle one message; False when the socket is done."""
        kind = data["type"]
        if kind == "open":
            session_token = data.get("session")
            return await self.open(
                data.get("config"), session_token if isinstance(session_token, str) else None
            )
        if self.participant is None:
            await self.send({"type": "error", "code": -1, "description": f"'{kind}' before 'open'."})
            return True
        connection = self.participant.connection
        if kind == "append":
            return await self.append(connection, data.get("text"))
        if kind == "save":
            try:
                saved = await self.manager.press_save(connection)
            except (UnknownKey, NoChanges):
                saved = False
            await self.send({"type": "saved", "saved": saved})
            return True
        if kind == "close":
            self.leave(clean=True)
            await self.ws.close(code=1000)
            return False
        await self.send({"type": "error", "code": -1, "description": f"Unknown message type '{kind}'."})
        return True

    async def open(self, config: Any, session_token: str | None = None) -> bool:
        if self.participant is not None:
            await self.send({"type": "error", "code": -1, "description": "Already open."})
            return True
        if not isinstance(config, dict):
            await self.refuse(EditorError(-20, "The config is missing."))
            return False
        try:
            result = await self.manager.open_config(
                config, base_url=self.base_url, browser=True, session_token=session_token
            )
        except EditorError as exc:
            await self.refuse(exc)
            return False
        session, participant = result.session, result.participant
        self.participant = participant
        opened = self.state(session, participant)
        self.last_state = dict(opened)
        opened.update(
            type="opened",
            connection=participant.connection,
            key=session.key,
            fileType=session.file_type,
            user={"id": participant.user_id, "name": participant.user_name},
            warning=result.warning,
            outdated=result.outdated,
        )
        if result.session_token is not None:
            opened["jwt"] = result.session_token
        if self.channel.reconnection is not None:
            attempts, delay = self.channel.reconnection
            opened["settings"] = {"reconnection": {"attempts": attempts, "delay": round(delay * 1000)}}
        await self.send(opened)
        if result.outdated:
            # §8.2: the key was just saved. The editor shows the text read-only, then DS hangs up.
            self.leave()
            await self.hang_up(OUTDATED_CLOSE_CODE, b"The file version has been changed")
            return False
        self.spawn(self.push(participant))
        return True

    async def append(self, connection: str, text: Any) -> bool:
        if not isinstance(text, str):
            await self.send({"type": "error", "code": -1, "description": "'text' must be a string."})
            return True
        try:
            session = self.manager.type_text(connection, text)
        except UnknownKey:
            return True  # the pusher reports the end of the connection
        except EditorError as exc:
            await self.send({"type": "error", "code": exc.code, "description": exc.description})
            return True
        await self.send({"type": "appended", "text": session.text})
        return True

    async def push(self, participant: Participant) -> None:
        """Send the session's state (and queued messages) each time it changes."""
        while True:
            await participant.changed.wait()
            participant.changed.clear()
            try:
                session, _ = self.manager.participant(participant.connection)
            except UnknownKey:  # left through a test hook or a command: tell the editor, hang up
                self.participant = None
                await self.send({"type": "closed"})
                await self.hang_up()
                return
            messages, participant.messages = participant.messages, []
            for message in messages:
                await self.send(message)
            state = self.state(session, participant)
            if state != self.last_state:
                self.last_state = state
                await self.send(state)

    def leave(self, *, clean: bool = False) -> None:
        if self.participant is not None:
            connection, self.participant = self.participant.connection, None
            self.manager.leave(connection, clean=clean)

    async def finish(self) -> None:
        """The socket ended: stop its pusher and pinger, and the participant leaves — also when the
        handler is being cancelled (a client that vanished), which is the usual way a socket ends."""
        try:
            for task in self.tasks:
                try:
                    await cancel_and_wait(task)
                except Exception:
                    log.exception("docserver simulator: an editor socket's task failed")
        finally:
            if not self.channel.shutting_down:
                self.leave()


class EditorChannel:
    """The `/doc/<key>/c/` WebSocket endpoint and the sockets it has open (closed on shutdown)."""

    def __init__(
        self, manager: SessionManager, options: EngineOptions, reconnection: Reconnection | None = None
    ) -> None:
        self.manager = manager
        self.options = options
        self.reconnection = reconnection
        self.sockets: set[web.WebSocketResponse] = set()
        self.shutting_down = False

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/doc/{key}/c/", self.handle)
        app.on_shutdown.append(self.shutdown)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("EIO") != "4":
            return _engine_io_error(5, "Unsupported protocol version")
        if request.query.get("transport") != "websocket":
            return _engine_io_error(0, "Transport unknown")
        # engine.io does its own liveness (pings above); a frame over maxPayload closes with 1009.
        ws = web.WebSocketResponse(
            max_msg_size=self.options.max_payload, timeout=min(self.options.ping_timeout, 10.0)
        )
        if not ws.can_prepare(request).ok:
            return _engine_io_error(3, "Bad request")
        await ws.prepare(request)
        self.sockets.add(ws)
        connection = _Connection(self, ws, base_url_from_request(request))
        try:
            await connection.run()
        finally:
            self.sockets.discard(ws)
            await connection.finish()
        return ws

    async def shutdown(self, app: web.Application) -> None:
        self.shutting_down = True
        for ws in list(self.sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"server shutdown")
