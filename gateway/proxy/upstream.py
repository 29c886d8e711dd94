"""The upstream: where requests go, how URLs map back, and the one long-lived ClientSession.

Public URL `https://wiki.example.com/confluence` and upstream `http://confluence:8090/confluence`
usually share the context path; when they do not, the public prefix is mapped to the upstream
prefix on the way in and back on the way out (Location and friends). Paths outside the public
prefix (e.g. `/synchrony`) go to the upstream origin unchanged.

Upstream `Host`: the gateway sends the *public* host. Confluence's base URL must equal
`public_url`, and with Host = public host Tomcat builds the same absolute URLs even when its
connector has no `proxyName` set; the browser's own Host goes in X-Forwarded-Host.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from yarl import URL

from gateway.settings import Settings

__all__ = ["UpstreamMap", "create_upstream_session", "host_of", "host_spellings"]

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _prefix(url: URL) -> str:
    return url.raw_path.rstrip("/")


def host_of(url: URL) -> str:
    """`host[:port]` as a browser puts it in the Host header (default port omitted, lower-case)."""
    host = (url.raw_host or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if url.port is not None and url.port != _DEFAULT_PORTS.get(url.scheme):
        return f"{host}:{url.port}"
    return host


def host_spellings(url: URL) -> set[str]:
    """Host header values that name `url`'s host: with and without an explicit default port."""
    host = host_of(url)
    default = _DEFAULT_PORTS.get(url.scheme)
    if url.port == default and default is not None:
        return {host, f"{host}:{default}"}
    return {host}


@dataclass(frozen=True, slots=True)
class UpstreamMap:
    """Maps public request targets to upstream URLs, and upstream URLs back to public ones."""

    public_origin: URL
    public_prefix: str  # "" or "/confluence" (no trailing slash)
    upstream_origin: URL
    upstream_prefix: str

    @classmethod
    def from_settings(cls, settings: Settings) -> UpstreamMap:
        public = URL(settings.public_url)
        upstream = URL(settings.confluence.url)
        return cls(public.origin(), _prefix(public), upstream.origin(), _prefix(upstream))

    @classmethod
    def for_mount(cls, public_url: str, upstream_url: str) -> UpstreamMap:
        """A second upstream served under `public_url`'s path on the gateway's origin (e.g. the
        Document Server at `https://wiki.example.com/onlyoffice` -> `http://documentserver`)."""
        public, upstream = URL(public_url), URL(upstream_url)
        return cls(public.origin(), _prefix(public), upstream.origin(), _prefix(upstream))

    @property
    def public_host(self) -> str:
        return host_of(self.public_origin)

    @property
    def upstream_host(self) -> str:
        return host_of(self.upstream_origin)

    def under_public_prefix(self, raw_target: str) -> bool:
        """Whether a raw request target lies under the public prefix (as sent, not decoded)."""
        path = raw_target.partition("?")[0]
        return path == self.public_prefix or path.startswith(self.public_prefix + "/")

    def _map_path(self, path: str, src: str, dst: str) -> str | None:
        if src == dst:
            return path
        if path == src or path.startswith(src + "/") or src == "":
            return (dst + path[len(src) :]) or "/"
        return None

    def upstream_url(self, raw_target: str) -> URL:
        """The upstream URL for a raw request target (path + query, still percent-encoded)."""
        path, sep, query = raw_target.partition("?")
        mapped = self._map_path(path, self.public_prefix, self.upstream_prefix)
        if mapped is None:
            mapped = path
        return URL(f"{self.upstream_origin}{mapped}{sep}{query}", encoded=True)

    def upstream_ws_url(self, raw_target: str) -> URL:
        url = self.upstream_url(raw_target)
        return url.with_scheme("wss" if url.scheme == "https" else "ws")

    def to_public(self, value: str) -> str:
        """Rewrite a URL the upstream sent (Location etc.) if, and only if, it points at the upstream.

        Absolute URLs are compared by parsed origin, never by string prefix, so a foreign origin
        (or `http://confluence:8090.evil.com`) is left alone. Path-absolute references are mapped
        only when the public and upstream context paths differ.
        """
        try:
            url = URL(value, encoded=True)
        except ValueError:
            return value
        if url.is_absolute():
            if url.scheme not in ("http", "https") or url.origin() != self.upstream_origin:
                return value
            path = self._map_path(url.raw_path, self.upstream_prefix, self.public_prefix) or url.raw_path
            rest = value.split("#", 1)[1] if "#" in value else None
            out = f"{self.public_origin}{path}"
            if url.raw_query_string:
                out += "?" + url.raw_query_string
            if rest is not None:
                out += "#" + rest
            return out
        if (
            value.startswith("/")
            and not value.startswith("//")
            and self.public_prefix != self.upstream_prefix
        ):
            path, sep, tail = value.partition("?")
            mapped = self._map_path(path, self.upstream_prefix, self.public_prefix)
            if mapped is not None:
                return f"{mapped}{sep}{tail}"
        return value


def create_upstream_session(
    settings: Settings, *, connect_timeout: float | None = None, read_timeout: float | None = None
) -> aiohttp.ClientSession:
    """The single pooled session to one upstream; every default that is wrong for a proxy overridden.

    No cookie jar (cookies would leak between users), no decompression (bodies pass untouched),
    no redirects (set per request), no auto headers, Confluence-sized header limits, and no total
    timeout (a long download must not be cut off; `sock_read` bounds silence between reads).
    Timeouts default to Confluence's; a second upstream passes its own. `upstream_connections` is
    the gateway's total: each of N workers gets its share (rounded up), not N times the total.
    """
    proxy = settings.proxy
    connector = aiohttp.TCPConnector(
        limit=-(-proxy.upstream_connections // settings.listen.worker_count),
        limit_per_host=0,
        keepalive_timeout=proxy.upstream_keepalive_timeout,
        ttl_dns_cache=60,
    )
    timeout = aiohttp.ClientTimeout(
        total=None,
        connect=None,
        sock_connect=connect_timeout if connect_timeout is not None else settings.confluence.connect_timeout,
        sock_read=read_timeout if read_timeout is not None else settings.confluence.read_timeout,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type", "Accept"),
        max_line_size=proxy.max_header_bytes,
        max_field_size=proxy.max_header_bytes,
        max_headers=proxy.max_headers,
        trust_env=False,
        requote_redirect_url=False,
    )
