"""`onlyoffice-gateway nginx-config`: the nginx front's fast path, built from what the gateway knows.

The gateway changes only a few responses (the pages its filters may rewrite) and serves only its
own routes (and the Document Server when it is mounted under the wiki's origin); everything else,
most of Confluence's traffic (static resources, REST, Synchrony, attachment downloads), needs
nothing from it. This module asks the plugins, exactly as `create_app` sets them up, which paths
those are, and prints nginx configuration that sends just these through the gateway and the rest
straight to Confluence, with the headers the gateway itself would send. Two files:

- the *upstreams* part, for nginx's `http {}`: the two `upstream` blocks and a Connection map;
- the *locations* part, for the front's `server {}`: the host pin, health paths closed, the
  gateway's locations and the direct default.

Safety rule: the fast path is an optimisation, never a way around the gateway. A path the gateway
might rewrite must always reach it, however spelled. nginx matches locations on the normalised
URI (percent-decoded, slashes merged, dot-segments resolved), aiohttp filters match its decoded
`request.path`; a spelling the two read differently is, at worst, sent to the gateway, which then
decides as always. A filter that does not say which paths it rewrites sends everything there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web
from yarl import URL

from gateway.app import setup_plugins
from gateway.observability import HEALTH_PATHS
from gateway.proxy.headers import HOP_BY_HOP
from gateway.proxy.plugin import Plugin, RewrittenPaths
from gateway.proxy.upstream import UpstreamMap, host_spellings
from gateway.settings import Settings

__all__ = ["FastPath", "NginxConfigError", "fast_path", "locations_config", "nginx_regex", "upstreams_config"]

GATEWAY_UPSTREAM = "onlyoffice_gateway"
CONFLUENCE_UPSTREAM = "onlyoffice_confluence"
CONNECTION_MAP = "$onlyoffice_connection"

# Hop-by-hop request headers nginx would otherwise pass on: cleared, as the gateway drops them.
# (Connection, Upgrade and Transfer-Encoding nginx manages itself.)
_CLEARED_HOP_BY_HOP = sorted(HOP_BY_HOP - {"connection", "upgrade", "transfer-encoding"})
# Forwarding headers a client may send that the gateway never passes from an untrusted client.
_CLEARED_FORWARDING = (
    "Forwarded",
    "X-Forwarded-Port",
    "X-Forwarded-Server",
    "X-Forwarded-Prefix",
    "X-Real-IP",
)

# Regular-expression syntax whose meaning differs between Python's re and nginx's PCRE. A pattern
# using it could make nginx skip a page the gateway would rewrite, so it is refused.
_DIFFERENT_IN_PCRE = (
    (
        re.compile(r"\\[ZdDwWsSbB]"),
        "a class or anchor that differs between Python and PCRE (\\Z, \\d, \\w, \\s, \\b)",
    ),
    (re.compile(r"\(\?[aLu]"), "the inline flags a, L or u"),
    (re.compile(r'["\n\r]'), "double quotes or line breaks (nginx syntax)"),
)


class NginxConfigError(Exception):
    """The settings cannot be expressed as a safe nginx fast path; the message says why."""


@dataclass(frozen=True)
class FastPath:
    """What must reach the gateway; everything else may go straight to Confluence."""

    plugin_prefixes: tuple[str, ...]  # routes the gateway answers itself
    rewritten: tuple[RewrittenPaths, ...]  # pages a filter may rewrite
    docserver_prefix: str | None  # the Document Server mounted under the wiki's origin
    everything: bool  # a filter that does not say what it rewrites: no fast path at all


def fast_path(settings: Settings, plugins: Sequence[Plugin]) -> FastPath:
    """Ask the plugins, set up on an application that never starts, what the gateway serves."""
    context = setup_plugins(web.Application(), settings, plugins)
    # Plugins add routes only below the route prefix (PluginContext.add_route): one location for all.
    prefixes = (context.route_prefix,) if context.routes else ()
    rewritten: list[RewrittenPaths] = []
    everything = False
    for response_filter in context.filters:
        if not hasattr(response_filter, "paths"):
            everything = True
            continue
        paths = response_filter.paths
        if paths is not None:
            if not isinstance(paths, RewrittenPaths):
                raise NginxConfigError(f"filter {response_filter.name!r}: paths is not a RewrittenPaths")
            rewritten.append(paths)
    mount = settings.docserver_prefix if settings.documentserver.internal_url is not None else None
    return FastPath(prefixes, tuple(rewritten), mount or None, everything)


def nginx_regex(paths: RewrittenPaths) -> str:
    """One PCRE for nginx's `location ~` matching exactly the paths `paths.matches` accepts."""
    for pattern in paths.patterns:
        for syntax, what in _DIFFERENT_IN_PCRE:
            if syntax.search(pattern):
                raise NginxConfigError(
                    f"injection.paths: {pattern!r} uses {what}; write it with plain classes such as "
                    "[0-9] or [A-Za-z0-9_] so nginx reads it as the gateway does"
                )
    alternatives = "|".join(f"(?:{p})" for p in paths.patterns)
    prefix = re.escape(paths.prefix) if paths.prefix else ""
    return f"^{prefix}(?:{alternatives})$"


def upstreams_config(settings: Settings, gateway: str) -> str:
    """The http{}-level part: where the gateway and Confluence are, pooled, and the Connection map."""
    confluence = URL(settings.confluence.url)
    host = confluence.raw_host or ""
    server = f"[{host}]:{confluence.port}" if ":" in host else f"{host}:{confluence.port}"
    return "\n".join(
        [
            _HEADER,
            "# Include in nginx's http {} block, beside the front's server {}.",
            "",
            "# Keep-alive to both upstreams: no 'Connection: close' unless the client asked for an upgrade.",
            f"map $http_upgrade {CONNECTION_MAP} {{",
            "    default upgrade;",
            "    ''      '';",
            "}",
            "",
            f"upstream {GATEWAY_UPSTREAM} {{",
            f"    server {gateway};",
            "    keepalive 64;",
            "}",
            "",
            f"upstream {CONFLUENCE_UPSTREAM} {{",
            f"    server {server};",
            "    keepalive 64;",
            "}",
            "",
        ]
    )


_HEADER = (
    "# Generated by `onlyoffice-gateway nginx-config` from the gateway's config: do not edit, regenerate\n"
    "# after changing the config (injection.paths, public_url, confluence.url, documentserver.public_url)."
)


def _proxy_common(settings: Settings) -> list[str]:
    """Directives both kinds of location share: streaming, upgrades, timeouts, header hygiene."""
    lines = [
        "proxy_http_version 1.1;",
        "proxy_set_header Upgrade $http_upgrade;",
        f"proxy_set_header Connection {CONNECTION_MAP};",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Forwarded-Host $http_host;",
        "proxy_request_buffering off;",
        "proxy_buffering off;",
        # Unbuffered, nginx moves a body in proxy_buffer_size pieces (default one page, 4 KiB):
        # 64 KiB measured 2-4x faster on 200 KiB answers and downloads (./dev bench).
        "proxy_buffer_size 64k;",
        "proxy_buffers 8 64k;",
        f"proxy_connect_timeout {_seconds(settings.confluence.connect_timeout)};",
        f"proxy_read_timeout {_seconds(max(settings.confluence.read_timeout, settings.confluence.response_timeout))};",
        f"proxy_send_timeout {_seconds(settings.confluence.read_timeout)};",
    ]
    lines += [f'proxy_set_header {_header_name(name)} "";' for name in _CLEARED_HOP_BY_HOP]
    return lines


def _seconds(value: float) -> str:
    return f"{max(1, round(value))}s"


def _header_name(lower: str) -> str:
    special = {"te": "TE"}
    return special.get(lower, "-".join(part.capitalize() for part in lower.split("-")))


def _to_gateway(settings: Settings) -> list[str]:
    # The gateway checks Host against public_url itself and sends Confluence the public host.
    return [
        f"proxy_pass http://{GATEWAY_UPSTREAM};",
        "proxy_set_header Host $http_host;",
        *_proxy_common(settings),
    ]


def _to_confluence(settings: Settings) -> list[str]:
    """What the gateway would send Confluence for a request it does not change (headers.py)."""
    upstream = UpstreamMap.from_settings(settings)
    lines = [
        f"proxy_pass {URL(settings.confluence.url).scheme}://{CONFLUENCE_UPSTREAM};",
        f'proxy_set_header Host "{upstream.public_host}";',
        *_proxy_common(settings),
        *(f'proxy_set_header {name} "";' for name in _CLEARED_FORWARDING),
    ]
    # Location/Refresh naming the internal address become the public one, as to_public() does.
    public = f"{upstream.public_origin}/"
    for spelling in sorted(host_spellings(upstream.upstream_origin)):
        lines.append(f"proxy_redirect {upstream.upstream_origin.scheme}://{spelling}/ {public};")
    return lines


def _location(match: str, body: list[str]) -> list[str]:
    return [f"location {match} {{", *(f"    {line}" for line in body), "}", ""]


def locations_config(settings: Settings, plugins: Sequence[Plugin]) -> str:
    """The server{}-level part: every request either to the gateway or straight to Confluence."""
    found = fast_path(settings, plugins)
    upstream = UpstreamMap.from_settings(settings)
    hosts = "|".join(re.escape(h) for h in sorted(host_spellings(upstream.public_origin)))
    out = [
        _HEADER,
        "# Include inside the front's server {} block (after its listen/ssl lines).",
        "",
        "# Only the public host: the gateway refuses other hosts with 421, and so does the fast path.",
        f'if ($http_host !~* "^(?:{hosts})$") {{',
        "    return 421;",
        "}",
        "",
        f"client_max_body_size {settings.proxy.max_upload_bytes};  # proxy.max_upload_bytes",
        "",
        "# Health and metrics are for the cluster, not for the internet.",
    ]
    for path in sorted(HEALTH_PATHS):
        out.append(f"location = {path} {{ return 404; }}")
    out.append("")
    gateway = _to_gateway(settings)
    if found.everything:
        out += [
            "# A response filter does not say which paths it rewrites: everything goes through the gateway.",
            *_location("/", gateway),
        ]
        return "\n".join(out)
    out.append("# The gateway's own routes.")
    for prefix in found.plugin_prefixes:
        out += _location(f"^~ {prefix}", gateway)
    if found.docserver_prefix:
        out.append(
            "# The Document Server under the wiki's origin (HTTP and WebSockets), through the gateway."
        )
        out += _location(f"^~ {found.docserver_prefix}", gateway)
    for paths in found.rewritten:
        out.append("# Pages the gateway rewrites (injection.paths), whatever the method or query.")
        out += _location(f'~ "{nginx_regex(paths)}"', gateway)
    out.append(
        "# Everything else needs nothing from the gateway: straight to Confluence (Synchrony included)."
    )
    out += _location("/", _to_confluence(settings))
    return "\n".join(out)
