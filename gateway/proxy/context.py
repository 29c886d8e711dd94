"""Everything the proxy handlers need for one application, kept under a single app key."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
from yarl import URL

from gateway.observability import Metrics
from gateway.proxy.headers import TrustedProxies
from gateway.proxy.plugin import ResponseFilter
from gateway.proxy.upstream import UpstreamMap, host_spellings
from gateway.settings import Settings

__all__ = ["PROXY_KEY", "SESSION_KEY", "ProxyContext"]

SESSION_KEY = web.AppKey("gateway_upstream_session", aiohttp.ClientSession)


@dataclass(frozen=True)
class ProxyContext:
    settings: Settings
    upstream: UpstreamMap
    trusted: TrustedProxies
    filters: tuple[ResponseFilter, ...]
    metrics: Metrics
    allowed_hosts: frozenset[str]
    # Open client-side WebSockets, so shutdown can tell them 1001 instead of waiting on them.
    websockets: weakref.WeakSet[web.WebSocketResponse] = field(default_factory=weakref.WeakSet)

    @classmethod
    def build(cls, settings: Settings, filters: tuple[ResponseFilter, ...], metrics: Metrics) -> ProxyContext:
        upstream = UpstreamMap.from_settings(settings)
        hosts: set[str] = set()
        for url in (settings.public_url, settings.internal_url):
            if url:
                hosts.update(host_spellings(URL(url)))
        return cls(
            settings=settings,
            upstream=upstream,
            trusted=TrustedProxies(settings.proxy.trusted_proxies),
            filters=filters,
            metrics=metrics,
            allowed_hosts=frozenset(hosts),
        )


PROXY_KEY = web.AppKey("gateway_proxy", ProxyContext)
