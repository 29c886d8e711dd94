"""`GET|POST /downloadfile/<docid>`: DS fetches a file server-side for the editor (reference §6, §7).

The browser cannot always reach the storage host, so the editor asks DS to fetch history
`changesUrl`s (and `document.url`/`url` for the types in `downloadFileAllowExt`, pdf and xlsx)
and stream them back. What may be fetched comes only from the request's token (body `token` or the
inbox header, as every DS request; the token's payload alone counts): `changesUrl` first, then
`document.url` when `document.fileType` is allowed, then `url` when `fileType` is allowed. With JWT
off a plain `url` is taken as it is. Anything else, and a missing or bad token, is 403. The fetch
carries the outbox header token `{payload:{url}}` and passes `Range` on; the answer is the storage's
(status 200/206, its headers without Set-Cookie, control characters stripped from
Content-Disposition). A failed fetch answers as DS does: 408 on a timeout, 413 over
maxDownloadBytes, the storage's own status for an HTTP error, 400 otherwise.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from .convert import read_request_params
from .egress import MAX_DOWNLOAD_BYTES, USER_AGENT, DownloadError, Egress
from .tokens import TokenError, as_object

__all__ = ["ALLOWED_EXTENSIONS", "DownloadFile", "source_url"]

log = logging.getLogger(__name__)

ALLOWED_EXTENSIONS = frozenset({"pdf", "xlsx"})  # services.CoAuthoring.server.downloadFileAllowExt
DOWNLOAD_TIMEOUT = 120.0  # FileConverter.converter.downloadTimeout: 2 min
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authenticate"}
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def source_url(params: dict[str, Any], *, jwt_enabled: bool) -> str | None:
    """The URL the request's (verified) params allow fetching, in DS's order; None: access deny."""
    changes = params.get("changesUrl")
    if isinstance(changes, str) and changes:
        return changes
    document = as_object(params.get("document"))
    if document.get("fileType") in ALLOWED_EXTENSIONS and isinstance(document.get("url"), str):
        return str(document["url"])
    url = params.get("url")
    if isinstance(url, str) and url and (params.get("fileType") in ALLOWED_EXTENSIONS or not jwt_enabled):
        return url
    return None


class DownloadFile:
    def __init__(self, egress: Egress) -> None:
        self.egress = egress

    def add_to(self, app: web.Application) -> None:
        app.router.add_route("GET", "/downloadfile/{docid}", self.handle)
        app.router.add_route("POST", "/downloadfile/{docid}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            params = await read_request_params(request, self.egress)
        except (TokenError, ValueError) as exc:
            log.info("docserver simulator: downloadfile refused: %s", exc)
            return web.Response(status=403, text="Forbidden")
        url = source_url(params, jwt_enabled=self.egress.jwt_enabled)
        if url is None:
            log.info("docserver simulator: downloadfile refused: access deny")
            return web.Response(status=403, text="Forbidden")
        try:
            parsed = URL(url, encoded=True)
        except (ValueError, TypeError):
            return web.Response(status=400, text="Bad Request")
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return web.Response(status=400, text="Bad Request")
        headers = {"User-Agent": USER_AGENT, **self.egress.outbox_header({"url": url})}
        if "Range" in request.headers:
            headers["Range"] = request.headers["Range"]
        try:
            await self.egress.check(url, signed=self.egress.jwt_enabled)
            return await self._relay(request, parsed, headers)
        except DownloadError as exc:
            log.info("docserver simulator: downloadfile %s: %s", url, exc)
            return web.Response(status=400, text="Bad Request")
        except TimeoutError:
            return web.Response(status=408, text="Request Timeout")
        except aiohttp.ClientError as exc:
            log.info("docserver simulator: downloadfile %s: %s", url, type(exc).__name__)
            return web.Response(status=400, text="Bad Request")

    async def _relay(self, request: web.Request, url: URL, headers: dict[str, str]) -> web.StreamResponse:
        timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT)
        async with self.egress.session.get(
            url, headers=headers, timeout=timeout, allow_redirects=True, auto_decompress=False
        ) as upstream:
            if upstream.status not in (200, 206):
                return web.Response(status=upstream.status, text=upstream.reason or "")
            if (upstream.content_length or 0) > MAX_DOWNLOAD_BYTES:
                return web.Response(status=413, text="Payload Too Large")
            response = web.StreamResponse(status=upstream.status)
            for name, value in upstream.headers.items():
                lower = name.lower()
                if lower in _HOP_BY_HOP or lower == "set-cookie":
                    continue  # Set-Cookie would reset the browser's session with DS
                if lower == "content-disposition":
                    value = _CONTROL.sub("", value)
                response.headers.add(name, value)
            await response.prepare(request)
            size = 0
            async for chunk in upstream.content.iter_chunked(65536):
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:  # headers are out: all DS can do is cut the stream
                    if request.transport is not None:
                        request.transport.close()
                    return response
                await response.write(chunk)
            await response.write_eof()
            return response
