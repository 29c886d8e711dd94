"""`.../onlyoffice/convert?attachmentId=N`: "Convert using ONLYOFFICE" (ODT, DOC, ODP, PPT, ODS, XLS...).

GET shows a progress page (the plugin's path and flow); its script POSTs to the same URL every
second. Each POST checks again that the user may convert (Confluence, as the user, then rules),
asks the Document Server for an asynchronous conversion (cached per key and target, so polling is
cheap), and when it ends stores the result as a new attachment next to the source — once, even if
several polls see the end at the same time — and answers with the editor link for it.
The POST changes state, so it needs the page's CSRF token (bound to the user's credentials and the
attachment) and, when the browser sends one, a same-origin `Origin` (`conversion_jobs.py`, shared with
Download As).
"""

from __future__ import annotations

import logging

from aiohttp import web

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import AttachmentTooLarge, ConfluenceError, is_content_id
from gateway.onlyoffice.actions.conversion_jobs import poll_conversion, read_poll, user_access
from gateway.onlyoffice.answers import error_page, html_page, json_answer, request_language
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext
from gateway.onlyoffice.filenames import FORBIDDEN_CHARACTERS, safe_filename
from gateway.onlyoffice.formats import stem_of
from gateway.onlyoffice.keys import document_key
from gateway.onlyoffice.saving.fetch import FetchError
from gateway.onlyoffice.signed_links import page_token
from gateway.state import LockTimeout

__all__ = ["convert_page", "convert_step", "csrf_token", "target_name"]

log = logging.getLogger(__name__)
_RESULT_TTL = 7 * 24 * 3600.0
_FORBIDDEN_IN_NAMES = str.maketrans({c: "_" for c in FORBIDDEN_CHARACTERS})


def csrf_token(context: OnlyOfficeContext, credentials: UserCredentials, attachment_id: str) -> str:
    return page_token(context, credentials, "convert", attachment_id)


def target_name(source_title: str, target: str, taken: set[str]) -> str:
    """`legacy.doc` -> `legacy.docx`, or `legacy (1).docx` when taken (as the plugin names copies)."""
    stem = stem_of(source_title)
    # Titles come from Confluence unchecked: no control or direction characters, at most MAX_NAME
    # characters (Confluence keeps 255: room for " (n).ext").
    stem = safe_filename(stem.translate(_FORBIDDEN_IN_NAMES), "") or "document"
    candidate = f"{stem}.{target}"
    number = 1
    while candidate in taken:
        candidate = f"{stem} ({number}).{target}"
        number += 1
    return candidate


async def convert_page(request: web.Request) -> web.StreamResponse:
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    attachment_id = request.query.get("attachmentId", "")
    if not is_content_id(attachment_id):
        return error_page(context, request, 400, "error.no_document", "error.no_attachment_id")
    access = await user_access(context, request, attachment_id)
    if access is None or access.identity.anonymous:
        return error_page(context, request, 404, "error.not_found", "error.may_not_convert")
    target = access.offer.convert_to
    if target is None:
        return error_page(context, request, 403, "error.not_available", "error.convert_disabled")
    return html_page(
        context,
        "convert.html",
        lang=request_language(request),
        title=access.attachment.title,
        target=target,
        attachment_id=attachment_id,
        csrf=csrf_token(context, UserCredentials.from_headers(request.headers), attachment_id),
    )


async def convert_step(request: web.Request) -> web.Response:
    """One poll: start or continue the conversion; store the result once it is ready."""
    poll = await read_poll(request, "convert", "csrf")
    if isinstance(poll, web.Response):
        return poll
    context, access = poll.context, poll.access
    if access is None or access.identity.anonymous or access.offer.convert_to is None:
        return json_answer({"error": "you may not convert this document"}, 403)
    source, target = access.attachment, access.offer.convert_to
    key = document_key(str(context.public_url), source.id, source.version)
    done_key = f"converted:{key}:{target}"
    finished = await context.state.get(done_key)
    if finished is not None:
        return json_answer(finished)
    file_url = await poll_conversion(context, source, key, target)
    if isinstance(file_url, web.Response):
        return file_url
    try:
        async with context.state.lock(f"convert:{key}:{target}", ttl=600.0, wait=120.0):
            finished = await context.state.get(done_key)
            if finished is not None:
                return json_answer(finished)
            name = target_name(
                source.title, target, await context.confluence.attachment_titles(source.page_id)
            )
            found = context.formats.get(target)
            async with context.fetch_docserver_file(file_url) as fetched:
                created = await context.confluence.create_attachment(
                    source.page_id,
                    name,
                    fetched.chunks(),
                    media_type=found.mime if found else "application/octet-stream",
                    comment=f"Converted from {source.title} in ONLYOFFICE by {access.identity.display_name}",
                )
            answer = {
                "done": True,
                "percent": 100,
                "attachmentId": created.id,
                "title": created.title,
                "editorUrl": str(context.public("doceditor").with_query(attachmentId=created.id)),
            }
            await context.state.put(done_key, answer, ttl=_RESULT_TTL)
            log.info("converted attachment %s to %s as attachment %s", source.id, target, created.id)
            return json_answer(answer)
    except AttachmentTooLarge as error:
        log.warning("storing the conversion of attachment %s refused by Confluence: %s", source.id, error)
        return json_answer({"error": error.advice}, 413)
    except (FetchError, ConfluenceError, LockTimeout) as error:
        log.warning("storing the conversion of attachment %s failed: %s", source.id, error)
        return json_answer({"error": "the converted file could not be stored; try again"}, 502)
