"""Looking content up as the caller may see it: hidden content is simply not found (404)."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway.testing.confluence.common import STORE, RouteHandler, current_user, error
from gateway.testing.confluence.store import Attachment, Page, User

__all__ = [
    "IdHandler",
    "PageHandler",
    "attachment_operations",
    "attachment_operations_for",
    "content_not_found",
    "operations_for",
    "parse_content_id",
    "visible_attachment",
    "visible_page",
    "with_content_id",
    "with_visible_page",
]

_ID = re.compile(r"(?:att)?(\d{1,18})")
IdHandler = Callable[[web.Request, int], Awaitable[web.Response]]
PageHandler = Callable[[web.Request, Page], Awaitable[web.Response]]


def parse_content_id(raw: str) -> int | web.Response:
    """DC's ContentId parser: digits or `att`-prefixed digits, else 400."""
    match = _ID.fullmatch(raw)
    if match is None:
        return error(400, f"Can't parse as a ContentId: {raw}")
    return int(match.group(1))


def content_not_found(content_id: int) -> web.Response:
    """DC's 404 for content that does not exist or that the caller may not see (the same answer)."""
    return error(404, f"No content found with id: ContentId{{id={content_id}}}")


def with_content_id(key: str = "id") -> Callable[[IdHandler], RouteHandler]:
    """Route decorator: the handler gets `match_info[key]` as a ContentId; a bad one is DC's 400,
    answered before the handler runs (so every resource parses ids, and fails, the same way)."""

    def decorate(handler: IdHandler) -> RouteHandler:
        @functools.wraps(handler)
        async def route(request: web.Request) -> web.Response:
            content_id = parse_content_id(request.match_info[key])
            if isinstance(content_id, web.Response):
                return content_id
            return await handler(request, content_id)

        return route

    return decorate


def with_visible_page(key: str = "id") -> Callable[[PageHandler], RouteHandler]:
    """Route decorator: the handler gets the page `match_info[key]` names; a bad id is 400, a page
    that is missing or hidden from the caller is the 404 of `content_not_found`."""

    def decorate(handler: PageHandler) -> RouteHandler:
        @functools.wraps(handler)
        async def route(request: web.Request, content_id: int) -> web.Response:
            page = visible_page(request, content_id)
            if page is None:
                return content_not_found(content_id)
            return await handler(request, page)

        return with_content_id(key)(route)

    return decorate


def visible_page(request: web.Request, page_id: int) -> Page | None:
    store = request.app[STORE]
    page = store.pages.get(page_id)
    if page is None or not store.can(current_user(request), page, "view"):
        return None
    return page


def visible_attachment(request: web.Request, att_id: int) -> Attachment | None:
    store = request.app[STORE]
    att = store.attachments.get(att_id)
    if att is None or att.status != "current" or visible_page(request, att.page_id) is None:
        return None
    return att


def operations_for(request: web.Request, page: Page, user: User | None = None) -> list[dict[str, str]]:
    """What `expand=operations` lists for the caller on a page."""
    store = request.app[STORE]
    who = user if user is not None else current_user(request)
    ops: list[dict[str, str]] = []
    if store.can(who, page, "view"):
        ops.append({"operation": "read", "targetType": "page"})
    if store.can(who, page, "edit"):
        ops.append({"operation": "update", "targetType": "page"})
    if store.can(who, page, "attach"):
        ops.append({"operation": "create", "targetType": "attachment"})
    if store.can(who, page, "remove"):
        ops.append({"operation": "delete", "targetType": "page"})
    return ops


def attachment_operations_for(request: web.Request, page: Page) -> list[dict[str, str]]:
    """What `expand=operations` lists for the caller on an attachment of `page`, as a single
    attachment (§1.2) and as an element of the page's attachment list (§1.3: `operations` is among the
    element's `_expandable`, and Confluence expands list elements like single content).
    """
    return attachment_operations(operations_for(request, page))


def attachment_operations(page_operations: list[dict[str, str]]) -> list[dict[str, str]]:
    """The caller's operations on an attachment, from theirs on its page (`operations_for`)."""
    return [
        {"operation": o["operation"], "targetType": "attachment"}
        for o in page_operations
        if o["operation"] != "create"
    ]
