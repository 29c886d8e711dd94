"""Everything the proxy handlers need for one application, kept under a single app key."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, replace

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from gateway.observability import Metrics, UpstreamMeters
from gateway.proxy.headers import TrustedProxies, upstream_headers
from gateway.proxy.plugin import ResponseFilter
from gateway.proxy.upstream import UpstreamMap, host_spellings
from gateway.settings import Settings
from gateway.settings.live import LiveSettings

__all__ = ["PROXY_KEY", "SESSION_KEY", "ProxyContext"]

SESSION_KEY = web.AppKey("gateway_upstream_session", aiohttp.ClientSession)


@dataclass(frozen=True)
class ProxyContext:
    """One upstream as the proxy handlers see it: where it is, how to talk to it, what to count.

    Confluence is the main one (catch-all route, response filters). A `mounted` one (the Document
    Server under a path of the gateway's origin) takes only its prefix, gets no filters, no browser
    credentials and no cookies, and fixed X-Forwarded-* (see headers.py).
    """

    live: LiveSettings  # read once per request: `ctx.settings` is the current object (see reload.py)
    upstream: UpstreamMap
    trusted: TrustedProxies
    filters: tuple[ResponseFilter, ...]
    metrics: Metrics
    allowed_hosts: frozenset[str]
    name: str = "confluence"  # the `upstream` label of metrics and the name in log lines
    mounted: bool = False
    # Seconds to wait for response headers (and a WebSocket handshake); None: Confluence's setting.
    header_timeout: float | None = None
    # Open client-side WebSockets, so shutdown can tell them 1001 instead of waiting on them.
    websockets: weakref.WeakSet[web.WebSocketResponse] = field(default_factory=weakref.WeakSet)

    @property
    def settings(self) -> Settings:
        """The settings in force now; a reload swaps them (only the keys settings/live.py allows)."""
        return self.live.current

    def upstream_headers(self, request: web.Request, *, websocket: bool = False) -> CIMultiDict[str]:
        """The headers this upstream gets for `request`: one place decides trust, Host and mounting."""
        return upstream_headers(
            request.headers,
            peer=request.remote,
            scheme=request.scheme,
            trusted=self.trusted,
            upstream=self.upstream,
            websocket=websocket,
            mounted=self.mounted,
        )

    @property
    def meters(self) -> UpstreamMeters:
        return self.metrics.for_upstream(self.name)

    @property
    def response_timeout(self) -> float:
        if self.header_timeout is not None:
            return self.header_timeout
        return self.settings.confluence.response_timeout

    @classmethod
    def build(cls, live: LiveSettings, filters: tuple[ResponseFilter, ...], metrics: Metrics) -> ProxyContext:
        settings = live.current
        upstream = UpstreamMap.from_settings(settings)
        hosts: set[str] = set()
        for url in (settings.public_url, settings.internal_url):
            if url:
                hosts.update(host_spellings(URL(url)))
        return cls(
            live=live,
            upstream=upstream,
            trusted=TrustedProxies(settings.proxy.trusted_proxies),
            filters=filters,
            metrics=metrics,
            allowed_hosts=frozenset(hosts),
        )

    def mount(self, name: str, public_url: str, upstream_url: str, header_timeout: float) -> ProxyContext:
        """A second upstream under `public_url`'s path on this gateway's origin; same hosts and limits."""
        return replace(
            self,
            upstream=UpstreamMap.for_mount(public_url, upstream_url),
            filters=(),
            name=name,
            mounted=True,
            header_timeout=header_timeout,
            websockets=weakref.WeakSet(),
        )


PROXY_KEY = web.AppKey("gateway_proxy", ProxyContext)
