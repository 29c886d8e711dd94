"""A second upstream under a path of the gateway's origin (the Document Server at `/onlyoffice`).

The same forward/WebSocket code as Confluence, with its own context (map, headers policy, metrics
label, timeouts) and its own pooled session; only the routes and the lifecycle are added here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from urllib.parse import unquote

import aiohttp
from aiohttp import WSCloseCode, web

from gateway.proxy.context import ProxyContext
from gateway.proxy.errors import error_page
from gateway.proxy.forward import forward, proxy_expect_handler, request_target
from gateway.proxy.upstream import create_upstream_session

__all__ = ["mount_upstream", "resolved_path"]

_DECODE_ROUNDS = 3  # an upstream chain may decode more than once; `%252e` is refused as `.` too


def resolved_path(raw_path: str) -> str:
    """The path as a lenient upstream resolves it: percent-decoded (repeatedly), `//` merged,
    dot-segments removed, lower-case. Refusals match this, so no spelling of a path slips past."""
    path = raw_path
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    segments: list[str] = []
    for segment in path.replace("\\", "/").split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return ("/" + "/".join(segments)).lower()


def _never(path: str) -> bool:
    return False


def mount_upstream(
    app: web.Application,
    ctx: ProxyContext,
    *,
    connect_timeout: float,
    read_timeout: float,
    refused: Callable[[str], bool] = _never,
) -> None:
    """Forward everything under `ctx.upstream.public_prefix` to `ctx`'s upstream, prefix stripped.

    `refused` names paths (below the prefix, as `resolved_path` gives them) answered 404 here.

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
        target = request_target(request)
        if not ctx.upstream.under_public_prefix(target):
            return error_page(404)
        if refused(resolved_path(target.partition("?")[0][len(ctx.upstream.public_prefix) :])):
            return error_page(404)
        return await forward(request, ctx, request.app[session_key])

    app.cleanup_ctx.append(session)
    app.on_shutdown.append(close_websockets)
    prefix = ctx.upstream.public_prefix
    app.router.add_route("*", prefix, handler, expect_handler=proxy_expect_handler)
    app.router.add_route("*", prefix + "/{tail:.*}", handler, expect_handler=proxy_expect_handler)
