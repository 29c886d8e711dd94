"""`.../onlyoffice/download-as/file?attachmentId=N&token=...`: the converted file, to the browser.

The link comes from a finished Download As POST (`download_as.py`). Its token is short-lived and
bound to the credentials of the user who asked, the attachment version, the target and the name,
so a link copied elsewhere (another user, another attachment, later) is refused. Confluence is
asked again, as the user, whether they may still download it. The Document Server's result link is
fetched fresh (the conversion is cached per key and target), only from the Document Server's
address, without redirects and with a size cap, and streamed chunk by chunk as an attachment under
the user's name: the Document Server may stay unreachable for browsers.
"""

from __future__ import annotations

import logging
import mimetypes

from aiohttp import web

from gateway.confluence.client import UserCredentials
from gateway.docserver.client import DocumentServerError
from gateway.docserver.jwt import JwtError
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext
from gateway.onlyoffice.conversion import start_conversion, user_access
from gateway.onlyoffice.fetch import FetchError
from gateway.onlyoffice.filenames import attachment_disposition, name_problem
from gateway.onlyoffice.formats import extension_of
from gateway.onlyoffice.links import read_link_token
from gateway.onlyoffice.pages import error_page

__all__ = ["download_as_file", "media_type"]

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
