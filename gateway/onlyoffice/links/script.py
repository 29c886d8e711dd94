"""`.../onlyoffice/static/{name}`: the injected script and the pages' own assets, served same-origin.

Confluence 10's script CSP allows same-origin scripts only, so the browser script that adds the
ONLYOFFICE links to what Confluence renders with AJAX (inject.js), and the editor's and the
conversion pages' scripts, styles and icons, are files under the gateway's prefix. Only known
types are served, never HTML, with `nosniff`.
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from gateway.onlyoffice.links.inject_script import INJECT_SCRIPT_NAME
from gateway.proxy.plugin import Handler

__all__ = ["static_files"]

_STATIC = resources.files("gateway.onlyoffice").joinpath("static")
_STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def static_files(inject_script: bytes) -> Handler:
    """Same-origin assets (the injected script, the editor script): cacheable, never executable HTML.

    `inject.js` is no file: it is `inject_script`, joined from its parts once at set-up
    (inject_script.py).
    """

    async def static(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        suffix = name[name.rfind(".") :] if "." in name else ""
        if "/" in name or name.startswith(".") or suffix not in _STATIC_TYPES:
            raise web.HTTPNotFound()
        resource = _STATIC.joinpath(name)
        if name != INJECT_SCRIPT_NAME and not resource.is_file():
            raise web.HTTPNotFound()
        return web.Response(
            body=inject_script if name == INJECT_SCRIPT_NAME else resource.read_bytes(),
            content_type=_STATIC_TYPES[suffix],
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    return static
