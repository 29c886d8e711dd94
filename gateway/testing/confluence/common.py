"""App keys, configuration and the small response helpers every Confluence handler shares."""

from __future__ import annotations

import json
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web

from gateway.testing.confluence.store import Store, User

__all__ = [
    "CONFIG",
    "FAULTS",
    "JSON_TYPE",
    "REST_CALLS",
    "SESSION",
    "SESSIONS",
    "STORE",
    "USER",
    "Faults",
    "RestCalls",
    "RouteHandler",
    "Session",
    "SimConfig",
    "base_url",
    "context_path",
    "current_user",
    "encode_name",
    "error",
    "json_ok",
    "origin_of",
]

JSON_TYPE = "application/json;charset=UTF-8"
#: what the route tables hold, and what the route decorators (access, auth) take and return
RouteHandler = Callable[[web.Request], Awaitable[web.Response]]


@dataclass
class SimConfig:
    """What a real instance has in server.xml and General Configuration."""

    context_path: str = "/confluence"
    base_url: str | None = None
    version_number: str = "8.5.4"
    build_number: str = "8804"
    #: newer DC builds' React/AJAX menus: the attachment rows' action dropdowns and the page tools
    #: menu get their items only when opened (static/menus.js); False renders them in the markup
    #: (the attachments plugin's server-side dropdowns, the captures in reference §3.1/§3.6).
    #: The file preview's "More" menu is always built on open, as the file viewer does.
    lazy_menus: bool = False
    #: General Configuration > Attachment Maximum Size (bytes per file; default 100 MB). The REST
    #: multipart layer also caps a whole request at ten times this (reference §1.4).
    attachment_max_size: int = 104857600
    #: Security Configuration > Secure administrator sessions (websudo): admin pages ask for the
    #: password again, and the elevated access lapses after this many seconds without an admin page
    websudo: bool = True
    websudo_timeout: float = 600.0
    #: Tomcat's `useRelativeRedirects` (default true since 8.0.30): False makes every redirect's
    #: Location absolute, built from the request as Tomcat sees it (Host, X-Forwarded-*)
    relative_redirects: bool = True
    secret: str = field(default_factory=lambda: secrets.token_hex(16))


@dataclass
class Faults:
    """Switches tests flip to make the simulator misbehave like a real, struggling instance."""

    #: every REST, download and page request answers 503 (Confluence "down" behind its proxy)
    unavailable: bool = False
    #: the next REST request answers 429 with this Retry-After (seconds), then the switch resets
    rate_limit_once: int | None = None
    #: seconds every REST answer waits first, as on a busy instance (tens of ms is typical): shows
    #: which calls a client makes one after the other and which at the same time
    rest_latency: float = 0.0


@dataclass
class RestCalls:
    """REST requests the simulator received, so tests can count what a client costs Confluence."""

    total: int = 0
    #: the latest (method, path with query), bounded so a long-running simulator does not grow
    recent: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=1000))
    #: REST requests being answered now, and the most at once since the last `reset_peak()`
    in_flight: int = 0
    peak: int = 0

    def record(self, method: str, path_qs: str) -> None:
        self.total += 1
        self.recent.append((method, path_qs))

    def started(self) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)

    def finished(self) -> None:
        self.in_flight -= 1

    def reset_peak(self) -> None:
        self.peak = self.in_flight


@dataclass
class Session:
    """A Tomcat session: JSESSIONID -> user, plus the XSRF form token kept in it."""

    id: str
    username: str
    atl_token: str = field(default_factory=lambda: secrets.token_hex(20))
    short_id: str = field(default_factory=lambda: secrets.token_hex(4))
    #: when the secure administrator session (websudo) was last confirmed or used; None: not elevated
    websudo_at: float | None = None


STORE = web.AppKey("confluence_store", Store)
CONFIG = web.AppKey("confluence_config", SimConfig)
FAULTS = web.AppKey("confluence_faults", Faults)
SESSIONS = web.AppKey("confluence_sessions", dict[str, Session])
REST_CALLS = web.AppKey("confluence_rest_calls", RestCalls)
#: the caller as auth resolved it (None = anonymous) and their Tomcat session, if any
USER: web.RequestKey[User | None] = web.RequestKey("confluence_user")
SESSION: web.RequestKey[Session | None] = web.RequestKey("confluence_session")


def current_user(request: web.Request) -> User | None:
    """The caller as the auth middleware resolved it (None = anonymous)."""
    return request.get(USER)


def origin_of(request: web.Request) -> str:
    """scheme://host[:port] of the request as Tomcat with RemoteIpValve sees it."""
    scheme = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
    host = request.headers.get("X-Forwarded-Host", request.host).split(",")[0].strip()
    return f"{scheme}://{host}"


def base_url(request: web.Request) -> str:
    """The absolute base URL (context path included) Confluence puts into `_links.base`."""
    config = request.app[CONFIG]
    if config.base_url:
        return config.base_url.rstrip("/")
    return origin_of(request) + config.context_path


def context_path(request: web.Request) -> str:
    """The servlet context path as `_links.context` reports it ('' at the root)."""
    return request.app[CONFIG].context_path


def encode_name(name: str) -> str:
    """URL-encode a file name as Confluence's download paths do (UTF-8, space as %20)."""
    return quote(name, safe="*").replace("~", "%7E")


def json_ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with the exact content type DC sends (clients compare it for 401 handling)."""
    all_headers = {"Content-Type": JSON_TYPE, **(headers or {})}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=all_headers)


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def error(status: int, message: str) -> web.Response:
    """DC's service-error JSON (reference §1.11), the body clients read `message` from."""
    body = {
        "statusCode": status,
        "data": {
            "authorized": status not in (401, 403, 404),
            "valid": status != 400,
            "allowedInReadOnlyMode": True,
            "errors": [],
            "successful": False,
        },
        "message": message,
        "reason": _REASONS.get(status, "Error"),
    }
    return json_ok(body, status)
