"""Helpers for the Document Server simulator contract tests.

`host` is a real stub storage host on a loopback socket: it serves documents (recording and
verifying DS's outbox header token) and answers callbacks with a programmable script of replies.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.testing.docserver import DocServer
from gateway.testing.docserver.socket_client import EditorSocket, connect_editor

SECRET = "simulator-test-secret-" + "0123456789abcdef" * 3  # 64 bytes: fine for HS512 too


@dataclass
class HostRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    claims: dict[str, Any] | None = None


@dataclass
class StubHost:
    """Storage host stand-in: documents under /files/, callbacks at /callback (scripted answers)."""

    server: TestServer | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    downloads: list[HostRequest] = field(default_factory=list)
    callbacks: list[HostRequest] = field(default_factory=list)
    script: list[str] = field(default_factory=list)
    default_reply: str = "ok"
    got_callback: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(path))

    def bodies(self, status: int | None = None) -> list[dict[str, Any]]:
        found = [json.loads(r.body) for r in self.callbacks]
        return [b for b in found if status is None or b.get("status") == status]

    async def wait_callbacks(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.callbacks) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} callbacks, got {self.bodies()}")
            await asyncio.sleep(0.02)
        return self.bodies()

    async def download(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        header = request.headers.get("Authorization", "")
        claims = None
        if header.startswith("Bearer "):
            claims = jwt.decode(header[7:], SECRET, algorithms=["HS256"])
        record = HostRequest(request.path_qs, dict(request.headers), b"", time.monotonic(), claims)
        self.downloads.append(record)
        if name not in self.files:
            raise web.HTTPNotFound()
        return web.Response(body=self.files[name], content_type="application/octet-stream")

    async def callback(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.callbacks.append(HostRequest(request.path_qs, dict(request.headers), body, time.monotonic()))
        self.got_callback.set()
        reply = self.script.pop(0) if self.script else self.default_reply
        if reply == "ok":
            return web.json_response({"error": 0})
        if reply == "error1":
            return web.json_response({"error": 1})
        if reply == "zero-string":  # DS compares with ==, so "0" counts, whatever the content type
            return web.Response(text='{"error":"0"}', content_type="text/plain")
        if reply == "empty204":
            return web.Response(status=204)
        if reply == "drop":
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError()
        return web.json_response({"error": 1}, status=int(reply))


@dataclass
class Sim:
    server: TestServer
    state: DocServer
    client: aiohttp.ClientSession = field(default_factory=aiohttp.ClientSession)
    sockets: dict[str, EditorSocket] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    @property
    def base(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    def socket_url(self, key: str) -> str:
        return self.url(f"/doc/{key}/c/?EIO=4&transport=websocket")

    async def connect(self, key: str, *, answer_pings: bool = True, **headers: str) -> EditorSocket:
        """The editor's socket, as the real editor opens it (engine.io open, socket.io connect)."""
        return await connect_editor(
            self.client, self.socket_url(key), headers=headers, answer_pings=answer_pings
        )

    async def open_socket(
        self, config: dict[str, Any], **headers: str
    ) -> tuple[EditorSocket, dict[str, Any]]:
        """Connect, send `open` with `config`, and return the socket with the first answer."""
        ws = await self.connect(str(config.get("document", {}).get("key", "x")), answer_pings=True, **headers)
        await ws.send_json({"type": "open", "config": config})
        answer = await receive(ws)
        if answer.get("type") == "opened":
            self.sockets[answer["connection"]] = ws
        return ws, answer

    async def close(self) -> None:
        for ws in self.sockets.values():
            await ws.close()
        await self.client.close()


async def receive(ws: EditorSocket, kind: str | None = None) -> dict[str, Any]:
    """The next message event (of type `kind`, skipping others); fails on a close or after 10 s."""
    return await ws.receive(kind)


async def closed_with(ws: EditorSocket) -> int | None:
    """Read until the server closes the socket; its close code."""
    return await ws.closed_with()


SimFactory = Callable[..., Awaitable[Sim]]


def sign(payload: dict[str, Any], secret: str = SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    body = dict(payload)
    body.update(claims)
    return jwt.encode(body, secret, algorithm=algorithm)


def editor_config(
    host: StubHost,
    key: str,
    *,
    name: str = "report.docx",
    user: str = "alice",
    mode: str = "edit",
    forcesave: bool = False,
    sign_it: bool = True,
    permissions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A config as a storage host builds it, signed over everything but `events`/`token`."""
    ext = name.rsplit(".", 1)[1]
    config: dict[str, Any] = {
        "documentType": "cell" if ext == "xlsx" else "word",
        "document": {
            "fileType": ext,
            "key": key,
            "title": name,
            "url": host.url(f"/files/{name}"),
            "permissions": permissions or {"edit": mode == "edit", "download": True},
        },
        "editorConfig": {
            "callbackUrl": host.url("/callback"),
            "mode": mode,
            "user": {"id": user, "name": user.title()},
            "customization": {"forcesave": forcesave},
        },
    }
    if sign_it:
        config["token"] = sign(config, exp=int(time.time()) + 300)
    return config
