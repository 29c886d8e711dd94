"""Extension points of the proxy core: plugins add routes and response filters.

Modelled on mitmproxy addons and Envoy's filter chain: many small, ordered, independent hooks. The
core knows nothing about ONLYOFFICE; a plugin is an object with a `name` and a `setup(context)`
method that registers what it needs through the `PluginContext`.

A `ResponseFilter` is asked once per eligible response (GET, 200-class body, not `no-transform`,
an encoding the core can decode) whether it wants to rewrite it. If it returns a `BodyTransform`,
the core decodes the body, pipes it chunk by chunk through every interested filter in order, and
re-encodes it with the original coding. Filters never see compressed bytes, and the whole body is
never held in memory by the core.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from aiohttp import web
from multidict import CIMultiDict

if TYPE_CHECKING:
    from gateway.settings import Settings
    from gateway.settings.live import LiveSettings

__all__ = [
    "PLUGIN_PREFIX",
    "BodyTransform",
    "Handler",
    "Plugin",
    "PluginContext",
    "ResponseFilter",
    "RewrittenPaths",
]

# Where plugin routes live, under the public context path (same paths as the Java plugin).
PLUGIN_PREFIX = "/plugins/servlet/onlyoffice/"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@runtime_checkable
class BodyTransform(Protocol):
    """Rewrites one decoded response body, streaming: output may lag input (e.g. a split tag).

    Both steps are coroutines so a transform may ask something before it answers (the ONLYOFFICE
    filter asks Confluence, as the browser's user, what each attachment on the page allows).
    """

    async def feed(self, chunk: bytes) -> bytes:
        """Take the next decoded chunk, return whatever output is ready (may be b"")."""
        ...

    async def finish(self) -> bytes:
        """The body ended: return the remaining output."""
        ...


@dataclass(frozen=True)
class RewrittenPaths:
    """The request paths a response filter may rewrite: below `prefix` (a context path, "" for the
    root), the rest of the path matched whole by one of `patterns` (regular expressions).

    The filter decides with `matches`, and `onlyoffice-gateway nginx-config` sends exactly these
    paths through the gateway (everything else may go straight upstream), so the two cannot drift.
    A filter without a `paths` attribute may rewrite anything: then nothing bypasses the gateway.
    """

    prefix: str
    patterns: tuple[str, ...]
    _compiled: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        joined = "|".join(f"(?:{p})" for p in self.patterns)
        object.__setattr__(self, "_compiled", re.compile(joined) if self.patterns else None)

    def matches(self, path: str) -> bool:
        """Whether `path` (decoded, as aiohttp's `request.path`) is one the filter may rewrite."""
        if self._compiled is None:
            return False
        if self.prefix:
            if not path.startswith(self.prefix + "/"):
                return False
            path = path[len(self.prefix) :]
        return self._compiled.fullmatch(path) is not None


@runtime_checkable
class ResponseFilter(Protocol):
    """Decides per response whether to rewrite it; cheap, synchronous, no I/O.

    `headers` are the response headers about to be sent to the browser (hop-by-hop already removed,
    Location already rewritten). A filter that returns a transform may edit them (e.g. append to a
    CSP); one that returns None must leave them alone. The core drops Content-Length, weakens ETag
    and adds `vary` to Vary for every filtered response.
    """

    name: str
    # Request headers the filter's decision or output depends on, added to Vary (e.g. "Cookie").
    vary: tuple[str, ...]
    # Optional `paths: RewrittenPaths | None` (not part of the protocol, so filters without it keep
    # working): which paths it may rewrite; None = none at all, no attribute = any path.

    def start(self, request: web.Request, status: int, headers: CIMultiDict[str]) -> BodyTransform | None:
        """Return a transform to rewrite this response's body, or None to leave it untouched."""
        ...


@dataclass
class PluginContext:
    """What a plugin may touch while it is set up; collected by `create_app` in registration order."""

    app: web.Application
    settings: Settings  # as at start: for what is built once (clients, routes, background tasks)
    # Absolute path prefix of plugin routes, e.g. "/confluence/plugins/servlet/onlyoffice/".
    route_prefix: str
    # The settings in force now (a reload swaps them): what a request reads, once per request.
    live: LiveSettings
    routes: list[tuple[str, str, Handler]] = field(default_factory=list)
    filters: list[ResponseFilter] = field(default_factory=list)

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Answer `method` on `route_prefix + path` instead of proxying it ("*" for any method)."""
        self.routes.append((method, self.route_prefix + path.lstrip("/"), handler))

    def add_filter(self, response_filter: ResponseFilter) -> None:
        """Run `response_filter` on proxied responses, after the filters added before it."""
        self.filters.append(response_filter)


@runtime_checkable
class Plugin(Protocol):
    """A unit of behaviour on top of the proxy; may also use app.on_startup / app.cleanup_ctx."""

    name: str

    def setup(self, context: PluginContext) -> None:
        """Register routes, filters and lifecycle hooks; called once by `create_app`."""
        ...
