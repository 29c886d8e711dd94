"""The download servlet: `/download/attachments/{pageId}/{name}` and friends (reference §1.7).

Not REST: anonymous callers without permission are redirected to the login page, and bytes of any
version are served with `?version=N` (latest without it). Single byte ranges are honoured (ranges.py).
"""

from __future__ import annotations

import io
import zipfile
from email.utils import formatdate
from urllib.parse import quote

from aiohttp import web

from gateway.testing.confluence.access import visible_page
from gateway.testing.confluence.common import CONFIG, STORE, current_user, encode_name
from gateway.testing.confluence.ranges import Unsatisfiable, requested_range
from gateway.testing.confluence.serialize import THUMBNAIL_TYPES
from gateway.testing.confluence.store import Attachment, AttachmentVersion

__all__ = ["login_redirect", "routes"]

routes = web.RouteTableDef()
INLINE_TYPES = THUMBNAIL_TYPES | {"application/pdf", "text/plain"}


def login_redirect(request: web.Request) -> web.Response:
    """Where Confluence sends an anonymous browser that may not see something."""
    ctx = request.app[CONFIG].context_path
    destination = request.rel_url.path_qs[len(ctx) :] if ctx else request.rel_url.path_qs
    location = f"{ctx}/login.action?os_destination={quote(destination, safe='')}&permissionViolation=true"
    return web.Response(status=302, headers={"Location": location})


def _not_found() -> web.Response:
    return web.Response(
        status=404, text="<html><body><h1>Not Found</h1></body></html>", content_type="text/html"
    )


def _find(request: web.Request) -> tuple[Attachment, AttachmentVersion] | web.Response:
    store = request.app[STORE]
    raw_page = request.match_info["page"]
    page = visible_page(request, int(raw_page)) if raw_page.isdigit() else None
    if page is None:
        exists = raw_page.isdigit() and int(raw_page) in store.pages
        return login_redirect(request) if exists and current_user(request) is None else _not_found()
    name = request.match_info["name"]
    att = store.attachment_by_name(page.id, name)
    if att is None:
        att = next(
            (a for a in store.attachments_of(page.id) if any(v.title == name for v in a.versions)), None
        )
    if att is None:
        return _not_found()
    raw_version = request.query.get("version")
    if raw_version:
        version = att.version(int(raw_version)) if raw_version.isdigit() else None
        if version is None:
            return _not_found()
    else:
        version = att.current
    return att, version


def _headers(version: AttachmentVersion, inline: bool) -> dict[str, str]:
    disposition = "inline" if inline else "attachment"
    return {
        "Content-Type": version.media_type,
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{encode_name(version.title)}",
        "Last-Modified": formatdate(version.when / 1000, usegmt=True),
        "ETag": f'"{version.when}-{version.size}"',
        "Cache-Control": "private",
        "Accept-Ranges": "bytes",
    }


@routes.get("/download/attachments/{page}/{name}")
async def download(request: web.Request) -> web.Response:
    found = _find(request)
    if isinstance(found, web.Response):
        return found
    att, version = found
    data = request.app[STORE].data(att, version.number)
    headers = _headers(version, version.media_type in INLINE_TYPES)
    return _ranged(request, data, headers)


def _ranged(request: web.Request, data: bytes, headers: dict[str, str]) -> web.Response:
    """The whole file, or the one byte range asked for (206), or 416 for a range past the end."""
    if request.method != "GET":  # RFC 9110 14.2: Range is defined for GET only (HEAD gets 200)
        return web.Response(body=data, headers=headers)
    try:
        wanted = requested_range(request.headers, len(data), headers["ETag"], headers["Last-Modified"])
    except Unsatisfiable:
        return web.Response(
            status=416, headers={"Content-Range": f"bytes */{len(data)}", "Accept-Ranges": "bytes"}
        )
    if wanted is None:
        return web.Response(body=data, headers=headers)
    headers["Content-Range"] = wanted.content_range
    return web.Response(status=206, body=data[wanted.start : wanted.end + 1], headers=headers)


@routes.get("/download/thumbnails/{page}/{name}")
async def thumbnail(request: web.Request) -> web.Response:
    """Images are their own thumbnail here; other types have none (as without previews plugin)."""
    found = _find(request)
    if isinstance(found, web.Response):
        return found
    att, version = found
    if version.media_type not in THUMBNAIL_TYPES:
        return _not_found()
    return _ranged(request, request.app[STORE].data(att, version.number), _headers(version, True))


@routes.get("/pages/downloadallattachments.action")
async def download_all(request: web.Request) -> web.Response:
    store = request.app[STORE]
    raw = request.query.get("pageId", "")
    page = visible_page(request, int(raw)) if raw.isdigit() else None
    if page is None:
        return login_redirect(request) if current_user(request) is None else _not_found()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for att in store.attachments_of(page.id):
            archive.writestr(att.title, store.data(att))
    name = encode_name(f"{page.title}.zip")
    return web.Response(
        body=buffer.getvalue(),
        headers={
            "Content-Type": "application/zip",
            "Content-Disposition": f"attachment; filename*=UTF-8''{name}",
        },
    )
