"""Administration pages under `/admin/`, behind secure administrator sessions (websudo).

What Confluence does for an `/admin/...` page: anonymous callers go to the login page; logged-in
users outside confluence-administrators get "Not Permitted"; an administrator whose websudo
session is not on (never confirmed, or idle past the timeout, 10 minutes by default) is sent to
`/authenticate.action?destination=<path and query, without the context path>` with a relative
Location, as Tomcat's default `useRelativeRedirects` writes it. [I: the banner text and the
"Not Permitted" status are not in the reference.]
"""

from __future__ import annotations

import functools
from urllib.parse import quote

from aiohttp import web

from gateway.testing.confluence.auth import is_admin, websudo_active
from gateway.testing.confluence.common import CONFIG, STORE, RouteHandler, current_user
from gateway.testing.confluence.download import login_redirect
from gateway.testing.confluence.render import render

__all__ = ["admin_page", "routes"]

routes = web.RouteTableDef()


def _destination(request: web.Request) -> str:
    ctx = request.app[CONFIG].context_path
    path_qs = request.rel_url.path_qs
    return path_qs[len(ctx) :] if ctx and path_qs.startswith(ctx) else path_qs


def admin_page(handler: RouteHandler) -> RouteHandler:
    """Route decorator: who may see an admin page, and the websudo step before it."""

    @functools.wraps(handler)
    async def route(request: web.Request) -> web.Response:
        user = current_user(request)
        if user is None:
            return login_redirect(request)
        if not is_admin(user):
            return render(
                request,
                "notfound.html",
                status=403,
                heading="Not Permitted",
                message="You are not permitted to perform this operation.",
            )
        if not websudo_active(request):
            ctx = request.app[CONFIG].context_path
            location = f"{ctx}/authenticate.action?destination={quote(_destination(request), safe='')}"
            return web.Response(status=302, headers={"Location": location})
        return await handler(request)

    return route


@routes.get("/admin/console.action")
@admin_page
async def console(request: web.Request) -> web.Response:
    return render(request, "admin.html", heading="Administration", settings=None)


@routes.get("/admin/viewgeneralconfig.action")
@admin_page
async def general_configuration(request: web.Request) -> web.Response:
    """General Configuration: what the gateway's operators compare (base URL, attachment size)."""
    config = request.app[CONFIG]
    settings = {
        "Server Base URL": config.base_url or "",
        "Attachment Maximum Size": str(config.attachment_max_size),
        "Secure administrator sessions": "ON" if config.websudo else "OFF",
        "Spaces": str(len(request.app[STORE].spaces)),
    }
    return render(request, "admin.html", heading="General Configuration", settings=settings)
