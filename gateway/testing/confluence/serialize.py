"""Content, space, user and version objects in DC's REST JSON shapes (reference §1.2-§1.3)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_plus

from gateway.testing.confluence.common import encode_name
from gateway.testing.confluence.store import Attachment, AttachmentVersion, Page, Space, Store, User

__all__ = [
    "Expand",
    "anonymous_json",
    "attachment_json",
    "attachment_version_json",
    "group_json",
    "history_json",
    "iso",
    "page_json",
    "page_webui",
    "space_json",
    "user_json",
    "version_json",
]

THUMBNAIL_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/bmp", "image/webp"})
ATTACHMENT_EXPANDABLE = (
    "container",
    "metadata",
    "operations",
    "children",
    "restrictions",
    "history",
    "ancestors",
    "body",
    "version",
    "descendants",
    "space",
)


class Expand:
    """A parsed `expand=a,b.c` parameter: which keys to expand, and what under each."""

    def __init__(self, raw: str = "") -> None:
        self.paths = [p.strip() for p in raw.split(",") if p.strip()]

    def __contains__(self, key: str) -> bool:
        return any(p == key or p.startswith(key + ".") for p in self.paths)

    def sub(self, key: str) -> Expand:
        inner = Expand()
        inner.paths = [p[len(key) + 1 :] for p in self.paths if p.startswith(key + ".")]
        return inner


def iso(ms: int) -> str:
    """`2021-05-05T07:53:12.183Z`, the timestamp format of `version.when`."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def tiny(content_id: int) -> str:
    return "/x/" + hashlib.sha1(str(content_id).encode()).hexdigest()[:6]


def user_json(user: User, base: str) -> dict[str, Any]:
    return {
        "type": "known",
        "username": user.username,
        "userKey": user.user_key,
        "profilePicture": {
            "path": "/images/icons/profilepics/default.svg",
            "width": 48,
            "height": 48,
            "isDefault": True,
        },
        "displayName": user.display_name,
        "_links": {"self": f"{base}/rest/api/user?key={user.user_key}"},
        "_expandable": {"status": ""},
    }


def group_json(name: str, base: str) -> dict[str, Any]:
    return {"type": "group", "name": name, "_links": {"self": f"{base}/rest/api/group/{name}"}}


def anonymous_json(base: str) -> dict[str, Any]:
    return {
        "type": "anonymous",
        "profilePicture": {
            "path": "/images/icons/profilepics/anonymous.svg",
            "width": 48,
            "height": 48,
            "isDefault": True,
        },
        "displayName": "Anonymous",
        "_links": {"self": f"{base}/rest/api/user/anonymous"},
        "_expandable": {},
    }


def person(store: Store, username: str, base: str) -> dict[str, Any]:
    user = store.users.get(username)
    return user_json(user, base) if user else anonymous_json(base)


def space_json(space: Space, base: str, *, expanded: bool = True) -> dict[str, Any]:
    if not expanded:
        return {"key": space.key}
    return {
        "id": space.id,
        "key": space.key,
        "name": space.name,
        "type": "global",
        "status": "current",
        "_links": {"webui": f"/display/{space.key}", "self": f"{base}/rest/api/space/{space.key}"},
        "_expandable": {
            "metadata": "",
            "icon": "",
            "description": "",
            "homepage": f"/rest/api/content/{space.id}",
        },
    }


def page_webui(page: Page) -> str:
    return f"/display/{page.space_key}/{quote_plus(page.title)}"


def version_json(
    store: Store,
    content_id: int,
    number: int,
    by: str,
    when: int,
    base: str,
    *,
    message: str = "",
    minor_edit: bool = False,
    hidden: bool = False,
) -> dict[str, Any]:
    return {
        "by": person(store, by, base),
        "when": iso(when),
        "message": message,
        "number": number,
        "minorEdit": minor_edit,
        "hidden": hidden,
        "_links": {"self": f"{base}/rest/experimental/content/{content_id}/version/{number}"},
        "_expandable": {"content": f"/rest/api/content/{content_id}"},
    }


def history_json(
    store: Store, content_id: int, *, latest: bool, by: str, when: int, base: str
) -> dict[str, Any]:
    """`expand=history` of pages and attachments alike: who created the content, and when."""
    return {
        "latest": latest,
        "createdBy": person(store, by, base),
        "createdDate": iso(when),
        "_links": {"self": f"{base}/rest/api/content/{content_id}/history"},
        "_expandable": {"lastUpdated": "", "previousVersion": "", "contributors": "", "nextVersion": ""},
    }


def attachment_version_json(
    store: Store, att: Attachment, ver: AttachmentVersion, base: str
) -> dict[str, Any]:
    """`version_json` of one stored attachment version: its comment is the version message."""
    return version_json(
        store,
        att.id,
        ver.number,
        ver.by,
        ver.when,
        base,
        message=ver.comment,
        minor_edit=ver.minor_edit,
        hidden=ver.hidden,
    )


def page_json(
    store: Store,
    page: Page,
    base: str,
    context: str,
    expand: Expand,
    operations: list[dict[str, str]] | None = None,
    *,
    top: bool = True,
) -> dict[str, Any]:
    space = store.spaces[page.space_key]
    data: dict[str, Any] = {
        "id": str(page.id),
        "type": "page",
        "status": "current",
        "title": page.title,
    }
    expandable = {
        "container": f"/rest/api/space/{space.key}",
        "metadata": "",
        "operations": "",
        "children": f"/rest/api/content/{page.id}/child",
        "restrictions": f"/rest/api/content/{page.id}/restriction/byOperation",
        "history": f"/rest/api/content/{page.id}/history",
        "ancestors": "",
        "body": "",
        "version": "",
        "descendants": f"/rest/api/content/{page.id}/descendant",
        "space": f"/rest/api/space/{space.key}",
    }
    if "space" in expand:
        data["space"] = space_json(space, base)
    if "container" in expand:
        data["container"] = space_json(space, base)
    if "history" in expand:
        data["history"] = history_json(
            store, page.id, latest=True, by=page.created_by, when=page.created, base=base
        )
    if "version" in expand:
        data["version"] = version_json(store, page.id, page.version, page.updated_by, page.updated, base)
    if "ancestors" in expand:
        chain: list[dict[str, Any]] = []
        parent = store.pages.get(page.parent_id) if page.parent_id else None
        while parent is not None:
            chain.insert(0, page_json(store, parent, base, context, Expand(), top=False))
            parent = store.pages.get(parent.parent_id) if parent.parent_id else None
        data["ancestors"] = chain
    if "operations" in expand and operations is not None:
        data["operations"] = operations
    if "body" in expand:
        data["body"] = {"storage": {"value": page.body, "representation": "storage"}}
    data["extensions"] = {"position": "none"}
    links: dict[str, str] = {
        "webui": page_webui(page),
        "edit": f"/pages/resumedraft.action?draftId={page.id}",
        "tinyui": tiny(page.id),
    }
    if top:
        links.update({"collection": "/rest/api/content", "base": base, "context": context})
    links["self"] = f"{base}/rest/api/content/{page.id}"
    data["_links"] = links
    data["_expandable"] = {k: v for k, v in expandable.items() if k not in data}
    return data


def _version_of(att: Attachment, number: int | None) -> AttachmentVersion:
    found = att.version(number) if number is not None else None
    return found or att.current


def attachment_json(
    store: Store,
    att: Attachment,
    base: str,
    context: str,
    expand: Expand,
    *,
    top: bool = False,
    operations: list[dict[str, str]] | None = None,
    number: int | None = None,
    page_operations: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """One attachment exactly as reference §1.3 (digit ids, links relative to base).

    `page_operations` are the caller's on the page, for `expand=container.operations` (nested
    expansion, §1.2: the container is content like any other).
    """
    page = store.pages[att.page_id]
    ver = _version_of(att, number)
    name = encode_name(ver.title)
    data: dict[str, Any] = {"id": str(att.id), "type": "attachment", "status": att.status, "title": ver.title}
    if "version" in expand:
        data["version"] = attachment_version_json(store, att, ver, base)
    if "container" in expand:
        data["container"] = page_json(
            store, page, base, context, expand.sub("container"), page_operations, top=False
        )
    if "space" in expand:
        data["space"] = space_json(store.spaces[page.space_key], base)
    if "history" in expand:
        first, latest = att.versions[0], ver.number == att.current.number
        data["history"] = history_json(store, att.id, latest=latest, by=first.by, when=first.when, base=base)
    if "operations" in expand and operations is not None:
        data["operations"] = operations
    metadata: dict[str, Any] = {"mediaType": ver.media_type}
    if ver.comment:
        metadata["comment"] = ver.comment
    if "metadata" in expand and "labels" in expand.sub("metadata"):
        metadata["labels"] = {
            "results": [],
            "start": 0,
            "limit": 200,
            "size": 0,
            "_links": {"self": f"{base}/rest/api/content/{att.id}/label"},
        }
    metadata["_expandable"] = {"currentuser": "", "frontend": "", "editorHtml": "", "properties": ""}
    data["metadata"] = metadata
    extensions: dict[str, Any] = {"mediaType": ver.media_type, "fileSize": ver.size}
    if ver.comment:
        extensions["comment"] = ver.comment
    data["extensions"] = extensions
    preview = quote(f"/{page.id}/{att.id}/{name}", safe="")
    links: dict[str, str] = {
        "webui": f"/pages/viewpage.action?pageId={page.id}&preview={preview}",
        "download": f"/download/attachments/{page.id}/{name}?version={ver.number}"
        f"&modificationDate={ver.when}&api=v2",
    }
    if ver.media_type in THUMBNAIL_TYPES:
        links["thumbnail"] = f"/download/thumbnails/{page.id}/{name}?api=v2"
    if top:
        links.update({"base": base, "context": context})
    links["self"] = f"{base}/rest/api/content/{att.id}"
    data["_links"] = links
    data["_expandable"] = {k: "" for k in ATTACHMENT_EXPANDABLE if k not in data}
    if "container" not in data:
        data["_expandable"]["container"] = f"/rest/api/content/{page.id}"
    return data
