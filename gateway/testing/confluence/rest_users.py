"""`GET /rest/api/search`: Confluence DC's CQL search, for people (`type = user`) and pages.

DC has no `/rest/api/search/user` (that is Cloud); people are found with
`cql=type = user AND user.fullname ~ "text"`, and each result carries the person under `user`
(`username`, `userKey`, `displayName`, `profilePicture`), beside `title`, `url` and
`entityType: "user"`. The listing is a search RestList: `results,start,limit,size,totalSize,
cqlQuery,searchDuration,_links`. Only logged-in callers see people (anonymous users have no
"view user profiles" right); DC's Person JSON carries no e-mail address, so neither does this.
The simulator understands `type = user`, `user.fullname ~ "text"` (case-insensitive contains, on
the full name or the username) and `user = "username"`, joined by AND; content queries in the
subset `/rest/api/content/search` understands find pages, each result under `content` with
`entityType: "content"`; anything else is the 400 Confluence gives a query it cannot parse.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from gateway.testing.confluence.access import operations_for
from gateway.testing.confluence.common import STORE, base_url, context_path, current_user, error, json_ok
from gateway.testing.confluence.cql import clauses as cql_clauses
from gateway.testing.confluence.paging import page_window
from gateway.testing.confluence.rest_content import matching_pages, parse_content_cql
from gateway.testing.confluence.serialize import Expand, iso, page_json, page_webui, user_json
from gateway.testing.confluence.store import Page, User, now_ms

__all__ = ["SEARCH_DEFAULT_LIMIT", "SEARCH_MAX_LIMIT", "routes"]

routes = web.RouteTableDef()

# SearchResource: "limit ... Default: 25"; DC caps user searches (PaginationLimits) lower than content.
SEARCH_DEFAULT_LIMIT = 25
SEARCH_MAX_LIMIT = 50

_CLAUSE = re.compile(
    r'\s*(?:type\s*=\s*"?(?P<type>\w+)"?|user\.fullname\s*~\s*"(?P<fullname>(?:[^"\\]|\\.)*)"'
    r'|user\s*=\s*"(?P<user>(?:[^"\\]|\\.)*)")\s*',
    re.IGNORECASE,
)


def parse_user_cql(cql: str) -> dict[str, str] | None:
    """The clauses of a people query in the simulated subset, or None when it is not one."""
    found = cql_clauses(cql, _CLAUSE)
    if found is None or found.get("type", "").lower() != "user":
        return None
    return {**found, "type": "user"}


def _matches(user: User, query: dict[str, str]) -> bool:
    text = query.get("fullname", "").casefold()
    if text and text not in user.display_name.casefold() and text not in user.username.casefold():
        return False
    return "user" not in query or query["user"] == user.username


def _page_result(request: web.Request, page: Page, expand: Expand) -> dict[str, Any]:
    store = request.app[STORE]
    content = page_json(
        store,
        page,
        base_url(request),
        context_path(request),
        expand,
        operations_for(request, page),
        top=False,
    )
    return {
        "content": content,
        "title": page.title,
        "excerpt": "",
        "url": page_webui(page),
        "entityType": "content",
        "lastModified": iso(page.updated),
        "score": 0.0,
    }


def _result(user: User, base: str) -> dict[str, Any]:
    return {
        "user": user_json(user, base),
        "title": user.display_name,
        "excerpt": "",
        "url": f"/display/~{user.username}",
        "entityType": "user",
        "lastModified": iso(now_ms()),
        "score": 0.0,
    }


@routes.get("/rest/api/search")
async def search(request: web.Request) -> web.Response:
    cql = request.query.get("cql", "")
    query = parse_user_cql(cql)
    content_query = parse_content_cql(cql) if query is None else None
    if query is None and content_query is None:
        return error(400, f"Could not parse cql : {cql}")
    window = page_window(request, default_limit=SEARCH_DEFAULT_LIMIT, max_limit=SEARCH_MAX_LIMIT)
    if isinstance(window, web.Response):
        return window
    start, limit = window
    store, base = request.app[STORE], base_url(request)
    results: list[dict[str, Any]]
    if query is not None:
        people = (
            sorted(
                (u for u in store.users.values() if _matches(u, query)),
                key=lambda u: (u.display_name.casefold(), u.username),
            )
            if current_user(request) is not None
            else []
        )
        total = len(people)
        results = [_result(u, base) for u in people[start : start + limit]]
    else:
        pages = matching_pages(request, content_query or {})
        expand = Expand(request.query.get("expand", "")).sub("content")
        total = len(pages)
        results = [_page_result(request, p, expand) for p in pages[start : start + limit]]
    others = {k: v for k, v in request.query.items() if k not in ("start", "limit")}
    links: dict[str, str] = {
        "base": base,
        "context": context_path(request),
        "self": f"{base}/rest/api/search?{urlencode(others)}",
    }
    if start + limit < total:
        links["next"] = f"/rest/api/search?{urlencode({**others, 'limit': limit, 'start': start + limit})}"
    return json_ok(
        {
            "results": results,
            "start": start,
            "limit": limit,
            "size": len(results),
            "totalSize": total,
            "cqlQuery": cql,
            "searchDuration": 1,
            "_links": links,
        }
    )
