"""Assemble the Document Server simulator: routes, state on app keys, lifecycle, and the CLI runner."""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from . import convert
from .blobs import BlobStore
from .cache import CacheFiles
from .callbacks import CallbackAttempt, CallbackSender
from .channel import EditorChannel, Reconnection
from .command import CommandService, build_number
from .docbuilder import DocBuilder
from .downloadfile import DownloadFile
from .editor import EditorRoutes
from .egress import Egress
from .engineio import EngineOptions
from .models import Participant, Session
from .sessions import OpenResult, SessionManager
from .store import DocStore, ForgottenFile

__all__ = ["DOCSERVER", "DocServer", "create_docserver_app", "run_docserver"]

log = logging.getLogger(__name__)


@dataclass
class DocServer:
    """The simulator's state and the test hooks (the same code paths the browser editor uses)."""

    manager: SessionManager
    store: DocStore
    cache: CacheFiles
    sender: CallbackSender
    converter: convert.Converter
    egress: Egress
    version: str

    # -- state for assertions ---------------------------------------------------------------
    @property
    def sessions(self) -> dict[str, Session]:
        return self.manager.sessions

    @property
    def callback_log(self) -> list[CallbackAttempt]:
        return self.sender.log

    @property
    def forgotten(self) -> dict[str, ForgottenFile]:
        return self.store.forgotten

    def forgotten_content(self, key: str) -> bytes | None:
        found = self.store.get_forgotten(key)
        return found[1] if found else None

    # -- hooks: act as an editor without a browser --------------------------------------------
    async def open(self, config: dict[str, Any], *, base_url: str) -> OpenResult:
        """Open an editor with a full (signed) config, as the iframe does; raises EditorError."""
        return await self.manager.open_config(config, base_url=base_url)

    async def join(self, key: str, user: dict[str, str] | str, mode: str = "edit", **kw: Any) -> Participant:
        """Join the open session of `key` as another user."""
        return await self.manager.join(key, user, mode, **kw)

    def type_text(self, participant: Participant | str, text: str) -> None:
        self.manager.type_text(_conn(participant), text)

    async def force_save(self, participant: Participant | str) -> bool:
        """The Save button of that editor; False when there was nothing to save."""
        return await self.manager.press_save(_conn(participant))

    def leave(self, participant: Participant | str) -> None:
        self.manager.leave(_conn(participant))

    def corrupt_next_save(self, key: str) -> None:
        """Make the next assembly of `key` fail: status 3 (or 7 for a force-save), without `url`."""
        self.manager.sessions[key].corrupt_next_save = True

    async def drain(self) -> None:
        """Wait for all pending callbacks, retries and save timers."""
        await self.manager.drain()


def _conn(participant: Participant | str) -> str:
    return participant if isinstance(participant, str) else participant.connection


DOCSERVER = web.AppKey("docserver", DocServer)


@web.middleware
async def _no_tracebacks(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException:
        raise
    except Exception:
        log.exception("docserver simulator: error handling %s %s", request.method, request.path)
        return web.Response(status=500, text="Internal Server Error")


async def _healthcheck(request: web.Request) -> web.Response:
    return web.Response(text="true", content_type="text/plain")


async def _index(request: web.Request) -> web.Response:
    version = request.app[DOCSERVER].version
    return web.Response(
        text=f"Server is functioning normally. Version: {version}. Build: 1", content_type="text/plain"
    )


async def _welcome(request: web.Request) -> web.Response:
    return web.Response(
        text="<!DOCTYPE html><html><head><title>ONLYOFFICE Docs</title></head><body>"
        "<h1>ONLYOFFICE Document Server simulator</h1><p>Document Server is running.</p></body></html>",
        content_type="text/html",
    )


async def _root(request: web.Request) -> web.Response:
    raise web.HTTPFound("welcome/")


async def _meta_config(request: web.Request) -> web.Response:
    egress = request.app[DOCSERVER].egress
    return web.json_response(
        {
            "authorization": {"header": egress.jwt_header, "prefix": "Bearer "},
            "urls": {
                "api": "/web-apps/apps/api/documents/api.js",
                "command": "/command",
                "converter": "/converter",
                "docbuilder": "/docbuilder",
            },
            "limits": {"maxFileSize": 104857600},
            "langs": ["en", "de", "fr", "es", "it", "pt-BR", "ru", "zh"],
        }
    )


async def _dummy_callback(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response({"error": 0})


def create_docserver_app(
    *,
    jwt_secret: str,
    jwt_header: str = "Authorization",
    save_delay: float = 5.0,
    data_dir: Path | None = None,
    version: str = "9.3.0",
    retry_base_delay: float = 1.0,
    allow_private_ip_unsigned: bool = False,
    jwt_enabled: bool = True,
    convert_delay: float = 0.0,
    ping_interval: float = 25.0,
    ping_timeout: float = 20.0,
    max_payload: int = 100_000_000,
    connect_timeout: float = 45.0,
    reconnection: Reconnection | None = None,
) -> web.Application:
    """The simulated Document Server. JWT is on by default and then needs a secret.

    `retry_base_delay` scales the 1 s/2 s/4 s callback retries. `ping_interval`, `ping_timeout` and
    `max_payload` are the editor socket's engine.io options (DS: socketio.connection pingInterval
    25 s, pingTimeout 20 s, maxHttpBufferSize 1e8): a socket that does not answer a ping within
    `ping_timeout` is dropped, and its participant leaves; one that has not connected the socket.io
    namespace within `connect_timeout` (socket.io's connectTimeout, 45 s) is closed. `reconnection` (attempts, delay in
    seconds) is told to the editor in the auth answer, as DS's settings.reconnection; without it the
    editor keeps its own (15 attempts, 0.5 s to 10 s backoff). `convert_delay` makes conversions
    take a while so async polling can be seen.
    """
    if jwt_enabled and not jwt_secret:
        raise ValueError("the Document Server simulator needs a JWT secret (or jwt_enabled=False)")
    app = web.Application(middlewares=[_no_tracebacks], client_max_size=110 * 1024 * 1024)
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    blobs = BlobStore(data_dir)
    store = DocStore(blobs, data_dir)
    store.load()
    egress = Egress(jwt_secret, jwt_header, jwt_enabled, allow_private_ip_unsigned, retry_base_delay)
    cache = CacheFiles(blobs, _cache_secret(data_dir))
    sender = CallbackSender(egress)
    manager = SessionManager(store, cache, sender, egress, save_delay, version)
    converter = convert.Converter(egress, cache, convert_delay)
    state = DocServer(manager, store, cache, sender, converter, egress, version)
    app[DOCSERVER] = state
    commands = CommandService(manager, cache, egress, version)
    builder = DocBuilder(egress, cache)

    async def lifecycle(app: web.Application) -> Any:
        egress.client = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        manager.restore()
        yield
        await manager.close()
        await converter.close()
        await builder.close()
        await egress.client.close()

    app.cleanup_ctx.append(lifecycle)
    EditorRoutes(manager, version).add_to(app)
    options = EngineOptions(ping_interval, ping_timeout, max_payload, connect_timeout)
    EditorChannel(manager, options, reconnection).add_to(app)
    DownloadFile(egress).add_to(app)
    builder.add_to(app)
    app.router.add_get("/cache/files/data/{doc_id}/{file}/{friendly}", cache.handle)
    app.router.add_post("/converter", convert.handler(converter, ("json", "xml")))
    app.router.add_route("*", "/ConvertService.ashx", convert.handler(converter, ("xml", "json")))
    app.router.add_post("/command", commands.handle)
    app.router.add_route("*", "/coauthoring/CommandService.ashx", commands.handle)
    app.router.add_get("/healthcheck", _healthcheck)
    app.router.add_get("/index.html", _index)
    app.router.add_get("/", _root)
    app.router.add_get("/welcome/", _welcome)
    app.router.add_get("/meta/config", _meta_config)
    app.router.add_post("/dummyCallback", _dummy_callback)
    return app


def _cache_secret(data_dir: Path | None) -> str | None:
    """The nginx secure_link secret; stable across restarts when there is a data_dir."""
    if data_dir is None:
        return None
    path = data_dir / "cache-secret.json"
    if path.is_file():
        return str(json.loads(path.read_text())["secret"])
    secret = secrets.token_urlsafe(24)
    path.write_text(json.dumps({"secret": secret}))
    return secret


def run_docserver(
    *,
    host: str,
    port: int,
    jwt_secret: str,
    jwt_header: str = "Authorization",
    save_delay: float = 5.0,
    data_dir: Path | None = None,
) -> None:
    """`onlyoffice-gateway simulate docserver`: serve until interrupted."""
    app = create_docserver_app(
        jwt_secret=jwt_secret, jwt_header=jwt_header, save_delay=save_delay, data_dir=data_dir
    )
    print(
        f"ONLYOFFICE Document Server simulator {build_number('9.3.0')} on http://{host}:{port}/", flush=True
    )
    web.run_app(app, host=host, port=port, print=None)
