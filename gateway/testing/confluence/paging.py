"""Confluence's paged RestList: `start`/`limit` parameters, `results,start,limit,size,_links` (§1.3).

One implementation for every listing resource, so the attachment list and the content list page the
same way: a bad number is a 400, `limit` is capped, `next`/`prev` links keep the other parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from gateway.testing.confluence.common import base_url, context_path, error, json_ok

__all__ = ["int_param", "page_window", "paged_list"]

T = TypeVar("T")


def int_param(request: web.Request, name: str, default: int) -> int | web.Response:
    """A non-negative query number (DC clamps negatives), or DC's 400 for one that is no number."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return max(0, int(raw))
    except ValueError:
        return error(400, f"Invalid value for parameter {name}: {raw}")


def page_window(
    request: web.Request, *, default_limit: int, max_limit: int
) -> tuple[int, int] | web.Response:
    """`start` and `limit` from the query (limit capped at `max_limit`, as Confluence caps it
    silently), or the 400 Confluence answers for a value that is not a number."""
    start = int_param(request, "start", 0)
    if isinstance(start, web.Response):
        return start
    limit = int_param(request, "limit", default_limit)
    if isinstance(limit, web.Response):
        return limit
    return start, min(limit, max_limit)


def paged_list(
    request: web.Request,
    path: str,
    found: Sequence[T],
    render: Callable[[T], dict[str, Any]],
    *,
    default_limit: int,
    max_limit: int,
) -> web.Response:
    """Answer the window of `found` that `start`/`limit` select, as Confluence's RestList JSON."""
    window = page_window(request, default_limit=default_limit, max_limit=max_limit)
    if isinstance(window, web.Response):
        return window
    start, limit = window
    base = base_url(request)
    query = {k: v for k, v in request.query.items() if k not in ("start", "limit")}
    links: dict[str, str] = {
        "base": base,
        "context": context_path(request),
        "self": f"{base}{path}" + (f"?{urlencode(query)}" if query else ""),
    }
    if start + limit < len(found):
        links["next"] = f"{path}?{urlencode({**query, 'limit': limit, 'start': start + limit})}"
    if start > 0:
        links["prev"] = f"{path}?{urlencode({**query, 'limit': limit, 'start': max(0, start - limit)})}"
    results = [render(item) for item in found[start : start + limit]]
    return json_ok(
        {"results": results, "start": start, "limit": limit, "size": len(results), "_links": links}
    )
