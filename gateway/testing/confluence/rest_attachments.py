"""`/rest/api/content/{id}/child/attachment[...]`: list, create, new version, metadata (§1.3-§1.6)."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from gateway.testing.confluence.access import (
    attachment_operations_for,
    content_not_found,
    parse_content_id,
    visible_attachment,
    visible_page,
    with_content_id,
    with_visible_page,
)
from gateway.testing.confluence.auth import xsrf_checked
from gateway.testing.confluence.common import (
    CONFIG,
    STORE,
    RouteHandler,
    base_url,
    context_path,
    current_user,
    error,
    json_ok,
)
from gateway.testing.confluence.paging import paged_list
from gateway.testing.confluence.serialize import Expand, attachment_json
from gateway.testing.confluence.store import Attachment, Page

__all__ = ["Upload", "UploadTooLarge", "UploadedFile", "read_upload", "routes", "too_large_answer"]

routes = web.RouteTableDef()
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CREATED_EXPAND = "version,metadata.labels,container"


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Upload:
    """The multipart parts the attachment resources read; unknown parts are ignored, like DC."""

    files: list[UploadedFile] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)


class UploadTooLarge(Exception):
    """commons-fileupload's FileSizeLimitExceeded / SizeLimitExceeded, with their exact messages."""


def too_large_answer(error: UploadTooLarge) -> web.Response:
    """What the REST multipart layer answers an over-size upload: a 404 whose body is the plain
    message. Not a 413, and not the service-error JSON: atlassian-rest maps the size exceptions to a
    not-found Status (reference §1.4 "[C] over-size can surface as 404"; the same layer in Jira
    answered `404 Not Found: The field file exceeds its maximum permitted size of 11564000 bytes.`,
    bobcarroll/jira-client#119). [I: plain text rather than a JSON Status entity.]"""
    return web.Response(status=404, text=str(error))


async def read_upload(
    request: web.Request, *, file_prefix: str = "file", max_file_size: int | None = None
) -> Upload:
    """Read a multipart body; `file_prefix` lets the UI form's `file_0..` parts count as files.

    With `max_file_size`, a file part over it, or a request over ten times it, raises
    UploadTooLarge as soon as the limit is passed (the rest is not kept in memory)."""
    upload = Upload()
    max_request = max_file_size * 10 if max_file_size is not None else None
    if (
        max_request is not None
        and request.content_length is not None
        and request.content_length > max_request
    ):
        raise UploadTooLarge(
            f"the request was rejected because its size ({request.content_length}) "
            f"exceeds the configured maximum ({max_request})"
        )
    received = 0
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is not None and part.name.startswith(file_prefix):
            if not part.filename:
                await part.release()
                continue
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            data = bytearray()
            while chunk := await part.read_chunk():
                data += chunk
                received += len(chunk)
                if max_file_size is not None and len(data) > max_file_size:
                    raise UploadTooLarge(
                        f"The field {part.name} exceeds its maximum permitted size of {max_file_size} bytes."
                    )
                if max_request is not None and received > max_request:
                    raise UploadTooLarge(
                        f"the request was rejected because its size ({received}) "
                        f"exceeds the configured maximum ({max_request})"
                    )
            upload.files.append(UploadedFile(part.filename, content_type, bytes(data)))
        else:
            upload.fields.setdefault(part.name, []).append(await part.text())
    return upload


def _flag(values: list[str], index: int) -> bool:
    if not values:
        return False
    return values[index if index < len(values) else 0].strip().lower() == "true"


UploadHandler = Callable[[web.Request, int, Upload], Awaitable[web.Response]]


def _upload_resource(key: str) -> Callable[[UploadHandler], RouteHandler]:
    """The two upload resources are `@RequiresXsrfCheck` and `@Consumes("multipart/form-data")`
    (reference §1.4-§1.5): XSRF 403 first, then a bad id's 400, then 415 for any other body. Jersey
    reads the multipart entity before the resource method runs, so the size limit's 404 comes next,
    before the handler (given the read upload) looks the content up or checks a permission."""

    def decorate(handler: UploadHandler) -> RouteHandler:
        @xsrf_checked
        @with_content_id(key)
        @functools.wraps(handler)
        async def route(request: web.Request, content_id: int) -> web.Response:
            if request.content_type != "multipart/form-data":
                return web.Response(status=415)
            try:
                upload = await read_upload(request, max_file_size=request.app[CONFIG].attachment_max_size)
            except UploadTooLarge as too_large:
                return too_large_answer(too_large)
            return await handler(request, content_id, upload)

        return route

    return decorate


def _answer_expand(request: web.Request) -> Expand:
    """Uploads and updates answer with CREATED_EXPAND expanded, plus whatever the caller asked for."""
    return Expand(",".join(filter(None, (CREATED_EXPAND, request.query.get("expand", "")))))


def _updated(request: web.Request, att: Attachment) -> web.Response:
    """The answer to a new version or a metadata update: the attachment as top-level content."""
    store, base, context = request.app[STORE], base_url(request), context_path(request)
    return json_ok(attachment_json(store, att, base, context, _answer_expand(request), top=True))


@routes.get("/rest/api/content/{id}/child/attachment")
@with_visible_page()
async def list_attachments(request: web.Request, page: Page) -> web.Response:
    store = request.app[STORE]
    found = store.attachments_of(page.id)
    if filename := request.query.get("filename"):
        found = [a for a in found if a.title == filename]
    if media_type := request.query.get("mediaType"):
        found = [a for a in found if a.current.media_type == media_type]
    base, context = base_url(request), context_path(request)
    expand = Expand(request.query.get("expand", ""))
    ops = attachment_operations_for(request, page)
    return paged_list(
        request,
        f"/rest/api/content/{page.id}/child/attachment",
        found,
        lambda att: attachment_json(store, att, base, context, expand, operations=ops),
        default_limit=DEFAULT_LIMIT,
        max_limit=MAX_LIMIT,
    )


@routes.put("/rest/api/content/{id}/child/attachment")
async def put_collection(request: web.Request) -> web.Response:
    """Cloud's create-or-update; DC has no such method (reference §1.4)."""
    return web.Response(status=405, headers={"Allow": "GET,POST,OPTIONS"})


@routes.post("/rest/api/content/{id}/child/attachment")
@_upload_resource("id")
async def create_attachments(request: web.Request, page_id: int, upload: Upload) -> web.Response:
    store, user = request.app[STORE], current_user(request)
    page = visible_page(request, page_id)
    if page is None:
        return content_not_found(page_id)
    if not store.can(user, page, "attach"):
        return error(403, f"User not permitted to create attachments for content: {page_id}")
    if not upload.files:
        return error(400, "At least one attachment file must be included.")
    comments = upload.fields.get("comment", [])
    minor = upload.fields.get("minorEdit", [])
    hidden = upload.fields.get("hidden", [])
    count = len(upload.files)
    if comments and len(comments) != count:
        return error(400, "Must be same number of attachment files and comments.")
    if len(minor) not in (0, 1, count):
        return error(400, "Must be same number of attachment files and minorEdit values.")
    if len(hidden) not in (0, 1, count):
        return error(400, "Must be same number of attachment files and hidden values.")
    names = [f.filename for f in upload.files]
    for name in names:
        if names.count(name) > 1:
            return error(400, f"Cannot add new attachments with duplicate file name: {name}")
    allow_duplicated = request.query.get("allowDuplicated", "false").lower() == "true"
    if not allow_duplicated:
        for name in names:
            if store.attachment_by_name(page.id, name) is not None:
                return error(
                    400, f"Cannot add a new attachment with same file name as an existing attachment: {name}"
                )
    assert user is not None  # "attach" is never granted to anonymous without a user
    created: list[Attachment] = []
    for index, part in enumerate(upload.files):
        # a same-named file (allowDuplicated=true) becomes its next version, as in DC
        att = store.attachment_by_name(page.id, part.filename)
        if att is None:
            att = store.new_attachment(page.id, part.filename)
        store.add_version(
            att,
            part.data,
            part.content_type,
            by=user.username,
            comment=comments[index] if comments else "",
            minor_edit=_flag(minor, index),
            hidden=_flag(hidden, index),
        )
        created.append(att)
    base, context, expand = base_url(request), context_path(request), _answer_expand(request)
    results = [attachment_json(store, a, base, context, expand) for a in created]
    return json_ok({"results": results, "size": len(results), "_links": {"base": base, "context": context}})


@routes.post("/rest/api/content/{id}/child/attachment/{att}/data")
@_upload_resource("att")
async def update_data(request: web.Request, att_id: int, upload: Upload) -> web.Response:
    """New version of an attachment; the container segment is ignored, exactly as DC does."""
    store, user = request.app[STORE], current_user(request)
    att = visible_attachment(request, att_id)
    if att is None:
        return error(404, f"Can't find attachment with id: {att_id}")
    page = store.pages[att.page_id]
    if user is None or not store.can(user, page, "attach"):
        return error(403, "You do not have permission to update this Attachment")
    if not upload.files:
        return error(400, "At least one attachment file must be included.")
    part = upload.files[0]
    comments = upload.fields.get("comment", [])
    store.add_version(
        att,
        part.data,
        part.content_type,
        by=user.username,
        comment=comments[0] if comments else "",
        minor_edit=_flag(upload.fields.get("minorEdit", []), 0),
        hidden=_flag(upload.fields.get("hidden", []), 0),
        title=part.filename,
    )
    return _updated(request, att)


async def update_metadata(request: web.Request, att: Attachment, body: dict[str, Any]) -> web.Response:
    """JSON metadata update shared by `PUT .../child/attachment/{id}` and `PUT /content/{id}`."""
    store, user = request.app[STORE], current_user(request)
    page = store.pages[att.page_id]
    if user is None or not store.can(user, page, "edit"):
        return error(403, "You do not have permission to update this Attachment")
    version = body.get("version")
    if not isinstance(version, dict) or not isinstance(version.get("number"), int):
        return error(400, "Updated attachment must include a Version property.")
    current = att.current.number
    if version["number"] not in (current, current + 1):
        return error(
            409,
            f"You're trying to edit the wrong version of that Attachment. "
            f"Latest version is {current}. Please refresh and try again.",
        )
    container = body.get("container")
    target = page
    if isinstance(container, dict) and str(container.get("id", page.id)) != str(page.id):
        target_id = parse_content_id(str(container.get("id")))
        moved = visible_page(request, target_id) if isinstance(target_id, int) else None
        if moved is None or not store.can(user, moved, "attach") or not store.can(user, page, "remove"):
            return error(403, "You do not have the permissions to move attachments")
        target = moved
    ver = att.current
    if isinstance(body.get("title"), str) and body["title"]:
        att.title = ver.title = body["title"]
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        if isinstance(metadata.get("mediaType"), str):
            ver.media_type = metadata["mediaType"]
        if isinstance(metadata.get("comment"), str):
            ver.comment = metadata["comment"]
    ver.minor_edit = bool(version.get("minorEdit", ver.minor_edit))
    ver.hidden = bool(version.get("hidden", ver.hidden))
    att.page_id = target.id
    store.save()
    return _updated(request, att)


async def read_json(request: web.Request) -> dict[str, Any] | web.Response:
    """A JSON object body, or DC's 415 for anything that is not JSON (reference §1.6)."""
    if request.content_type != "application/json":
        return web.Response(status=415)
    try:
        body = json.loads(await request.text())
    except (ValueError, UnicodeDecodeError):
        return error(400, "Unable to parse request body as JSON")
    if not isinstance(body, dict):
        return error(400, "Unable to parse request body as JSON")
    return body


@routes.put("/rest/api/content/{id}/child/attachment/{att}")
@with_content_id("att")
async def put_metadata(request: web.Request, att_id: int) -> web.Response:
    body = await read_json(request)
    if isinstance(body, web.Response):
        return body
    att = visible_attachment(request, att_id)
    if att is None:
        return error(404, f"No attachment found with id: {att_id}")
    return await update_metadata(request, att, body)
