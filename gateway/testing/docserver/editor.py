"""The browser side: api.js, the editor page in the iframe, and its channel to the simulator.

The real editor talks socket.io under `/doc/<key>/c/`; the fake one polls small JSON endpoints
under the same prefix, so a proxy in front of DS sees the same path shape.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from aiohttp import web

from .cache import base_url_from_request
from .sessions import NoChanges, SessionManager, UnknownKey
from .tokens import EditorError

__all__ = ["EditorRoutes"]

_STATIC = resources.files(__package__) / "static"
_NO_CACHE = {"Cache-Control": "no-cache, no-store, must-revalidate", "Expires": "-1", "Pragma": "no-cache"}


def _static(name: str) -> str:
    return (_STATIC / name).read_text(encoding="utf-8")


def _users(manager: SessionManager, key: str) -> list[dict[str, str]]:
    session = manager.sessions.get(key)
    if session is None:
        return []
    return [{"id": p.user_id, "name": p.user_name, "mode": p.mode} for p in session.participants.values()]


class EditorRoutes:
    def __init__(self, manager: SessionManager, version: str) -> None:
        self.manager = manager
        self.version = version
        self._api_js = _static("api.js").replace("__DS_VERSION__", json.dumps(version)[1:-1])

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/web-apps/apps/api/documents/api.js", self.api_js)
        app.router.add_get("/web-apps/apps/api/documents/preload.html", self.preload)
        app.router.add_get("/web-apps/apps/{app}/{kind}/index.html", self.page)
        app.router.add_get("/web-apps/sim/{name}", self.asset)
        app.router.add_post("/doc/{key}/c/open", self.open)
        app.router.add_get("/doc/{key}/c/state", self.state)
        app.router.add_post("/doc/{key}/c/append", self.append)
        app.router.add_post("/doc/{key}/c/save", self.save)
        app.router.add_post("/doc/{key}/c/close", self.close)

    async def api_js(self, request: web.Request) -> web.Response:
        return web.Response(text=self._api_js, content_type="application/javascript", headers=_NO_CACHE)

    async def preload(self, request: web.Request) -> web.Response:
        return web.Response(
            text="<!DOCTYPE html><html><head><title>preload</title></head><body></body></html>",
            content_type="text/html",
        )

    async def page(self, request: web.Request) -> web.Response:
        app_name = request.match_info["app"]
        if app_name not in (
            "documenteditor",
            "spreadsheeteditor",
            "presentationeditor",
            "pdfeditor",
            "visioeditor",
            "common",
        ):
            raise web.HTTPNotFound()
        return web.Response(
            text=_static("editor.html"), content_type="text/html", headers={"Cache-Control": "no-cache"}
        )

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        types = {"editor.js": "application/javascript", "editor.css": "text/css"}
        if name not in types:
            raise web.HTTPNotFound()
        return web.Response(
            text=_static(name), content_type=types[name], headers={"Cache-Control": "no-cache"}
        )

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any]:
        try:
            data = json.loads(await request.read() or b"{}")
        except ValueError:
            raise web.HTTPBadRequest(text="body must be JSON") from None
        if not isinstance(data, dict):
            raise web.HTTPBadRequest(text="body must be a JSON object")
        return data

    async def open(self, request: web.Request) -> web.Response:
        data = await self._json(request)
        config = data.get("config")
        if not isinstance(config, dict):
            return web.json_response({"error": {"code": -20, "description": "The config is missing."}})
        try:
            result = await self.manager.open_config(
                config, base_url=base_url_from_request(request), browser=True
            )
        except EditorError as exc:
            return web.json_response({"error": {"code": exc.code, "description": exc.description}})
        session, participant = result.session, result.participant
        return web.json_response(
            {
                "connection": participant.connection,
                "key": session.key,
                "title": session.title,
                "fileType": session.file_type,
                "mode": participant.mode,
                "user": {"id": participant.user_id, "name": participant.user_name},
                "text": session.text,
                "users": _users(self.manager, session.key),
                "warning": result.warning,
                "outdated": result.outdated,
            }
        )

    def _connection(self, request: web.Request, data: dict[str, Any] | None = None) -> str:
        value = (data or {}).get("connection") or request.query.get("connection")
        if not isinstance(value, str) or not value:
            raise web.HTTPBadRequest(text="connection missing")
        return value

    async def state(self, request: web.Request) -> web.Response:
        try:
            session, participant = self.manager.touch(self._connection(request))
        except UnknownKey:
            return web.json_response({"closed": True})
        messages, participant.messages = participant.messages, []
        return web.json_response(
            {
                "title": session.title,
                "mode": participant.mode,
                "text": session.text,
                "users": _users(self.manager, session.key),
                "messages": messages,
            }
        )

    async def append(self, request: web.Request) -> web.Response:
        data = await self._json(request)
        text = data.get("text")
        if not isinstance(text, str):
            raise web.HTTPBadRequest(text="text missing")
        try:
            session = self.manager.type_text(self._connection(request, data), text)
        except UnknownKey:
            return web.json_response({"closed": True})
        except EditorError as exc:
            return web.json_response({"error": {"code": exc.code, "description": exc.description}})
        return web.json_response({"text": session.text})

    async def save(self, request: web.Request) -> web.Response:
        data = await self._json(request)
        try:
            saved = await self.manager.press_save(self._connection(request, data))
        except (UnknownKey, NoChanges):
            saved = False
        return web.json_response({"saved": saved})

    async def close(self, request: web.Request) -> web.Response:
        data = await self._json(request)
        self.manager.leave(self._connection(request, data))
        return web.json_response({"closed": True})
