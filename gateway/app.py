"""Build the gateway's aiohttp Application: health, plugin routes, then the proxy catch-all.

Route order is the routing policy: `/livez` `/readyz` `/metrics` at the root are answered here,
plugin routes under `<public context>/plugins/servlet/onlyoffice/` next, then the Document Server's
path when it is served under the gateway's origin (proxy/mount.py), and everything else is
forwarded to Confluence. A middleware rejects requests for hosts the gateway does not serve
(Host-header poisoning) and counts responses.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from aiohttp import WSCloseCode, web

from gateway.docserver.paths import is_admin_path
from gateway.observability import (
    HEALTH_PATHS,
    METRICS_KEY,
    READINESS_KEY,
    Metrics,
    Readiness,
    add_health_routes,
)
from gateway.proxy.connections import handler_limits
from gateway.proxy.context import PROXY_KEY, SESSION_KEY, ProxyContext
from gateway.proxy.errors import error_page
from gateway.proxy.forward import proxy_expect_handler, proxy_handler
from gateway.proxy.headers import hide_server_version
from gateway.proxy.mount import mount_upstream
from gateway.proxy.plugin import PLUGIN_PREFIX, Plugin, PluginContext
from gateway.proxy.upstream import UpstreamMap, create_upstream_session
from gateway.settings import Settings
from gateway.settings.live import LiveSettings
from gateway.state.base import StateUnavailable

__all__ = ["create_app", "setup_plugins"]

log = logging.getLogger("gateway.app")

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _guard(request: web.Request, handler: _Handler) -> web.StreamResponse:
    ctx = request.app[PROXY_KEY]
    if request.path not in HEALTH_PATHS:
        host = request.headers.get("Host", "").strip().lower()
        if host not in ctx.allowed_hosts:
            log.info("request for unknown host refused: %r", host[:100])
            response: web.StreamResponse = error_page(421)
            ctx.metrics.count_response(response.status)
            return response
    try:
        response = await handler(request)
    except web.HTTPException as error:
        ctx.metrics.count_response(error.status)
        raise
    except StateUnavailable as error:
        # A route that needs the shared state (a conversion's result, a lock) while Redis or the
        # SQLite file is out: a clear "try again", never a traceback; proxying is unaffected.
        log.warning("%s %s refused, shared state unavailable: %s", request.method, request.path, error)
        response = _state_unavailable(request)
    ctx.metrics.count_response(response.status)
    return response


def _state_unavailable(request: web.Request) -> web.StreamResponse:
    headers = {"Retry-After": "30", "Cache-Control": "no-store"}
    if request.method != "GET" or "application/json" in request.headers.get("Accept", ""):
        return web.json_response(
            {"error": "the gateway's shared state is unavailable; try again in a moment"},
            status=503,
            headers=headers,
        )
    response = error_page(503)
    response.headers["Retry-After"] = headers["Retry-After"]
    return response


def setup_plugins(app: web.Application, settings: Settings, plugins: Sequence[Plugin]) -> PluginContext:
    """Let each plugin register its routes and filters on `app`, in order.

    Also what `onlyoffice-gateway nginx-config` asks (on an app that never starts): the routes and
    the filters' paths are the one description of what the gateway serves or rewrites.
    """
    context = PluginContext(
        app=app,
        settings=settings,
        route_prefix=UpstreamMap.from_settings(settings).public_prefix + PLUGIN_PREFIX,
        live=LiveSettings(settings),
    )
    for plugin in plugins:
        plugin.setup(context)
        log.debug("plugin %s set up", plugin.name)
    return context


def create_app(settings: Settings, plugins: Sequence[Plugin] = ()) -> web.Application:
    """The whole gateway for `settings`; plugins are set up in the given order."""
    proxy = settings.proxy
    # client_max_size stays aiohttp's 1 MiB: it bounds only buffered reads (plugin routes calling
    # request.post()/json()); proxied bodies stream and are bounded by proxy.max_upload_bytes.
    # Request bodies are never decompressed: a proxy passes them as sent (aiohttp's default
    # decoded a gzip upload and forwarded it still labelled gzip; a broken one was a 500), and
    # the plugin's routes refuse a Content-Encoding (onlyoffice/client_input.py).
    hide_server_version()
    app = web.Application(
        middlewares=[_guard],
        handler_args={
            "max_line_size": proxy.max_header_bytes,
            "max_field_size": proxy.max_header_bytes,
            "max_headers": proxy.max_headers,
            **handler_limits(settings),
            "auto_decompress": False,
        },
    )
    metrics = Metrics()
    app[METRICS_KEY] = metrics
    context = setup_plugins(app, settings, plugins)
    proxy_context = ProxyContext.build(context.live, tuple(context.filters), metrics)
    app[PROXY_KEY] = proxy_context
    app[READINESS_KEY] = Readiness(
        status_url=str(proxy_context.upstream.upstream_origin)
        + proxy_context.upstream.upstream_prefix
        + "/status",
        cache_seconds=proxy.readiness_cache_seconds,
    )

    async def upstream_session(app: web.Application) -> AsyncIterator[None]:
        app[SESSION_KEY] = create_upstream_session(settings)
        app[READINESS_KEY].watch_confluence(app[SESSION_KEY])
        yield
        await app[SESSION_KEY].close()

    async def close_websockets(app: web.Application) -> None:
        for ws in list(app[PROXY_KEY].websockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    app.cleanup_ctx.append(upstream_session)
    app.on_shutdown.append(close_websockets)
    add_health_routes(app, SESSION_KEY)
    for method, path, handler in context.routes:
        app.router.add_route(method, path, handler)
    ds = settings.documentserver
    if settings.docserver_prefix is not None and ds.internal_url is not None:
        # The Document Server under a path of the gateway's origin: a second upstream, same core.
        mounted = proxy_context.mount("documentserver", ds.public_url, ds.internal_url, ds.timeout)
        mount_upstream(
            app,
            mounted,
            connect_timeout=min(ds.timeout, 10.0),
            read_timeout=ds.timeout,
            refused=is_admin_path,
        )
    app.router.add_route("*", "/{tail:.*}", proxy_handler, expect_handler=proxy_expect_handler)
    return app
