"""The browser side: api.js and the editor page in the iframe (its socket is in channel.py)."""

from __future__ import annotations

import json
from importlib import resources

from aiohttp import web

from .sessions import SessionManager

__all__ = ["EditorRoutes"]

_STATIC = resources.files(__package__) / "static"
_NO_CACHE = {"Cache-Control": "no-cache, no-store, must-revalidate", "Expires": "-1", "Pragma": "no-cache"}


def _static(name: str) -> str:
    return (_STATIC / name).read_text(encoding="utf-8")


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
        types = {
            "editor.js": "application/javascript",
            "mentions.js": "application/javascript",
            "editor.css": "text/css",
        }
        if name not in types:
            raise web.HTTPNotFound()
        return web.Response(
            text=_static(name), content_type=types[name], headers={"Cache-Control": "no-cache"}
        )
