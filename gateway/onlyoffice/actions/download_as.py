"""`.../onlyoffice/download-as?attachmentId=N`: "Download As" (reference §1.11), done better.

GET shows the gateway's own page: a file name (the source's stem), the target formats of the
source's convert list, and a Download button. Its script POSTs to the same URL every second with
the page's CSRF token, the name and the target; each POST checks, in the plugin's order, the token
and origin (403), that the user may view the attachment and the rules offer Download As (403), the
name (400) and the target (415), then starts or polls the Document Server's conversion (cached per
key and target, shared with Convert). When it ends, the answer is a short-lived gateway link
(`GET .../download-as/file`, below) that streams the result under the user's name; the browser never
needs to reach the Document Server, and nothing is stored in Confluence. That link's token is
short-lived and bound to the credentials of the user who asked, the attachment version, the
target and the name, so a link copied elsewhere (another user, another attachment, later) is
refused. Confluence is asked again, as the user, whether they may still download it. The Document
Server's result link is fetched fresh, only from the Document Server's address, without redirects
and with a size cap, and streamed chunk by chunk: the Document Server may stay unreachable for
browsers.
"""

from __future__ import annotations

import logging
import mimetypes

from aiohttp import web

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import is_content_id
from gateway.docserver.client import DocumentServerError
from gateway.docserver.jwt import JwtError
from gateway.onlyoffice.actions.conversion_jobs import (
    poll_conversion,
    read_poll,
    start_conversion,
    user_access,
)
from gateway.onlyoffice.answers import error_page, html_page, json_answer, not_shown, request_language
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext
from gateway.onlyoffice.filenames import attachment_disposition, name_problem
from gateway.onlyoffice.formats import extension_of, stem_of
from gateway.onlyoffice.keys import document_key
from gateway.onlyoffice.saving.fetch import FetchError
from gateway.onlyoffice.signed_links import LinkClaims, make_link_token, page_token, read_link_token

__all__ = [
    "download_as_file",
    "download_as_page",
    "download_as_step",
    "download_name",
    "file_extension",
    "media_type",
    "stem_of",
]

log = logging.getLogger(__name__)
# Targets whose file carries another extension (the Document Server writes PDF/A as .pdf).
_EXTENSIONS = {"pdfa": "pdf"}
_LABELS = {"pdfa": "PDF/A"}


def file_extension(target: str) -> str:
    return _EXTENSIONS.get(target, target)


def download_name(name: str, target: str) -> str:
    """The downloaded file's name: what the user typed, with the target's extension once."""
    name = name.strip()
    extension = file_extension(target)
    return name if extension_of(name) == extension else f"{name}.{extension}"


async def download_as_page(request: web.Request) -> web.StreamResponse:
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    attachment_id = request.query.get("attachmentId", "")
    if not is_content_id(attachment_id):
        return error_page(context, request, 400, "error.no_document", "error.no_attachment_id")
    access = await user_access(context, request, attachment_id)
    if access is None:
        return await not_shown(context, request)
    source, targets = access.attachment, access.offer.download_to
    back = context.attachments_page(source.page_id)
    if not targets:
        return error_page(
            context, request, 403, "error.not_available", "error.download_as_disabled", back_url=back
        )
    # Preselected: what Convert would make (DOC -> DOCX), else PDF, else the first.
    default = access.offer.format.default_target if access.offer.format else None
    selected = next((t for t in (default, "pdf") if t in targets), targets[0])
    return html_page(
        context,
        "download_as.html",
        lang=request_language(request),
        title=source.title,
        stem=stem_of(source.title),
        targets=[(target, _LABELS.get(target, target.upper())) for target in targets],
        selected=selected,
        attachment_id=attachment_id,
        token=page_token(
            context, UserCredentials.from_headers(request.headers), "download-as", attachment_id
        ),
        back_url=back,
    )


async def download_as_step(request: web.Request) -> web.Response:
    """One poll: check the request, start or continue the conversion, hand out the link when done."""
    poll = await read_poll(request, "download-as", "token")
    if isinstance(poll, web.Response):
        return poll
    context, access, body = poll.context, poll.access, poll.body
    if access is None or not access.offer.download_to:
        return json_answer({"error": "You may not download this document."}, 403)
    name = body.get("fileName")
    problem = name_problem(name) if isinstance(name, str) else "Enter a file name."
    if problem is not None or not isinstance(name, str):
        return json_answer({"error": problem}, 400)
    source, target = access.attachment, str(body.get("targetFileType", "")).lower()
    if target not in access.offer.download_to:
        return json_answer({"error": "This document cannot be downloaded in that format."}, 415)
    # The name with its extension is what the link carries and the file route checks again.
    problem = name_problem(download_name(name, target))
    if problem is not None:
        return json_answer({"error": problem}, 400)
    key = document_key(str(context.public_url), source.id, source.version)
    file_url = await poll_conversion(context, source, key, target)
    if isinstance(file_url, web.Response):
        return file_url
    filename = download_name(name, target)
    token = make_link_token(
        LinkClaims(
            action="download-as",
            attachment_id=source.id,
            key=key,
            version=source.version,
            target=target,
            filename=filename,
            holder=UserCredentials.from_headers(request.headers).fingerprint(),
        ),
        context.link_secret,
    )
    url = context.public("download-as", "file").with_query(attachmentId=source.id, token=token)
    log.info("download-as of attachment %s to %s ready", source.id, target)
    return json_answer({"done": True, "percent": 100, "url": str(url), "fileName": filename})


log = logging.getLogger(__name__)


def media_type(context: OnlyOfficeContext, filename: str) -> str:
    """The converted file's type, from its extension: the format table, else the usual types."""
    found = context.formats.get(extension_of(filename))
    if found is not None:
        return found.mime
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


async def download_as_file(request: web.Request) -> web.StreamResponse:
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    try:
        claims = read_link_token(
            request.query.get("token", ""), context.accepted_link_secrets, action="download-as"
        )
    except JwtError as error:
        log.warning("download-as link refused: %s", error)
        return error_page(context, request, 403, "error.link_invalid", "error.link_expired")
    credentials = UserCredentials.from_headers(request.headers)
    filename, target = claims.filename, claims.target
    if (
        request.query.get("attachmentId") != claims.attachment_id
        or claims.holder != credentials.fingerprint()
        or filename is None
        or name_problem(filename) is not None
        or target is None
    ):
        log.warning("download-as link refused for attachment %s: not this user's link", claims.attachment_id)
        return error_page(context, request, 403, "error.link_invalid", "error.link_other_user")
    access = await user_access(context, request, claims.attachment_id)
    if access is None or target not in access.offer.download_to:
        return error_page(context, request, 403, "error.not_available", "error.may_not_download")
    source = access.attachment
    if source.version != claims.version:
        return error_page(context, request, 410, "error.changed", "error.changed_detail")
    try:
        result = await start_conversion(context, source, claims.key, target)
    except DocumentServerError as error:
        log.warning("download-as of attachment %s: conversion failed: %s", source.id, error)
        return error_page(context, request, 502, "error.conversion_failed", "error.conversion_failed_detail")
    if not result.done or not result.file_url:
        return error_page(context, request, 503, "error.not_ready", "error.not_ready_detail")
    try:
        async with context.fetch_docserver_file(result.file_url) as fetched:
            response = web.StreamResponse(
                headers={
                    "Content-Type": media_type(context, filename),
                    "Content-Disposition": attachment_disposition(filename),
                    "Cache-Control": "no-store",
                    "X-Content-Type-Options": "nosniff",
                }
            )
            if fetched.response.content_length is not None:
                response.content_length = fetched.response.content_length
            await response.prepare(request)
            try:
                async for chunk in fetched.chunks():
                    await response.write(chunk)
            except FetchError as error:
                log.warning("download-as of attachment %s broke off: %s", source.id, error)
                response.force_close()
                if request.transport is not None:
                    request.transport.close()  # the status is sent: only a broken connection tells the truth
                return response
            await response.write_eof()
            log.info("download-as of attachment %s to %s sent", source.id, target)
            return response
    except FetchError as error:
        log.warning("download-as of attachment %s: fetching the result failed: %s", source.id, error)
        return error_page(context, request, 502, "error.download_failed", "error.download_failed_detail")
