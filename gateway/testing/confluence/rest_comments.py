"""Page comments: `POST /rest/api/content` with `type: comment`, `GET .../child/comment`.

Confluence creates a comment like any content: a JSON body `{"type": "comment", "container":
{"id": "<pageId>", "type": "page"}, "ancestors": [{"id": "<comment>"}]?, "body": {"storage":
{"value": "...", "representation": "storage"}}}`, answered 200 with the new comment. The caller needs
to see the page (else 404, existence hidden) and the space's "add comments" permission (else 403).
Mentions in the body (`<ac:link><ri:user ri:userkey="..."/></ac:link>`) notify those people, as
Confluence's own mail and notification centre would (`store.notifications`). The simulator creates
comments only: other content types are a 400 here, not the page creation real Confluence does.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.testing.confluence.access import content_not_found, visible_page, with_visible_page
from gateway.testing.confluence.common import STORE, base_url, context_path, current_user, error, json_ok
from gateway.testing.confluence.paging import paged_list
from gateway.testing.confluence.serialize import Expand, page_json, page_webui, version_json
from gateway.testing.confluence.store import Comment, Page, Store

__all__ = ["comment_json", "routes"]

routes = web.RouteTableDef()

COMMENTS_DEFAULT_LIMIT = 25
COMMENTS_MAX_LIMIT = 100
MAX_COMMENT_BODY = 100_000


def comment_json(
    store: Store, comment: Comment, base: str, context: str, expand: Expand, *, top: bool = True
) -> dict[str, Any]:
    page = store.pages[comment.page_id]
    data: dict[str, Any] = {
        "id": str(comment.id),
        "type": "comment",
        "status": "current",
        "title": f"Re: {page.title}",
    }
    if "container" in expand or top:
        data["container"] = page_json(store, page, base, context, Expand(), top=False)
    if "ancestors" in expand or top:
        parent = store.comments.get(comment.parent_id) if comment.parent_id else None
        data["ancestors"] = (
            [comment_json(store, parent, base, context, Expand(), top=False)] if parent is not None else []
        )
    if "body" in expand or top:
        data["body"] = {"storage": {"value": comment.body, "representation": "storage"}}
    if "version" in expand or top:
        data["version"] = version_json(store, comment.id, 1, comment.by, comment.when, base)
    data["extensions"] = {"location": "footer", "_expandable": {"resolution": ""}}
    links = {
        "webui": f"{page_webui(page)}?focusedCommentId={comment.id}#comment-{comment.id}",
        "self": f"{base}/rest/api/content/{comment.id}",
    }
    if top:
        links.update({"base": base, "context": context})
    data["_links"] = links
    data["_expandable"] = {
        key: ""
        for key in ("children", "restrictions", "history", "descendants", "space", "operations")
        if key not in data
    }
    return data


def _id_of(item: object) -> str:
    value = item.get("id") if isinstance(item, dict) else None
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def create_comment(request: web.Request, body: dict[str, Any]) -> web.Response:
    """`POST /rest/api/content` with `type` "comment" (the route is rest_content's, by type)."""
    container = body.get("container")
    page_id = _id_of(container)
    if not page_id.isdigit():
        return error(400, "A comment must have a container")
    wrapper = body.get("body")
    storage = wrapper.get("storage") if isinstance(wrapper, dict) else None
    value = storage.get("value") if isinstance(storage, dict) else None
    if not isinstance(storage, dict) or not isinstance(value, str) or not value.strip():
        return error(400, "Cannot create a comment without a body")
    if len(value) > MAX_COMMENT_BODY or storage.get("representation", "storage") != "storage":
        return error(400, "The comment body must be storage format within the size limit")
    page = visible_page(request, int(page_id))
    if page is None:
        return content_not_found(int(page_id))
    store, user = request.app[STORE], current_user(request)
    if user is None or not store.can(user, page, "comment"):
        return error(
            403,
            "com.atlassian.confluence.api.service.exceptions.PermissionException: "
            "Could not create content with type comment",
        )
    parent_id: int | None = None
    ancestors = body.get("ancestors")
    if isinstance(ancestors, list) and ancestors:
        raw = _id_of(ancestors[-1])
        parent = store.comments.get(int(raw)) if raw.isdigit() else None
        if parent is None or parent.page_id != page.id:
            return error(400, f"Cannot find the parent comment: {raw}")
        parent_id = parent.id
    comment = store.add_comment(page.id, value, by=user.username, parent_id=parent_id)
    return json_ok(comment_json(store, comment, base_url(request), context_path(request), Expand()))


@routes.get("/rest/api/content/{id}/child/comment")
@with_visible_page()
async def list_comments(request: web.Request, page: Page) -> web.Response:
    store, base, context = request.app[STORE], base_url(request), context_path(request)
    expand = Expand(request.query.get("expand", ""))
    return paged_list(
        request,
        f"/rest/api/content/{page.id}/child/comment",
        store.comments_of(page.id),
        lambda comment: comment_json(store, comment, base, context, expand, top=False),
        default_limit=COMMENTS_DEFAULT_LIMIT,
        max_limit=COMMENTS_MAX_LIMIT,
    )
