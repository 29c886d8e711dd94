"""Query strings of the plugin's own routes: capped before a handler reads them.

Every route of the plugin takes a handful of short parameters (`attachmentId`, `token`, `lang`,
`actionData`...). A longer query string than `proxy.max_query_bytes` is answered 414 and more
parameters than `proxy.max_query_params` 400, in the route's own style: an error page for the
pages browsers open, `{"error": ...}` for what the pages' scripts fetch, and the Document Server's
`{"error": 1}` for its callback and download. Proxied Confluence paths are not touched: their
request line is bounded by `proxy.max_header_bytes` alone, as Confluence's own server bounds it.
"""

from __future__ import annotations

import functools
import logging
from typing import Literal

from aiohttp import web

from gateway.onlyoffice.answers import error_page, json_answer
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.proxy.plugin import Handler

__all__ = ["RouteKind", "bounded_query"]

log = logging.getLogger(__name__)

# page: opened by a browser (HTML error page); script: fetched by a gateway page's script (JSON);
# docserver: called by the Document Server (its `{"error": 1}` shape).
RouteKind = Literal["page", "script", "docserver"]


def _problem(request: web.Request, max_bytes: int, max_params: int) -> tuple[int, str] | None:
    if len(request.query_string) > max_bytes:
        return 414, f"the query string is longer than {max_bytes} bytes"
    if request.query_string.count("&") + 1 > max_params and len(request.query) > max_params:
        return 400, f"the query string has more than {max_params} parameters"
    return None


def bounded_query(handler: Handler, kind: RouteKind) -> Handler:
    """`handler`, answering a query string beyond the caps itself (never reaching the handler)."""

    @functools.wraps(handler)
    async def bounded(request: web.Request) -> web.StreamResponse:
        context = request.config_dict[ONLYOFFICE_CONTEXT]
        proxy = context.settings.proxy
        found = _problem(request, proxy.max_query_bytes, proxy.max_query_params)
        if found is None:
            return await handler(request)
        status, message = found
        # The path only: the query may carry a link token.
        log.warning("%s refused (%s): %s, from %s", request.path, status, message, request.remote)
        if kind == "page":
            return error_page(context, request, status, "error.bad_address", "error.bad_address_detail")
        if kind == "docserver":
            return web.json_response({"error": 1, "message": message}, status=status)
        return json_answer({"error": message}, status)

    return bounded
