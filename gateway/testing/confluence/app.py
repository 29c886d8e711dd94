"""Assembling the simulator: routes under the context path, middlewares, faults, CLI runner."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import WSMsgType, web
from aiohttp.web_response import ContentCoding

from gateway.testing.confluence import (
    admin,
    download,
    html,
    login,
    rest_attachments,
    rest_comments,
    rest_content,
    rest_users,
)
from gateway.testing.confluence.auth import auth_middleware, rest_xsrf_middleware
from gateway.testing.confluence.common import (
    CONFIG,
    FAULTS,
    REST_CALLS,
    SESSIONS,
    STORE,
    Faults,
    RestCalls,
    Session,
    SimConfig,
    error,
    origin_of,
)
from gateway.testing.confluence.seed import apply_seed
from gateway.testing.confluence.store import Store

__all__ = ["create_confluence_app", "run_confluence"]

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SECURITY_HEADERS = {
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-XSS-Protection": "1; mode=block",
}
_COMPRESSIBLE = ("text/", "application/json", "application/javascript")


@web.middleware
async def rest_count_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count every REST request received (`app[REST_CALLS]`), whatever it is answered, and how many
    at once; `FAULTS.rest_latency` delays each."""
    if not request.path.startswith(f"{request.app[CONFIG].context_path}/rest/"):
        return await handler(request)
    calls = request.app[REST_CALLS]
    calls.record(request.method, request.path_qs)
    calls.started()
    try:
        latency = request.app[FAULTS].rest_latency
        if latency:
            await asyncio.sleep(latency)
        return await handler(request)
    finally:
        calls.finished()


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """503 while "down"; one 429 with Retry-After on REST when a test arms it."""
    faults = request.app[FAULTS]
    ctx = request.app[CONFIG].context_path
    if faults.unavailable and not request.path.startswith("/synchrony"):
        return web.Response(status=503, text="Service Unavailable", headers={"Retry-After": "30"})
    if faults.rate_limit_once is not None and request.path.startswith(f"{ctx}/rest/"):
        retry_after, faults.rate_limit_once = faults.rate_limit_once, None
        response = error(429, "Rate limit exceeded")
        response.headers.update(
            {"Retry-After": str(retry_after), "X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0"}
        )
        return response
    return await handler(request)


@web.middleware
async def headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Clickjacking/nosniff headers on everything; gzip for text when the client accepts it."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # router 404/405 and the like: headers too, then re-raise
        for name, value in SECURITY_HEADERS.items():
            exc.headers.setdefault(name, value)
        raise
    except Exception:  # never a traceback to a client
        log.exception("confluence simulator: unhandled error for %s %s", request.method, request.path)
        response = web.Response(status=500, text="Internal Server Error")
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if (
        request.app[CONFIG].version_number.split(".")[0].isdigit()
        and int(request.app[CONFIG].version_number.split(".")[0]) >= 10
    ):
        # 10.x reports (does not yet enforce) a script-src policy (reference §4.4)
        response.headers.setdefault("Content-Security-Policy-Report-Only", "script-src 'self' 'unsafe-eval'")
    response.headers.setdefault("X-Confluence-Request-Time", str(int(time.time() * 1000)))
    location = response.headers.get("Location")
    if location and location.startswith("/") and not request.app[CONFIG].relative_redirects:
        response.headers["Location"] = origin_of(request) + location
    content_type = response.headers.get("Content-Type", "")
    if (
        isinstance(response, web.Response)
        and not response.prepared
        and response.status not in (101, 206)  # a compressed 206 would break its Content-Range
        and "gzip" in request.headers.get("Accept-Encoding", "").lower()
        and content_type.startswith(_COMPRESSIBLE)
    ):
        response.enable_compression(ContentCoding.gzip)
        response.headers.add("Vary", "Accept-Encoding")
    return response


async def status(request: web.Request) -> web.Response:
    """What Confluence answers load balancers."""
    return web.json_response({"state": "RUNNING"})


async def websocket_echo(request: web.Request) -> web.StreamResponse:
    """Synchrony stand-in: echoes frames, so a proxy's WebSocket pass-through can be tested."""
    ws = web.WebSocketResponse()
    if not ws.can_prepare(request).ok:
        return web.Response(status=400, text="WebSocket upgrade expected")
    await ws.prepare(request)
    async for message in ws:
        if message.type == WSMsgType.TEXT:
            await ws.send_str(message.data)
        elif message.type == WSMsgType.BINARY:
            await ws.send_bytes(message.data)
    return ws


def _normalise_context(context_path: str) -> str:
    ctx = context_path.strip()
    if ctx in ("", "/"):
        return ""
    return "/" + ctx.strip("/")


def create_confluence_app(
    *,
    context_path: str = "/confluence",
    seed: str = "demo",
    base_url: str | None = None,
    data_dir: Path | None = None,
    attachment_max_size: int = 104857600,
) -> web.Application:
    """The simulator as an aiohttp app; `app[STORE]`, `app[FAULTS]`, `app[REST_CALLS]` are for tests."""
    ctx = _normalise_context(context_path)
    store = Store(data_dir)
    if not store.load():
        apply_seed(store, seed)
    app = web.Application(
        middlewares=[
            rest_count_middleware,
            headers_middleware,
            fault_middleware,
            auth_middleware,
            rest_xsrf_middleware,
        ],
        client_max_size=1024**3,
    )
    app[STORE] = store
    app[CONFIG] = SimConfig(context_path=ctx, base_url=base_url, attachment_max_size=attachment_max_size)
    app[FAULTS] = Faults()
    app[REST_CALLS] = RestCalls()
    app[SESSIONS] = dict[str, Session]()
    app.router.add_get(f"{ctx}/status", status)
    tables = (
        rest_content.routes,
        rest_attachments.routes,
        rest_comments.routes,
        rest_users.routes,
        download.routes,
        login.routes,
        admin.routes,
        html.routes,
    )
    for table in tables:
        for route in table:
            assert isinstance(route, web.RouteDef)
            path = ctx + route.path if route.path != "/" or not ctx else ctx + "/"
            if route.method == "GET":
                app.router.add_get(path, route.handler, **route.kwargs)
            else:
                app.router.add_route(route.method, path, route.handler, **route.kwargs)
    if ctx:
        app.router.add_get(ctx, html.root)
    app.router.add_route("*", f"{ctx}/rest/{{tail:.*}}", rest_content.rest_not_found)
    app.router.add_get(f"{ctx}/synchrony-proxy/{{tail:.*}}", websocket_echo)
    app.router.add_get("/synchrony/{tail:.*}", websocket_echo)
    return app


def run_confluence(
    *,
    host: str,
    port: int,
    seed: str,
    context_path: str,
    base_url: str | None,
    data_dir: Path | None,
    attachment_max_size: int = 104857600,
) -> None:
    """Blocking runner for `onlyoffice-gateway simulate confluence`."""
    app = create_confluence_app(
        context_path=context_path,
        seed=seed,
        base_url=base_url,
        data_dir=data_dir,
        attachment_max_size=attachment_max_size,
    )
    print(
        f"Confluence simulator on http://{host}:{port}{app[CONFIG].context_path}/ "
        "(users admin/admin, alice/alice, bob/bob)",
        flush=True,
    )
    web.run_app(app, host=host, port=port, print=None)
