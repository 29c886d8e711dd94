"""Looking content up as the caller may see it: hidden content is simply not found (404)."""

from __future__ import annotations

import re

from aiohttp import web

from gateway.testing.confluence.common import STORE, current_user, error
from gateway.testing.confluence.store import Attachment, Page, User

__all__ = [
    "attachment_operations_for",
    "operations_for",
    "parse_content_id",
    "visible_attachment",
    "visible_page",
]

_ID = re.compile(r"(?:att)?(\d{1,18})")


def parse_content_id(raw: str) -> int | web.Response:
    """DC's ContentId parser: digits or `att`-prefixed digits, else 400."""
    match = _ID.fullmatch(raw)
    if match is None:
        return error(400, f"Can't parse as a ContentId: {raw}")
    return int(match.group(1))


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
    return [
        {"operation": o["operation"], "targetType": "attachment"}
        for o in operations_for(request, page)
        if o["operation"] != "create"
    ]
