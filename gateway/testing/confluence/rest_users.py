"""`GET /rest/api/search` for people: Confluence DC's CQL search with `type = user`.

DC has no `/rest/api/search/user` (that is Cloud); people are found with
`cql=type = user AND user.fullname ~ "text"`, and each result carries the person under `user`
(`username`, `userKey`, `displayName`, `profilePicture`), beside `title`, `url` and
`entityType: "user"`. The listing is a search RestList: `results,start,limit,size,totalSize,
cqlQuery,searchDuration,_links`. Only logged-in callers see people (anonymous users have no
"view user profiles" right); DC's Person JSON carries no e-mail address, so neither does this.
The simulator understands `type = user`, `user.fullname ~ "text"` (case-insensitive contains, on
the full name or the username) and `user = "username"`, joined by AND; anything else is the 400
Confluence gives a query it cannot parse. Content search stays at `/rest/api/content/search`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from gateway.testing.confluence.common import STORE, base_url, context_path, current_user, error, json_ok
from gateway.testing.confluence.paging import int_param
from gateway.testing.confluence.serialize import iso, user_json
from gateway.testing.confluence.store import User, now_ms

__all__ = ["SEARCH_DEFAULT_LIMIT", "SEARCH_MAX_LIMIT", "routes"]

routes = web.RouteTableDef()

# SearchResource: "limit ... Default: 25"; DC caps user searches (PaginationLimits) lower than content.
SEARCH_DEFAULT_LIMIT = 25
SEARCH_MAX_LIMIT = 50

_CLAUSE = re.compile(
    r'\s*(?:(type)\s*=\s*"?(\w+)"?|(user\.fullname)\s*~\s*"((?:[^"\\]|\\.)*)"|(user)\s*=\s*"((?:[^"\\]|\\.)*)")\s*',
    re.IGNORECASE,
)
_AND = re.compile(r"AND\s+", re.IGNORECASE)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_user_cql(cql: str) -> dict[str, str] | None:
    """The clauses of a people query in the simulated subset, or None when it is not one."""
    found: dict[str, str] = {}
    position = 0
    while True:
        match = _CLAUSE.match(cql, position)
        if match is None:
            return None
        if match.group(1):
            found["type"] = match.group(2).lower()
        elif match.group(3):
            found["fullname"] = _unescape(match.group(4))
        else:
            found["user"] = _unescape(match.group(6))
        position = match.end()
        if position == len(cql):
            return found if found.get("type") == "user" else None
        joined = _AND.match(cql, position)
        if joined is None:
            return None
        position = joined.end()


def _matches(user: User, query: dict[str, str]) -> bool:
    text = query.get("fullname", "").casefold()
    if text and text not in user.display_name.casefold() and text not in user.username.casefold():
        return False
    return "user" not in query or query["user"] == user.username


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
    if query is None:
        return error(400, f"Could not parse cql : {cql}")
    start = int_param(request, "start", 0)
    if isinstance(start, web.Response):
        return start
    limit = int_param(request, "limit", SEARCH_DEFAULT_LIMIT)
    if isinstance(limit, web.Response):
        return limit
    limit = min(limit, SEARCH_MAX_LIMIT)
    store, base = request.app[STORE], base_url(request)
    people = (
        sorted(
            (u for u in store.users.values() if _matches(u, query)),
            key=lambda u: (u.display_name.casefold(), u.username),
        )
        if current_user(request) is not None
        else []
    )
    window = people[start : start + limit]
    others = {k: v for k, v in request.query.items() if k not in ("start", "limit")}
    links: dict[str, str] = {
        "base": base,
        "context": context_path(request),
        "self": f"{base}/rest/api/search?{urlencode(others)}",
    }
    if start + limit < len(people):
        links["next"] = f"/rest/api/search?{urlencode({**others, 'limit': limit, 'start': start + limit})}"
    return json_ok(
        {
            "results": [_result(u, base) for u in window],
            "start": start,
            "limit": limit,
            "size": len(window),
            "totalSize": len(people),
            "cqlQuery": cql,
            "searchDuration": 1,
            "_links": links,
        }
    )
