"""`.../onlyoffice/access?attachmentId=1&attachmentId=2`: what the injected script may show.

The browser script (static/inject.js) asks once per batch of attachments it found in markup that
Confluence rendered client-side. The answer is the same decision the server-side injection makes:
`{"<id>": {"mode": "edit" | "view" | null, "convert": "<ext>" | null, "download": bool}}`; ids the
user cannot see
are absent. Read-only, so no CSRF token; never cached by shared caches (it is per user).
An optional `pageId` (the page the attachments are on) lets the gateway list them in one call; it is
only a hint: attachments not on that page are still answered, one by one.
"""

from __future__ import annotations

import logging

from aiohttp import web

from gateway.confluence.models import ConfluenceError, is_content_id
from gateway.onlyoffice.access import MAX_BATCH, access_for_many
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT

__all__ = ["access"]

log = logging.getLogger(__name__)
_HEADERS = {
    "Cache-Control": "private, no-store",
    "Vary": "Cookie, Authorization",
    "X-Content-Type-Options": "nosniff",
}


async def access(request: web.Request) -> web.Response:
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    ids = request.query.getall("attachmentId", [])
    if not ids or len(ids) > MAX_BATCH or not all(is_content_id(i) for i in ids):
        return web.json_response(
            {"error": f"give 1 to {MAX_BATCH} numeric attachmentId parameters"}, status=400, headers=_HEADERS
        )
    page_id = request.query.get("pageId")
    if page_id is not None and not is_content_id(page_id):
        return web.json_response({"error": "pageId must be a numeric page id"}, status=400, headers=_HEADERS)
    try:
        found = await access_for_many(context, request.headers, ids, [page_id])
    except ConfluenceError as error:
        log.warning("access: Confluence lookup failed: %s", error)
        return web.json_response({"error": "Confluence is not answering"}, status=503, headers=_HEADERS)
    body = {
        attachment_id: {
            "mode": item.offer.mode,
            "convert": item.offer.convert_to,
            "download": bool(item.offer.download_to),
        }
        for attachment_id, item in found.items()
    }
    return web.json_response(body, headers=_HEADERS)
