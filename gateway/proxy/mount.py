"""A second upstream under a path of the gateway's origin (the Document Server at `/onlyoffice`).

The same forward/WebSocket code as Confluence, with its own context (map, headers policy, metrics
label, timeouts) and its own pooled session; only the routes and the lifecycle are added here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import WSCloseCode, web

from gateway.proxy.context import ProxyContext
from gateway.proxy.errors import error_page
from gateway.proxy.forward import forward, proxy_expect_handler, request_target
from gateway.proxy.upstream import create_upstream_session

__all__ = ["mount_upstream"]


def mount_upstream(
    app: web.Application, ctx: ProxyContext, *, connect_timeout: float, read_timeout: float
) -> None:
    """Forward everything under `ctx.upstream.public_prefix` to `ctx`'s upstream, prefix stripped.

    Call before the catch-all route is added: aiohttp matches routes in the order they were added.
    """
    session_key = web.AppKey(f"gateway_upstream_session_{ctx.name}", aiohttp.ClientSession)

    async def session(app: web.Application) -> AsyncIterator[None]:
        app[session_key] = create_upstream_session(
            ctx.settings, connect_timeout=connect_timeout, read_timeout=read_timeout
        )
        yield
        await app[session_key].close()

    async def close_websockets(app: web.Application) -> None:
        for ws in list(ctx.websockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    async def handler(request: web.Request) -> web.StreamResponse:
        # The route matched the decoded path; the target forwarded is the raw one, which must be
        # under the prefix too (`/confluence/..%2F../onlyoffice/x` must not reach the upstream as is).
        if not ctx.upstream.under_public_prefix(request_target(request)):
            return error_page(404)
        return await forward(request, ctx, request.app[session_key])

    app.cleanup_ctx.append(session)
    app.on_shutdown.append(close_websockets)
    prefix = ctx.upstream.public_prefix
    app.router.add_route("*", prefix, handler, expect_handler=proxy_expect_handler)
    app.router.add_route("*", prefix + "/{tail:.*}", handler, expect_handler=proxy_expect_handler)
