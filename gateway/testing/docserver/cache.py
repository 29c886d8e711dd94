"""Signed `/cache/files/...` links (reference §2.5): nginx `secure_link` semantics, 15 min lifetime.

Links are built from the Host / X-Forwarded-* headers of the request that caused them, as DS does,
so they carry the hostname the browser used, which the host may or may not be able to reach.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import quote

from aiohttp import web

from .blobs import BlobStore

__all__ = ["LINK_LIFETIME_SECONDS", "CacheFiles", "base_url_from_request"]

LINK_LIFETIME_SECONDS = 900


def _first(value: str | None) -> str | None:
    if not value:
        return None
    first = value.split(",")[0].strip()
    return first or None


def base_url_from_request(request: web.BaseRequest) -> str:
    """DS's `getBaseUrl`: X-Forwarded-Proto / CloudFront-Forwarded-Proto, X-Forwarded-Host, Host, prefix."""
    headers = request.headers
    proto = (
        _first(headers.get("X-Forwarded-Proto"))
        or _first(headers.get("CloudFront-Forwarded-Proto"))
        or request.scheme
    )
    host = _first(headers.get("X-Forwarded-Host")) or request.host
    prefix = _first(headers.get("X-Forwarded-Prefix")) or ""
    return f"{proto}://{host}{prefix.rstrip('/')}"


class CacheFiles:
    """Stores assembled/converted files and hands out signed, expiring links to them."""

    def __init__(self, blobs: BlobStore, secret: str | None = None, lifetime: float = LINK_LIFETIME_SECONDS):
        self._blobs = blobs
        self.secret = secret or secrets.token_urlsafe(24)
        self.lifetime = lifetime

    def put(self, doc_id: str, file: str, data: bytes) -> None:
        self._blobs.put(f"cache/{doc_id}/{file}", data)

    def _md5(self, expires: int, uri: str) -> str:
        digest = hashlib.md5(f"{expires}{uri}{self.secret}".encode()).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def link(self, base_url: str, doc_id: str, file: str, friendly: str | None = None) -> str:
        """`{base}/cache/files/data/{docId}/{file}/{friendly}?md5=&expires=&filename=`."""
        friendly = friendly or file
        expires = int(time.time() + self.lifetime)
        uri = f"/cache/files/data/{doc_id}/{file}/{friendly}"
        md5 = self._md5(expires, uri)
        quoted = quote(uri, safe="/")
        return f"{base_url}{quoted}?md5={md5}&expires={expires}&filename={quote(friendly, safe='')}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /cache/files/data/{docId}/{file}/{friendly}: 403 bad md5, 410 expired, else the file."""
        uri = request.path
        md5 = request.query.get("md5", "")
        try:
            expires = int(request.query.get("expires", ""))
        except ValueError:
            raise web.HTTPForbidden(text="403 Forbidden") from None
        if not secrets.compare_digest(md5, self._md5(expires, uri)):
            raise web.HTTPForbidden(text="403 Forbidden")
        if expires < time.time():
            raise web.HTTPGone(text="410 Gone")
        doc_id = request.match_info["doc_id"]
        file = request.match_info["file"]
        data = self._blobs.get(f"cache/{doc_id}/{file}")
        if data is None:
            raise web.HTTPNotFound(text="404 Not Found")
        filename = request.query.get("filename") or request.match_info["friendly"]
        return web.Response(
            body=data,
            content_type="application/octet-stream",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}"},
        )
