"""`POST .../onlyoffice/rename`: the editor's Rename (`onRequestRename`), done in Confluence.

The Document Server passes the new title (protocol §1.3); the editor page POSTs it here with its
CSRF token. The attachment keeps its extension (the Document Server's dialog edits the name
without it; a name with another extension keeps the old one added), is renamed in Confluence as
the user (reference confluence.md §1.6, JSON, so Confluence itself checks that they may edit it),
and every editor of the document is told through the command service's `meta` command, so the new
title shows in all of them (`onMetaChange`). A name another attachment of the page already has is
refused with 409 before Confluence is asked; the check and the rename run under the page's
creation lock (shared with New document and Save As), so two renames cannot take one name.
"""

from __future__ import annotations

import logging

from aiohttp import web

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import ConfluenceError
from gateway.docserver.client import DocumentServerError
from gateway.onlyoffice.access import access_for
from gateway.onlyoffice.answers import Refusal, confluence_failure_status, json_answer
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext
from gateway.onlyoffice.editor.posts import editor_post
from gateway.onlyoffice.filenames import name_problem
from gateway.onlyoffice.formats import extension_of
from gateway.onlyoffice.saving.save import session_key
from gateway.onlyoffice.signed_links import page_token
from gateway.state import LockTimeout, StateUnavailable

__all__ = ["new_name", "rename", "rename_token"]

log = logging.getLogger(__name__)


def rename_token(context: OnlyOfficeContext, credentials: UserCredentials, attachment_id: str) -> str:
    """The editor page's CSRF token for Rename: this user's browser, this attachment."""
    return page_token(context, credentials, "rename", attachment_id)


def new_name(title: str, extension: str) -> str:
    """The name to store: the title the user typed, with the document's own extension once."""
    stem = title.strip()
    if extension and stem.lower().endswith("." + extension.lower()):
        stem = stem[: -len(extension) - 1].rstrip()
    return f"{stem}.{extension}" if extension else stem


async def _notify_editors(context: OnlyOfficeContext, attachment_id: str, version: int, title: str) -> None:
    """The command service's `meta`: every open editor of the document shows the new title. Best
    effort: the rename is done in Confluence whatever the Document Server answers."""
    key, _ = await session_key(context, attachment_id, version)
    try:
        result = await context.docserver.command("meta", key=key, meta={"title": title})
    except DocumentServerError as error:
        log.warning("rename of attachment %s: the Document Server was not told: %s", attachment_id, error)
        return
    if result.error not in (0, 1):  # 1: no editor has the document open now
        log.warning(
            "rename of attachment %s: the Document Server answered error %s", attachment_id, result.error
        )


async def rename(request: web.Request) -> web.Response:
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    attachment_id = ""
    try:
        body, attachment_id, _ = await editor_post(
            context, request, "rename", anonymous="Log in to Confluence to rename a document."
        )
        credentials = UserCredentials.from_headers(request.headers)
        title = body.get("title")
        if not isinstance(title, str):
            raise Refusal(400, "The editor sent no new name.")
        access = await access_for(context, request.headers, attachment_id)
        if access is None:
            raise Refusal(404, "This document does not exist, or you may not see it.")
        if access.offer.mode != "edit" or not access.user.can_edit:
            raise Refusal(403, "You may not edit this document, so you may not rename it.")
        attachment = access.attachment
        name = new_name(title, extension_of(attachment.title))
        problem = name_problem(title) or name_problem(name)
        if problem is not None:
            raise Refusal(400, problem)
        if name == attachment.title:
            return json_answer({"title": name, "renamed": False})
        async with context.state.lock(f"create:{attachment.page_id}", ttl=600.0, wait=60.0):
            taken = {t.casefold() for t in await context.confluence.attachment_titles(attachment.page_id)}
            if name.casefold() in taken and name.casefold() != attachment.title.casefold():
                raise Refusal(409, f"The page already has an attachment named {name}; choose another name.")
            renamed = await context.confluence.rename_attachment(attachment, name, credentials)
    except Refusal as refusal:
        return refusal.answer()
    except ConfluenceError as error:
        log.warning("rename of attachment %s: Confluence refused or failed: %s", attachment_id, error)
        if error.status in (401, 403):
            return json_answer({"error": "Confluence does not let you rename this document."}, 403)
        if error.status == 409:
            return json_answer({"error": "The document changed meanwhile; reload the editor."}, 409)
        status = confluence_failure_status(error)
        return json_answer({"error": "Confluence did not rename the document; try again."}, status)
    except (LockTimeout, StateUnavailable) as error:
        log.warning("rename of attachment %s could not run: %s", attachment_id, error)
        return json_answer({"error": "The document could not be renamed now; try again."}, 503)
    log.info("attachment %s renamed", attachment_id)
    await _notify_editors(context, renamed.id, renamed.version, renamed.title)
    return json_answer({"title": renamed.title, "renamed": True})
