"""The editor's co-editing channel: one WebSocket per editor connection at `/doc/<key>/c/`.

The real editor speaks socket.io (engine.io v4) over a WebSocket at
`/doc/<key>/c/?EIO=4&transport=websocket`; a proxy in front of DS sees that upgrade. The simulator
takes the same URL and query (EIO must be 4, transport must be `websocket`: the engine.io errors
otherwise), but simplifies what travels inside: no engine.io/socket.io framing (no `0{sid…}`
handshake, `2`/`3` pings or `42[...]` events), just one JSON object per text frame, and no
long-polling transport. Liveness is WebSocket ping/pong (aiohttp's heartbeat) instead of engine.io's.

Client -> server: `{"type": "open", "config": {...}}` first (the signed config, as the real editor's
auth message carries the token), then `{"type": "append", "text": ...}`, `{"type": "save"}` (the Save
button: force-save) and `{"type": "close"}` (a clean close).
Server -> client: `opened` (connection, key, title, fileType, mode, user, text, users, warning,
outdated), `state` (title, mode, text, users: pushed whenever they change), `metaChange`, `drop`,
`appended`, `saved`, `error` (code, description) and `closed` (the connection was ended server-side).

Close codes as DS (reference §3.1, §8.2): 4006 malformed or invalid token, 4005 expired token, 4004
access deny; 4008 when the key was just saved (the editor opened read-only, "version changed").
The socket going away is the participant leaving (status 1 or the save-delay flow of
`SessionManager.leave`); a clean `close` goes the same way but, as in DS (§2.2), without the save
delay: the edits are saved at once. On shutdown sockets close with 1001 and nobody leaves: the sessions stay persisted
and `restore()` saves them on the next start, like DS's shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from gateway.tasks import cancel_and_wait

from .cache import base_url_from_request
from .models import Participant, Session
from .sessions import NoChanges, SessionManager, UnknownKey
from .tokens import EditorError

__all__ = ["CLOSE_CODES", "OUTDATED_CLOSE_CODE", "EditorChannel", "users_of"]

log = logging.getLogger(__name__)

# EditorError code -> the socket close code DS uses for it (reference §3.1).
CLOSE_CODES = {-20: 4006, -120: 4005, -23: 4004}
OUTDATED_CLOSE_CODE = 4008


def users_of(session: Session) -> list[dict[str, str]]:
    return [{"id": p.user_id, "name": p.user_name, "mode": p.mode} for p in session.participants.values()]


def _engine_io_error(code: int, message: str) -> web.Response:
    """engine.io's refusal of a handshake: HTTP 400 with its JSON error."""
    return web.json_response({"code": code, "message": message}, status=400)


class _Connection:
    """One socket: reads the client's messages; a pusher task sends state when the session changes."""

    def __init__(self, channel: EditorChannel, ws: web.WebSocketResponse, base_url: str) -> None:
        self.channel = channel
        self.manager = channel.manager
        self.ws = ws
        self.base_url = base_url
        self.participant: Participant | None = None
        self.pusher: asyncio.Task[None] | None = None
        self.last_state: dict[str, Any] | None = None

    async def send(self, message: dict[str, Any]) -> None:
        if not self.ws.closed:
            with contextlib.suppress(ConnectionResetError):  # the editor went away mid-send
                await self.ws.send_str(json.dumps(message))

    async def refuse(self, error: EditorError) -> None:
        await self.send({"type": "error", "code": error.code, "description": error.description})
        reason = error.description.encode("ascii", "ignore")[:120]  # a close reason fits in 123 bytes
        await self.ws.close(code=CLOSE_CODES.get(error.code, 1000), message=reason)

    def state(self, session: Session, participant: Participant) -> dict[str, Any]:
        return {
            "type": "state",
            "title": session.title,
            "mode": participant.mode,
            "text": session.text,
            "users": users_of(session),
        }

    async def run(self) -> None:
        async for msg in self.ws:
            if msg.type is not WSMsgType.TEXT:
                await self.ws.close(code=1003, message=b"text frames only")
                return
            try:
                data = json.loads(msg.data)
            except ValueError:
                data = None
            if not isinstance(data, dict) or not isinstance(data.get("type"), str):
                await self.ws.close(code=1003, message=b"messages are JSON objects with a type")
                return
            if not await self.dispatch(data):
                return

    async def dispatch(self, data: dict[str, Any]) -> bool:
        """Handle one message; False when the socket is done."""
        kind = data["type"]
        if kind == "open":
            return await self.open(data.get("config"))
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

    async def open(self, config: Any) -> bool:
        if self.participant is not None:
            await self.send({"type": "error", "code": -1, "description": "Already open."})
            return True
        if not isinstance(config, dict):
            await self.refuse(EditorError(-20, "The config is missing."))
            return False
        try:
            result = await self.manager.open_config(config, base_url=self.base_url, browser=True)
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
        await self.send(opened)
        if result.outdated:
            # §8.2: the key was just saved. The editor shows the text read-only, then DS hangs up.
            self.leave()
            await self.ws.close(code=OUTDATED_CLOSE_CODE, message=b"The file version has been changed")
            return False
        self.pusher = asyncio.get_running_loop().create_task(self.push(participant))
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
                await self.ws.close(code=1000)
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
        """The socket ended: stop its pusher, and the participant leaves — also when the handler is
        being cancelled (a client that vanished), which is the usual way a socket ends."""
        try:
            if self.pusher is not None:
                try:
                    await cancel_and_wait(self.pusher)
                except Exception:
                    log.exception("docserver simulator: the editor socket's state pusher failed")
        finally:
            if not self.channel.shutting_down:
                self.leave()


class EditorChannel:
    """The `/doc/<key>/c/` WebSocket endpoint and the sockets it has open (closed on shutdown)."""

    def __init__(self, manager: SessionManager, heartbeat: float) -> None:
        self.manager = manager
        self.heartbeat = heartbeat
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
        ws = web.WebSocketResponse(heartbeat=self.heartbeat)
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
