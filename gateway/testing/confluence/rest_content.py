"""Content, space, user, restriction and version resources of `/rest/api` and `/rest/experimental`."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from gateway.testing.confluence.access import (
    attachment_operations,
    content_not_found,
    operations_for,
    visible_attachment,
    visible_page,
    with_content_id,
    with_visible_page,
)
from gateway.testing.confluence.auth import xsrf_failure
from gateway.testing.confluence.common import STORE, base_url, context_path, current_user, error, json_ok
from gateway.testing.confluence.cql import clauses as cql_clauses
from gateway.testing.confluence.paging import paged_list
from gateway.testing.confluence.rest_attachments import read_json, update_metadata
from gateway.testing.confluence.rest_comments import create_comment
from gateway.testing.confluence.serialize import (
    Expand,
    anonymous_json,
    attachment_json,
    attachment_version_json,
    group_json,
    page_json,
    space_json,
    user_json,
    version_json,
)
from gateway.testing.confluence.store import Page, now_ms

__all__ = ["matching_pages", "parse_content_cql", "rest_not_found", "routes"]

routes = web.RouteTableDef()


# ContentResource.getContent: "limit ... Default: 25", restricted by fixed system limits.
CONTENT_DEFAULT_LIMIT = 25
CONTENT_MAX_LIMIT = 100


@routes.get("/rest/api/content")
async def list_content(request: web.Request) -> web.Response:
    """Pages the caller may see, by `spaceKey` and exact `title` (atlassian-python-api's
    `get_page_by_title`, `get_all_pages_from_space`); the simulator holds no blog posts."""
    store = request.app[STORE]
    kind = request.query.get("type", "page")
    space_key, title = request.query.get("spaceKey"), request.query.get("title")
    found = [
        page
        for page in sorted(store.pages.values(), key=lambda p: p.id)
        if kind == "page"
        and request.query.get("status", "current") in ("current", "any")
        and (space_key is None or page.space_key == space_key)
        and (title is None or page.title == title)
        and visible_page(request, page.id) is not None
    ]
    return _pages_list(request, "/rest/api/content", found, CONTENT_MAX_LIMIT)


def _pages_list(request: web.Request, path: str, found: list[Page], max_limit: int) -> web.Response:
    """Pages as a RestList, each expanded as `expand` asks with the caller's operations."""
    store = request.app[STORE]
    base, context = base_url(request), context_path(request)
    expand = Expand(request.query.get("expand", ""))
    return paged_list(
        request,
        path,
        found,
        lambda page: page_json(store, page, base, context, expand, operations_for(request, page), top=False),
        default_limit=CONTENT_DEFAULT_LIMIT,
        max_limit=max_limit,
    )


# CQL search (`GET /rest/api/content/search`, Confluence's ContentResource.search; Atlassian KB
# "Searching for content with the REST API and CQL always limits results to 50", DC): results are
# what the caller may view, as a RestList; the limit is capped at 1000 without expansions, 200 with
# (50 with a body expansion, not simulated). The simulator understands the subset the gateway
# sends: `type = page|blogpost`, `title ~ "text"` (contains, case-insensitive), `space = "KEY"`,
# joined by AND, optionally `ORDER BY title`; anything else is Confluence's 400 for a bad query.
_CQL_CLAUSE = re.compile(
    r'\s*(?:type\s*=\s*(?P<type>page|blogpost)|title\s*~\s*"(?P<title>(?:[^"\\]|\\.)*)"'
    r'|space\s*=\s*"?(?P<space>[A-Za-z0-9~_]+)"?)\s*',
    re.IGNORECASE,
)
_CQL_ORDER = re.compile(r"\s+ORDER\s+BY\s+title(?:\s+(?:ASC|DESC))?\s*$", re.IGNORECASE)


def parse_content_cql(cql: str) -> dict[str, str] | None:
    """The clauses of a query in the simulated subset, or None when it is not one."""
    found = cql_clauses(_CQL_ORDER.sub("", cql), _CQL_CLAUSE)
    if found is not None and "type" in found:
        found["type"] = found["type"].lower()
    return found


def matching_pages(request: web.Request, query: dict[str, str]) -> list[Page]:
    """The pages a parsed content query finds that the caller may see, by title."""
    if query.get("type", "page") != "page":
        return []  # the simulator holds no blog posts
    title = query.get("title", "").casefold()
    return sorted(
        (
            page
            for page in request.app[STORE].pages.values()
            if title in page.title.casefold()
            and query.get("space", page.space_key) == page.space_key
            and visible_page(request, page.id) is not None
        ),
        key=lambda p: (p.title.casefold(), p.id),
    )


@routes.post("/rest/api/content")
async def create_content(request: web.Request) -> web.Response:
    """ContentResource.createContent: a comment (rest_comments.py) or a page; no blog posts here."""
    body = await read_json(request)
    if isinstance(body, web.Response):
        return body
    if body.get("type") == "comment":
        return create_comment(request, body)
    if body.get("type") == "page":
        return _create_page(request, body)
    return error(400, f"The simulator creates pages and comments, not content of type {body.get('type')!r}")


def _create_page(request: web.Request, body: dict[str, Any]) -> web.Response:
    """JSON `title`, `space.key`, optional `ancestors[0].id` (the parent) and `body.storage.value`;
    the answer is the new page.

    A space the caller may not see is 404 as for a missing one, without the space's "Add Page"
    permission (`edit` here) 403, a title already used in the space 400, like DC.
    """
    store, user = request.app[STORE], current_user(request)
    space_ref, title = body.get("space"), body.get("title")
    key = space_ref.get("key") if isinstance(space_ref, dict) else None
    if not isinstance(title, str) or not title.strip():
        return error(400, "Content title is required")
    space = store.spaces.get(key) if isinstance(key, str) else None
    if space is None or "view" not in store.space_permissions(user, space):
        return error(404, f"No space with key : {key}")
    if "edit" not in store.space_permissions(user, space):
        return error(
            403,
            "com.atlassian.confluence.api.service.exceptions.PermissionException: "
            "Could not create content with type page",
        )
    if any(p.space_key == space.key and p.title == title for p in store.pages.values()):
        return error(
            400,
            f"A page with this title already exists: A page already exists with the title {title} "
            f"in the space with key {space.key}",
        )
    parent_id = _parent_of(request, body.get("ancestors"))
    if isinstance(parent_id, web.Response):
        return parent_id
    storage = (body.get("body") or {}).get("storage") if isinstance(body.get("body"), dict) else None
    value = storage.get("value") if isinstance(storage, dict) else None
    text = value if isinstance(value, str) else ""
    assert user is not None  # anonymous users hold no "edit"
    page = store.add_page(
        space.key,
        title,
        body=text,
        by=user.username,
        parent_id=parent_id,
        attachments_macro='ac:name="attachments"' in text,
    )
    return _page_answer(request, page)


def _page_answer(request: web.Request, page: Page) -> web.Response:
    """A created or updated page as DC answers it: with its version and space."""
    store = request.app[STORE]
    return json_ok(
        page_json(
            store,
            page,
            base_url(request),
            context_path(request),
            Expand("version,space"),
            operations_for(request, page),
        )
    )


def _parent_of(request: web.Request, ancestors: Any) -> int | web.Response | None:
    """The first ancestor's id, a page the caller sees; None for a page at the space's top."""
    if not ancestors:
        return None
    first = ancestors[0] if isinstance(ancestors, list) else None
    raw = str(first.get("id", "")) if isinstance(first, dict) else ""
    if not raw.isdigit() or visible_page(request, int(raw)) is None:
        return error(404, f"No content found with id: {raw}")
    return int(raw)


@routes.get("/rest/api/content/search")
async def search_content(request: web.Request) -> web.Response:
    cql = request.query.get("cql", "")
    query = parse_content_cql(cql)
    if query is None:
        return error(400, f"Could not parse cql : {cql}")
    found = matching_pages(request, query)
    return _pages_list(
        request, "/rest/api/content/search", found, 200 if request.query.get("expand") else 1000
    )


@routes.get("/rest/api/content/{id}")
@with_content_id()
async def get_content(request: web.Request, content_id: int) -> web.Response:
    store = request.app[STORE]
    base, context = base_url(request), context_path(request)
    expand = Expand(request.query.get("expand", ""))
    page = visible_page(request, content_id)
    if page is not None:
        return json_ok(page_json(store, page, base, context, expand, operations_for(request, page)))
    att = visible_attachment(request, content_id)
    if att is None:
        return content_not_found(content_id)
    number: int | None = None
    if raw := request.query.get("version"):
        if not raw.isdigit() or att.version(int(raw)) is None:
            return content_not_found(content_id)
        number = int(raw)
    page_ops = operations_for(request, store.pages[att.page_id])  # once, for both expansions
    return json_ok(
        attachment_json(
            store,
            att,
            base,
            context,
            expand,
            top=True,
            operations=attachment_operations(page_ops),
            number=number,
            page_operations=page_ops,
        )
    )


@routes.put("/rest/api/content/{id}")
@with_content_id()
async def put_content(request: web.Request, content_id: int) -> web.Response:
    """JSON only: a multipart PUT here is 415, as atlassian-python-api 5.x learns (§1.6)."""
    body = await read_json(request)
    if isinstance(body, web.Response):
        return body
    att = visible_attachment(request, content_id)
    if att is not None:
        return await update_metadata(request, att, body)
    page = visible_page(request, content_id)
    if page is None:
        return content_not_found(content_id)
    return _update_page(request, page, body)


def _update_page(request: web.Request, page: Page, body: dict[str, Any]) -> web.Response:
    store, user = request.app[STORE], current_user(request)
    if user is None or not store.can(user, page, "edit"):
        return error(403, f"Not permitted to update content with id: {page.id}")
    version = body.get("version")
    number = version.get("number") if isinstance(version, dict) else None
    if number != page.version + 1:
        return error(409, f"Version must be incremented on update. Current version is: {page.version}")
    if isinstance(body.get("title"), str) and body["title"]:
        page.title = body["title"]
    storage = (body.get("body") or {}).get("storage") if isinstance(body.get("body"), dict) else None
    if isinstance(storage, dict) and isinstance(storage.get("value"), str):
        page.body = storage["value"]
    page.version = number
    page.updated_by = user.username
    page.updated = now_ms()
    store.save()
    return _page_answer(request, page)


def _restriction(request: web.Request, page: Page, operation: str) -> dict[str, Any]:
    store, base = request.app[STORE], base_url(request)
    entry = page.restrictions.get(operation, {})
    users = [user_json(store.users[u], base) for u in entry.get("user", []) if u in store.users]
    groups = [group_json(g, base) for g in entry.get("group", [])]
    return {
        "operation": operation,
        "restrictions": {
            "user": {"results": users, "start": 0, "limit": 200, "size": len(users)},
            "group": {"results": groups, "start": 0, "limit": 200, "size": len(groups)},
        },
        "_expandable": {"content": f"/rest/api/content/{page.id}"},
        "_links": {"self": f"{base}/rest/api/content/{page.id}/restriction/byOperation/{operation}"},
    }


@routes.get("/rest/api/content/{id}/restriction/byOperation")
@with_visible_page()
async def restrictions(request: web.Request, page: Page) -> web.Response:
    data: dict[str, Any] = {op: _restriction(request, page, op) for op in ("read", "update")}
    data["_links"] = {"base": base_url(request), "context": context_path(request)}
    return json_ok(data)


@routes.get("/rest/api/content/{id}/restriction/byOperation/{op}")
@with_visible_page()
async def restriction(request: web.Request, page: Page) -> web.Response:
    if request.match_info["op"] not in ("read", "update"):
        return error(400, f"Invalid operation: {request.match_info['op']}")
    return json_ok(_restriction(request, page, request.match_info["op"]))


@routes.get("/rest/api/space/{key}")
async def get_space(request: web.Request) -> web.Response:
    store = request.app[STORE]
    space = store.spaces.get(request.match_info["key"])
    if space is None or "view" not in store.space_permissions(current_user(request), space):
        return error(404, f"No space with key : {request.match_info['key']}")
    return json_ok(space_json(space, base_url(request)))


@routes.get("/rest/api/user/current")
async def user_current(request: web.Request) -> web.Response:
    """Anonymous callers get 200 `type: anonymous`, never 401 (reference §1.9)."""
    user, base = current_user(request), base_url(request)
    return json_ok(user_json(user, base) if user else anonymous_json(base))


@routes.get("/rest/api/user/anonymous")
async def user_anonymous(request: web.Request) -> web.Response:
    return json_ok(anonymous_json(base_url(request)))


@routes.get("/rest/api/user")
async def user_lookup(request: web.Request) -> web.Response:
    store = request.app[STORE]
    key, username = request.query.get("key"), request.query.get("username")
    if (key is None) == (username is None):
        return error(400, "Only one query param of key or username is required")
    if current_user(request) is None:
        return error(404, "No user found")
    user = store.user_by_key(key) if key is not None else store.users.get(username or "")
    if user is None:
        return error(
            404, f"No user found with {'key' if key is not None else 'username'} : {key or username}"
        )
    return json_ok(user_json(user, base_url(request)))


@routes.get("/rest/api/user/memberof")
async def user_memberof(request: web.Request) -> web.Response:
    store, base = request.app[STORE], base_url(request)
    user = store.users.get(request.query.get("username", ""))
    if user is None or current_user(request) is None:
        return error(404, f"No user found with username : {request.query.get('username', '')}")
    groups = [group_json(g, base) for g in user.groups]
    return json_ok(
        {
            "results": groups,
            "start": 0,
            "limit": 200,
            "size": len(groups),
            "_links": {"base": base, "context": context_path(request)},
        }
    )


@routes.get("/rest/experimental/content/{id}/version")
@with_content_id()
async def list_versions(request: web.Request, content_id: int) -> web.Response:
    store, base = request.app[STORE], base_url(request)
    try:
        start = max(0, int(request.query.get("start", "0")))
        limit = max(1, min(200, int(request.query.get("limit", "200"))))
    except ValueError:
        return error(400, "start and limit must be integers")
    att = visible_attachment(request, content_id)
    if att is not None:
        versions = [attachment_version_json(store, att, v, base) for v in reversed(att.versions)]
    else:
        page = visible_page(request, content_id)
        if page is None:
            return content_not_found(content_id)
        versions = [version_json(store, page.id, page.version, page.updated_by, page.updated, base)]
    window = versions[start : start + limit]
    path = f"/rest/experimental/content/{content_id}/version"
    links = {"base": base, "context": context_path(request), "self": base + path}
    if start + limit < len(versions):
        links["next"] = f"{path}?limit={limit}&start={start + limit}"
    return json_ok({"results": window, "start": start, "limit": limit, "size": len(window), "_links": links})


@routes.get("/rest/experimental/content/{id}/version/{n}")
@with_content_id()
async def get_version(request: web.Request, content_id: int) -> web.Response:
    store, base = request.app[STORE], base_url(request)
    att = visible_attachment(request, content_id)
    number = request.match_info["n"]
    found = att.version(int(number)) if att is not None and number.isdigit() else None
    if att is None or found is None:
        return content_not_found(content_id)
    data = attachment_version_json(store, att, found, base)
    data["content"] = attachment_json(store, att, base, context_path(request), Expand(), number=found.number)
    return json_ok(data)


@routes.delete("/rest/experimental/content/{id}/version/{n}")
@with_content_id()
async def delete_version(request: web.Request, content_id: int) -> web.Response:
    store = request.app[STORE]
    att = visible_attachment(request, content_id)
    if att is None or not request.match_info["n"].isdigit():
        return content_not_found(content_id)
    if not store.can(current_user(request), store.pages[att.page_id], "remove"):
        return error(
            403, f"Not permitted to delete version {request.match_info['n']} of content: {content_id}"
        )
    if not store.delete_version(att, int(request.match_info["n"])):
        return error(404, f"No version {request.match_info['n']} for content: {content_id}")
    return web.Response(status=204)


@routes.post("/json/removeattachment.action")
async def remove_attachment_action(request: web.Request) -> web.Response:
    """The UI action atlassian-python-api's `delete_attachment` posts to (form, no-check header)."""
    if failed := xsrf_failure(request, requires_check=True, rest=False):
        return failed
    store = request.app[STORE]
    page_id = request.query.get("pageId", "")
    name = request.query.get("fileName") or request.query.get("filename") or ""
    page = visible_page(request, int(page_id)) if page_id.isdigit() else None
    att = store.attachment_by_name(page.id, name) if page is not None else None
    if page is None or att is None:
        return error(404, f"No attachment found with name: {name}")
    if not store.can(current_user(request), page, "remove"):
        return error(403, "You do not have permission to remove this Attachment")
    raw = request.query.get("version", "")
    if raw.isdigit():
        store.delete_version(att, int(raw))
    else:
        att.status = "trashed"
        store.save()
    return json_ok({})


async def rest_not_found(request: web.Request) -> web.Response:
    """Unknown REST paths (e.g. `/rest/api/1.0/...`, which DC does not have) are a JSON 404."""
    return error(404, f"null for uri: {request.url}")
