"""Server-rendered pages: dashboard, page view, attachments page, macro refresh, upload (§3)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_plus

from aiohttp import web

from gateway.testing.confluence.access import visible_page
from gateway.testing.confluence.auth import xsrf_failure
from gateway.testing.confluence.common import CONFIG, STORE, current_user, encode_name
from gateway.testing.confluence.download import login_redirect
from gateway.testing.confluence.render import render, render_fragment
from gateway.testing.confluence.rest_attachments import read_upload
from gateway.testing.confluence.serialize import THUMBNAIL_TYPES, page_webui
from gateway.testing.confluence.store import Attachment, Page, Store, User

__all__ = ["routes"]

routes = web.RouteTableDef()
_ICONS = {
    "doc": "word",
    "docx": "word",
    "odt": "word",
    "docxf": "word",
    "oform": "word",
    "rtf": "word",
    "xls": "excel",
    "xlsx": "excel",
    "ods": "excel",
    "csv": "excel",
    "ppt": "powerpoint",
    "pptx": "powerpoint",
    "odp": "powerpoint",
    "pdf": "pdf",
    "png": "image",
    "jpg": "image",
    "jpeg": "image",
    "gif": "image",
    "zip": "zip",
    "txt": "text",
}
_NICE = {
    "word": "Word Document",
    "excel": "Excel Spreadsheet",
    "powerpoint": "PowerPoint Presentation",
    "pdf": "PDF Document",
    "image": "Image",
    "zip": "Zip Archive",
    "text": "Text File",
    "file": "File",
}


def _icon(title: str) -> str:
    return _ICONS.get(title.rsplit(".", 1)[-1].lower() if "." in title else "", "file")


def _date(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%b %d, %Y")


def _shorten(title: str, limit: int = 35) -> str:
    return title if len(title) <= limit else title[: limit - 3] + "..."


def _download(ctx: str, page: Page, title: str, version: int | None = None, when: int | None = None) -> str:
    url = f"{ctx}/download/attachments/{page.id}/{encode_name(title)}"
    if version is not None:
        return f"{url}?version={version}&modificationDate={when}&api=v2"
    return url + "?api=v2"


def _row(store: Store, ctx: str, page: Page, att: Attachment) -> dict[str, Any]:
    ver = att.current
    author = store.users.get(ver.by)
    icon = _icon(att.title)
    return {
        "id": att.id,
        "title": att.title,
        "short": _shorten(att.title),
        "icon": icon,
        "nice_type": _NICE[icon],
        "media_type": ver.media_type,
        "href": _download(ctx, page, att.title),
        "date": _date(ver.when),
        "by": author.display_name if author else ver.by,
        "by_username": ver.by,
        "preview": quote(f"/{page.id}/{att.id}/{encode_name(att.title)}", safe=""),
        "versions": [
            {
                "number": v.number,
                "date": _date(v.when),
                "comment": v.comment,
                "by": store.users[v.by].display_name if v.by in store.users else v.by,
                "href": _download(ctx, page, v.title, v.number, v.when),
            }
            for v in reversed(att.versions)
        ],
    }


def _name(store: Store, username: str) -> str:
    user = store.users.get(username)
    return user.display_name if user else username


def _chrome(store: Store, user: User | None, page: Page) -> dict[str, Any]:
    """What the page frame shows around the content: breadcrumbs, page tree, page metadata."""
    ancestors: list[Page] = []
    parent = store.pages.get(page.parent_id) if page.parent_id is not None else None
    while parent is not None and parent not in ancestors and store.can(user, parent, "view"):
        ancestors.insert(0, parent)
        parent = store.pages.get(parent.parent_id) if parent.parent_id is not None else None
    space_pages = [
        {"title": p.title, "webui": page_webui(p), "current": p.id == page.id}
        for p in sorted(store.pages.values(), key=lambda p: p.id)
        if p.space_key == page.space_key and p.parent_id is None and store.can(user, p, "view")
    ]
    return {
        "ancestors": [{"title": a.title, "webui": page_webui(a)} for a in ancestors],
        "space_pages": space_pages,
        "created_by": _name(store, page.created_by),
        "updated_by": _name(store, page.updated_by),
        "updated": _date(page.updated),
    }


def _page_values(request: web.Request, page: Page) -> dict[str, Any]:
    store, user = request.app[STORE], current_user(request)
    ctx = request.app[CONFIG].context_path
    attachments = store.attachments_of(page.id)
    values: dict[str, Any] = {
        "page": page,
        "space": store.spaces[page.space_key],
        "webui": page_webui(page),
        "attachments": [_row(store, ctx, page, a) for a in attachments],
        "can_edit": store.can(user, page, "edit"),
        "can_attach": store.can(user, page, "attach"),
        "can_remove": store.can(user, page, "remove"),
        "preview": None,
        **_chrome(store, user, page),
    }
    raw = request.query.get("preview", "")
    parts = raw.strip("/").split("/")
    if len(parts) >= 2 and parts[1].isdigit():
        att = store.attachments.get(int(parts[1]))
        if att is not None and att.page_id == page.id and att.status == "current":
            values["preview"] = {
                "id": att.id,
                "title": att.title,
                "icon": _icon(att.title),
                "href": _download(ctx, page, att.title, att.current.number, att.current.when),
            }
    return values


def _embedded(store: Store, ctx: str, page: Page) -> list[dict[str, Any]]:
    found = []
    for title in page.embedded:
        att = store.attachment_by_name(page.id, title)
        if att is None:
            continue
        ver = att.current
        icon = _icon(att.title)
        found.append(
            {
                "id": att.id,
                "title": att.title,
                "version": ver.number,
                "media_type": ver.media_type,
                "src": _download(ctx, page, att.title, ver.number, ver.when),
                "image": ver.media_type in THUMBNAIL_TYPES,
                "icon": icon,
                "nice_type": _NICE[icon],
            }
        )
    return found


def _missing(request: web.Request, page_exists: bool) -> web.Response:
    """Anonymous: go log in; logged in: the same "not found" whether hidden or absent."""
    if page_exists and current_user(request) is None:
        return login_redirect(request)
    return render(
        request,
        "notfound.html",
        status=404,
        heading="Page Not Found",
        message="The page you were trying to reach could not be found.",
    )


def _view(request: web.Request, page: Page | None, page_exists: bool) -> web.Response:
    if page is None:
        return _missing(request, page_exists)
    store, ctx = request.app[STORE], request.app[CONFIG].context_path
    values = _page_values(request, page)
    paragraphs = [p for p in page.body.split("\n\n") if p.strip()]
    return render(request, "page.html", paragraphs=paragraphs, embedded=_embedded(store, ctx, page), **values)


def _page_param(request: web.Request) -> tuple[Page | None, bool]:
    raw = request.query.get("pageId", "")
    if not raw.isdigit():
        return None, False
    return visible_page(request, int(raw)), int(raw) in request.app[STORE].pages


_ICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="150" viewBox="0 0 120 150">'
    '<rect x="1" y="1" width="118" height="148" rx="6" fill="#f4f5f7" stroke="#c1c7d0"/>'
    '<text x="60" y="85" font-size="20" text-anchor="middle" fill="#42526e">{label}</text>'
    "</svg>"
)


@routes.get("/images/icons/{kind}/{name}")
async def icon(request: web.Request) -> web.Response:
    """Static icons the pages reference (file-type icons, default avatars), drawn as SVG."""
    label = request.match_info["name"].rsplit(".", 1)[0][:8].upper()
    text = _ICON_SVG.format(label="".join(c for c in label if c.isalnum()))
    return web.Response(
        text=text, content_type="image/svg+xml", headers={"Cache-Control": "max-age=31536000"}
    )


_STATIC = Path(__file__).parent / "static"
# The simulator's own same-origin files (a fixed list: nothing else under static/ is served).
_STATIC_FILES = {"menus.js": "application/javascript", "confluence.css": "text/css"}


@routes.get("/s/{build}/_/simulator/{name}")
async def simulator_static(request: web.Request) -> web.Response:
    """The simulator's dropdown behaviour (AUI dropdown2, menus built on open) and its stylesheet
    (the look of Confluence 7.x/8.x), same-origin files as on a real instance."""
    name = request.match_info["name"]
    content_type = _STATIC_FILES.get(name)
    if content_type is None:
        raise web.HTTPNotFound(text="Not found", content_type="text/plain")
    return web.Response(
        body=(_STATIC / name).read_bytes(),
        content_type=content_type,
        charset="UTF-8",
        headers={"Cache-Control": "max-age=31536000"},
    )


@routes.get("/")
async def root(request: web.Request) -> web.Response:
    return web.Response(status=302, headers={"Location": f"{request.app[CONFIG].context_path}/index.action"})


@routes.get("/index.action")
@routes.get("/dashboard.action")
async def dashboard(request: web.Request) -> web.Response:
    store, user = request.app[STORE], current_user(request)
    spaces = []
    for space in store.spaces.values():
        if "view" not in store.space_permissions(user, space):
            continue
        pages = [
            {"title": p.title, "webui": page_webui(p)}
            for p in store.pages.values()
            if p.space_key == space.key and store.can(user, p, "view")
        ]
        spaces.append({"space": space, "pages": pages})
    if user is None and not spaces:
        return login_redirect(request)
    return render(request, "dashboard.html", spaces=spaces)


@routes.get("/display/{space}")
async def space_home(request: web.Request) -> web.Response:
    store, user = request.app[STORE], current_user(request)
    key = request.match_info["space"]
    pages = [p for p in store.pages.values() if p.space_key == key and p.parent_id is None]
    home = next((p for p in sorted(pages, key=lambda p: p.id) if store.can(user, p, "view")), None)
    if home is None:
        return _missing(request, bool(pages))
    return web.Response(status=302, headers={"Location": request.app[CONFIG].context_path + page_webui(home)})


@routes.get("/display/{space}/{title}")
async def display(request: web.Request) -> web.Response:
    store = request.app[STORE]
    title = unquote_plus(request.rel_url.raw_parts[-1])
    page = store.page_by_title(request.match_info["space"], title)
    if page is None:
        return _missing(request, False)
    return _view(request, visible_page(request, page.id), True)


@routes.get("/pages/viewpage.action")
async def viewpage(request: web.Request) -> web.Response:
    page, exists = _page_param(request)
    return _view(request, page, exists)


@routes.get("/pages/viewpageattachments.action")
async def viewpageattachments(request: web.Request) -> web.Response:
    page, exists = _page_param(request)
    if page is None:
        return _missing(request, exists)
    return render(request, "attachments.html", **_page_values(request, page))


@routes.get("/pages/plugins/attachments/rendermacro.action")
async def rendermacro(request: web.Request) -> web.Response:
    """The macro's AJAX refresh: only the table fragment, which replaces the old one client-side."""
    page, _ = _page_param(request)
    if page is None:
        return web.Response(status=404, text="Page not found", content_type="text/plain")
    return web.Response(
        text=render_fragment(request, "attachments_table.html", **_page_values(request, page)),
        content_type="text/html",
        charset="UTF-8",
    )


@routes.post("/pages/doattachfile.action")
async def doattachfile(request: web.Request) -> web.Response:
    """The upload form: new names become attachments, existing names new versions (like the UI)."""
    page, exists = _page_param(request)
    if page is None:
        return _missing(request, exists)
    if request.content_type != "multipart/form-data":
        return web.Response(status=400, text="multipart/form-data expected", content_type="text/plain")
    upload = await read_upload(request, file_prefix="file_")
    tokens = upload.fields.get("atl_token")
    token = tokens[0] if tokens else None
    if failed := xsrf_failure(request, requires_check=True, form_token=token, rest=False):
        return failed
    store, user = request.app[STORE], current_user(request)
    if user is None or not store.can(user, page, "attach"):
        return render(
            request,
            "notfound.html",
            status=403,
            heading="Not Permitted",
            message="You are not permitted to attach files to this page.",
        )
    comments = {k: v[0] for k, v in upload.fields.items() if k.startswith("comment_")}
    for index, part in enumerate(upload.files):
        att = store.attachment_by_name(page.id, part.filename)
        if att is None:
            att = store.new_attachment(page.id, part.filename)
        comment = comments.get(f"comment_{index}", "")
        store.add_version(att, part.data, part.content_type, by=user.username, comment=comment)
    location = f"{request.app[CONFIG].context_path}/pages/viewpageattachments.action?pageId={page.id}"
    return web.Response(status=302, headers={"Location": location})
