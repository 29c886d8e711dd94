"""Header hygiene for both directions: hop-by-hop, X-Forwarded-*, Location and Host checks.

Order matters (Traefik CVE-2024-45410, Apache CVE-2022-31813): the strip-set is computed from the
*client's* Connection header and applied first; only then does the gateway add its own headers,
and Connection tokens naming security-relevant headers are ignored altogether.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import aiohttp.web_response
from multidict import CIMultiDict, CIMultiDictProxy

from gateway.proxy.upstream import UpstreamMap

__all__ = [
    "HOP_BY_HOP",
    "SERVER_NAME",
    "TrustedProxies",
    "connection_tokens",
    "downstream_headers",
    "hide_server_version",
    "upstream_headers",
]

# What a response says of the server when Confluence's answer did not say it (as nginx's
# `server_tokens off`): no product version for a scanner to match against known flaws.
SERVER_NAME = "onlyoffice-gateway"

# RFC 9110 7.6.1 + the RFC 2616 list (Go httputil.ReverseProxy's set).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "proxy-connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)

# Set by the gateway itself; incoming values from an untrusted peer are dropped.
_FORWARDING = frozenset(
    {
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-forwarded-port",
        "x-forwarded-server",
        "x-real-ip",
    }
)

# The browser's Confluence credentials: never sent to a mounted upstream (the Document Server).
_CREDENTIALS = frozenset({"authorization", "cookie"})

# Headers a client must never be able to remove by naming them in Connection.
_PROTECTED = _FORWARDING | _CREDENTIALS | {"host", "content-length", "content-type"}

# Request headers the gateway answers itself (aiohttp handles Expect: 100-continue with the client).
_REQUEST_ONLY_DROP = frozenset({"expect", "host", "content-length"})

# Sent by ws_connect itself.
_WEBSOCKET_HANDSHAKE = frozenset(
    {
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "sec-websocket-accept",
    }
)


def connection_tokens(headers: CIMultiDictProxy[str] | CIMultiDict[str]) -> set[str]:
    """Lower-case field names listed in every Connection header."""
    tokens: set[str] = set()
    for value in headers.getall("Connection", ()):
        tokens.update(t.strip().lower() for t in value.split(",") if t.strip())
    return tokens


def _strip(headers: CIMultiDictProxy[str], drop: frozenset[str] | set[str]) -> CIMultiDict[str]:
    """A copy of `headers` without the (lower-case) names in `drop`; order and repeats kept.

    Copying in C and deleting the few names present is cheaper than re-adding header by header.
    """
    out = CIMultiDict(headers)
    for name in drop:
        if name in out:
            del out[name]
    return out


def _drop_sets() -> dict[tuple[bool, bool, bool], frozenset[str]]:
    """upstream_headers' strip-set for every (peer trusted, mounted, websocket), built once."""
    sets = {}
    for trusted in (False, True):
        for mounted in (False, True):
            for websocket in (False, True):
                drop = HOP_BY_HOP | _REQUEST_ONLY_DROP
                if not trusted or mounted:
                    drop |= _FORWARDING | {"x-forwarded-prefix"}
                if mounted:
                    drop |= _CREDENTIALS
                if websocket:
                    drop |= _WEBSOCKET_HANDSHAKE
                sets[trusted, mounted, websocket] = drop
    return sets


_UPSTREAM_DROP = _drop_sets()
_DOWNSTREAM_DROP = {False: HOP_BY_HOP, True: HOP_BY_HOP | {"set-cookie", "set-cookie2"}}
_URL_HEADERS = ("Location", "Content-Location")


class TrustedProxies:
    """CIDRs whose X-Forwarded-* the gateway extends instead of replacing."""

    def __init__(self, cidrs: Iterable[str]) -> None:
        self._networks = [ipaddress.ip_network(c, strict=False) for c in cidrs]

    def __contains__(self, peer: object) -> bool:
        if not isinstance(peer, str) or not self._networks:
            return False
        try:
            address = ipaddress.ip_address(peer.split("%", 1)[0])
        except ValueError:
            return False
        return any(address in network for network in self._networks)


def upstream_headers(
    incoming: CIMultiDictProxy[str],
    *,
    peer: str | None,
    scheme: str,
    trusted: TrustedProxies,
    upstream: UpstreamMap,
    websocket: bool = False,
    mounted: bool = False,
) -> CIMultiDict[str]:
    """Headers to send upstream for one client request.

    Confluence gets the public Host and the client's X-Forwarded-Host/Proto. A `mounted` upstream
    (the Document Server under a path of the gateway's origin) gets its own Host, and
    X-Forwarded-Proto/Host/Prefix fixed from the public URL, whatever the client or a trusted proxy
    sent: the Document Server builds its public links (cache files) from them. It never gets the
    browser's Cookie or Authorization: those are the user's Confluence credentials, and the
    Document Server has no use for them. Content-Length is re-added by the caller for a streamed
    body it has decided to forward.
    """
    peer_trusted = peer in trusted
    drop = _UPSTREAM_DROP[peer_trusted, mounted, websocket]
    if "Connection" in incoming:
        drop = drop | (connection_tokens(incoming) - _PROTECTED)
    out = _strip(incoming, drop)

    # Only now add the gateway's own headers: no client token can remove them.
    prior_for = ", ".join(incoming.getall("X-Forwarded-For", ())) if peer_trusted else ""
    hop = peer or "unknown"
    out["X-Forwarded-For"] = f"{prior_for}, {hop}" if prior_for else hop
    if mounted:
        out["X-Forwarded-Proto"] = upstream.public_origin.scheme
        out["X-Forwarded-Host"] = upstream.public_host
        out["X-Forwarded-Prefix"] = upstream.public_prefix
        out["Host"] = upstream.upstream_host
        return out
    if "X-Forwarded-Proto" not in out:
        out["X-Forwarded-Proto"] = scheme
    if "X-Forwarded-Host" not in out:
        out["X-Forwarded-Host"] = incoming.get("Host", upstream.public_host)
    out["Host"] = upstream.public_host
    return out


def downstream_headers(
    incoming: CIMultiDictProxy[str], upstream: UpstreamMap, *, mounted: bool = False
) -> CIMultiDict[str]:
    """Response headers to send to the browser: hop-by-hop gone, upstream URLs made public.

    Set-Cookie from Confluence is passed as-is, every instance kept (Confluence sets several). A
    `mounted` upstream's Set-Cookie is dropped: the browser shares one origin between it and
    Confluence, so its cookies could shadow or clobber Confluence's (same name, Path=/), and they
    would never come back anyway (Cookie is not forwarded to it).
    """
    drop = _DOWNSTREAM_DROP[mounted]
    if "Connection" in incoming:
        drop = drop | connection_tokens(incoming)
    out = _strip(incoming, drop)
    for name in _URL_HEADERS:
        if name in out:
            for value in out.popall(name):
                out.add(name, upstream.to_public(value))
    if "Refresh" in out:
        for value in out.popall("Refresh"):
            out.add("Refresh", _rewrite_refresh(value, upstream))
    return out


def _rewrite_refresh(value: str, upstream: UpstreamMap) -> str:
    """`Refresh: 5; url=http://confluence:8090/x` -> the same with the public URL."""
    delay, sep, rest = value.partition(";")
    if not sep:
        return value
    key, eq, url = rest.strip().partition("=")
    if not eq or key.strip().lower() != "url":
        return value
    url = url.strip()
    quote = url[0] if url[:1] in ("'", '"') and url[-1:] == url[:1] else ""
    inner = url[1:-1] if quote else url
    return f"{delay}; {key.strip()}={quote}{upstream.to_public(inner)}{quote}"


def hide_server_version() -> None:
    """Make aiohttp answer `Server: onlyoffice-gateway` instead of `Python/3.x aiohttp/3.y`.

    aiohttp adds its default to every response without a Server header, including the 400s its
    parser sends for malformed requests, which no handler or signal sees; its module constant is
    the one place all of them read. A Server header from Confluence passes through unchanged.
    """
    aiohttp.web_response.SERVER_SOFTWARE = SERVER_NAME  # type: ignore[attr-defined]
