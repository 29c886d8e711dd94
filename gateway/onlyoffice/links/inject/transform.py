"""A body transform for the proxy's response filters: buffer the page, then inject in one go.

The proxy core feeds decoded chunks to a `BodyTransform` (`feed`/`finish`, synchronous, see
gateway/proxy/plugin.py). Links need the whole page (a decision per attachment, and insertion
points that may come after a chunk boundary), so this transform keeps the page (Confluence pages
are hundreds of KiB), answers `b""` until `finish`, then scans and splices. A page larger than
`max_bytes` is passed through untouched from that point on, and any failure while injecting sends
the page as it came: a page is never broken by the injector.

`links` is awaited with the scan and returns the decisions (the plugin asks Confluence, as the
page's user, what each attachment allows), or None to leave the page as it came. Without it the page gets only the script, which asks
the gateway's `/access` route from the browser (see static/inject.js). `create`, awaited at the
same time, names the page whose "New document" control goes into the upload area (or None).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from gateway.onlyoffice.links.inject.model import AttachmentLinks, PageScan
from gateway.onlyoffice.links.inject.rewrite import ScriptPolicy, inject_links
from gateway.onlyoffice.links.inject.scan import scan_page

__all__ = ["DEFAULT_MAX_BYTES", "PageInjector"]

_log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 8 * 1024 * 1024

# None: leave the page exactly as it came (no links, no script).
LinksFor = Callable[[PageScan], Awaitable[Mapping[str, AttachmentLinks] | None]]
# The page id whose "New document" control goes into the page's upload area, or None.
CreateFor = Callable[[PageScan], Awaitable[str | None]]


async def _nothing(scan: PageScan) -> None:
    return None


async def _no_links(scan: PageScan) -> Mapping[str, AttachmentLinks]:
    return {}


class PageInjector:
    """`feed`/`finish` transform that injects links and the script into one HTML page."""

    def __init__(
        self,
        *,
        context_path: str,
        script_url: str | None,
        links: LinksFor | None = None,
        create: CreateFor | None = None,
        script: ScriptPolicy = "relevant",
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._context_path = context_path
        self._script_url = script_url
        self._links = links
        self._create = create
        self._script: ScriptPolicy = script
        self._max_bytes = max_bytes
        self._chunks: list[bytes] = []
        self._size = 0
        self._passthrough = False

    async def feed(self, chunk: bytes) -> bytes:
        if self._passthrough:
            return chunk
        self._chunks.append(chunk)
        self._size += len(chunk)
        if self._size <= self._max_bytes:
            return b""
        _log.info("page larger than %d bytes: passed through without links", self._max_bytes)
        self._passthrough = True
        return self._take()

    async def finish(self) -> bytes:
        if self._passthrough:
            return b""
        page = self._take()
        try:
            scan = scan_page(page)
            links, create_page = await asyncio.gather(
                self._links(scan) if self._links is not None else _no_links(scan),
                (self._create or _nothing)(scan),
            )
            if links is None:
                return page
            return inject_links(
                page,
                links,
                context_path=self._context_path,
                script_url=self._script_url,
                script=self._script,
                scan=scan,
                create_page=create_page,
            )
        except Exception:
            _log.exception("link injection failed; the page is sent unchanged")
            return page

    def _take(self) -> bytes:
        page = b"".join(self._chunks)
        self._chunks.clear()
        return page
