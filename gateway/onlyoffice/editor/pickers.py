"""`.../onlyoffice/attachments`: the editor's attachment picker (Insert image, Compare, Mail merge).

The plugin reuses Confluence's own image/attachment dialog and its `api?type=attachment-data`
(reference/onlyoffice-confluence-plugin.md §1.1, §1.6); through a proxy no Confluence dialog is
available, so the editor page shows a small picker of its own:

- GET `?attachmentId=N&purpose=image|document|spreadsheet` lists the attachments of the editor's
  page that Confluence shows the browser's user, with the extensions allowed for the purpose
  (§3: images bmp gif jpeg jpg png tiff; Compare all WORD-type; Mail merge all CELL-type).
- POST `{attachmentId, token, purpose, pick, c}` (the editor page's CSRF token, bound to the user's
  credentials and the editor's attachment) checks, as the user, that they may view the picked
  attachment and its extension, and answers the Document Server method payload (protocol §1.3,
  §3.3): `insertImage {c, images:[{fileType, url}]}` or `setRequestedDocument` /
  `setRequestedSpreadsheet` (older names `setRevisedFile`, `setMailMergeRecipients`)
  `{c, fileType, url}`, with `token` = that object signed with the Document Server secret. `url` is
  the gateway's signed download link, which the Document Server fetches with its own JWT.

Confluence decides visibility (asked as the user, never as the service account); anonymous users
cannot edit, so they get no picker.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

from aiohttp import web

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import Attachment, ConfluenceError, Identity, is_content_id
from gateway.docserver.jwt import sign
from gateway.onlyoffice.answers import Refusal, confluence_failure_status, json_answer
from gateway.onlyoffice.client_input import read_page_post
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext
from gateway.onlyoffice.formats import FormatTable, extension_of
from gateway.onlyoffice.keys import document_key
from gateway.onlyoffice.signed_links import (
    LinkClaims,
    make_link_token,
)

__all__ = [
    "IMAGE_EXTENSIONS",
    "PURPOSES",
    "Purpose",
    "allowed_extensions",
    "list_attachments",
    "method_payload",
    "pick_attachment",
]

log = logging.getLogger(__name__)

Purpose = Literal["image", "document", "spreadsheet"]
PURPOSES: tuple[Purpose, ...] = ("image", "document", "spreadsheet")
# The plugin's Insert image list (SDK property; reference §3).
IMAGE_EXTENSIONS: frozenset[str] = frozenset({"bmp", "gif", "jpeg", "jpg", "png", "tiff"})
# What the editor passes as `c`; an unknown one (a newer Document Server) falls back to the default.
_DEFAULT_COMMAND: dict[Purpose, str] = {"image": "add", "document": "compare", "spreadsheet": "mailmerge"}
_COMMAND = re.compile(r"^[a-z][a-z-]{0,31}$")
_NOT_THE_EDITOR = "the request did not come from the editor page"
_NOUN: dict[Purpose, str] = {
    "image": "an image",
    "document": "a text document",
    "spreadsheet": "a spreadsheet",
}


def allowed_extensions(formats: FormatTable, purpose: Purpose) -> frozenset[str]:
    """Extensions a purpose accepts: the plugin's image list, else the format table's document type."""
    if purpose == "image":
        return IMAGE_EXTENSIONS
    return formats.by_type("word" if purpose == "document" else "cell")


def _purpose(value: object) -> Purpose:
    for purpose in PURPOSES:
        if value == purpose:
            return purpose
    raise Refusal(400, "purpose must be one of image, document, spreadsheet")


def _command(purpose: Purpose, value: object) -> str:
    if isinstance(value, str) and _COMMAND.match(value):
        return value
    return _DEFAULT_COMMAND[purpose]


async def _signed_in(context: OnlyOfficeContext, credentials: UserCredentials) -> Identity:
    try:
        identity = await context.identities.get(credentials)
    except ConfluenceError as error:
        log.warning("pickers: identity lookup failed: %s", error)
        raise Refusal(503, "Confluence is not answering") from error
    if identity.anonymous:
        raise Refusal(401, "Log in to Confluence to pick attachments")
    return identity


async def _visible(
    context: OnlyOfficeContext, credentials: UserCredentials, attachment_id: str
) -> Attachment:
    try:
        attachment = await context.confluence.attachment(attachment_id, credentials)
    except ConfluenceError as error:
        log.warning("pickers: Confluence lookup of attachment %s failed: %s", attachment_id, error)
        raise Refusal(confluence_failure_status(error), "Confluence is not answering") from error
    if attachment is None:
        raise Refusal(404, "This attachment does not exist, or you do not have permission to see it")
    return attachment


def _entry(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "title": attachment.title,
        "fileType": extension_of(attachment.title),
        "size": attachment.size,
    }


async def list_attachments(request: web.Request) -> web.Response:
    """GET: the editor page's attachments the user may view, for one purpose."""
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    try:
        attachment_id = request.query.get("attachmentId", "")
        if not is_content_id(attachment_id):
            raise Refusal(400, "attachmentId must be a Confluence content id")
        purpose = _purpose(request.query.get("purpose"))
        credentials = UserCredentials.from_headers(request.headers)
        await _signed_in(context, credentials)
        editing = await _visible(context, credentials, attachment_id)
        allowed = allowed_extensions(context.formats, purpose)
        found: dict[str, Attachment] = {}
        try:
            async for batch in context.confluence.page_attachments(editing.page_id, credentials):
                found |= {a.id: a for a in batch if extension_of(a.title) in allowed}
        except ConfluenceError as error:
            log.warning("pickers: listing page %s failed: %s", editing.page_id, error)
            raise Refusal(confluence_failure_status(error), "Confluence is not answering") from error
    except Refusal as refusal:
        return refusal.answer()
    listed = sorted(found.values(), key=lambda a: (a.title.casefold(), a.id))
    return json_answer(
        {
            "purpose": purpose,
            "pageTitle": editing.page_title,
            "extensions": sorted(allowed),
            "attachments": [_entry(a) for a in listed],
        }
    )


def method_payload(
    context: OnlyOfficeContext, purpose: Purpose, command: str, picked: Attachment, user_key: str | None
) -> dict[str, Any]:
    """The signed argument of insertImage / setRequestedDocument / setRequestedSpreadsheet.

    The token's payload is the argument itself without `token` (protocol §3.3), as for history data.
    """
    key = document_key(str(context.public_url), picked.id, picked.version)
    link_token = make_link_token(
        LinkClaims(
            action="download", attachment_id=picked.id, key=key, version=picked.version, user=user_key
        ),
        context.link_secret,
    )
    url = str(context.internal("download").with_query(token=link_token))
    file_type = extension_of(picked.title)
    payload: dict[str, Any] = {"c": command}
    if purpose == "image":
        payload["images"] = [{"fileType": file_type, "url": url}]
    else:
        payload |= {"fileType": file_type, "url": url}
    payload["token"] = sign(payload, context.jwt_secret)
    return payload


async def pick_attachment(request: web.Request) -> web.Response:
    """POST: the picked attachment as the Document Server method wants it, after the checks."""
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    try:
        body, attachment_id = await read_page_post(
            context, request, "pick", token_field="token", refused=_NOT_THE_EDITOR
        )
    except Refusal as refusal:
        return refusal.answer()
    try:
        credentials = UserCredentials.from_headers(request.headers)
        identity = await _signed_in(context, credentials)
        purpose = _purpose(body.get("purpose"))
        pick = str(body.get("pick", ""))
        if not is_content_id(pick):
            raise Refusal(400, "pick must be a Confluence content id")
        picked = await _visible(context, credentials, pick)
        if extension_of(picked.title) not in allowed_extensions(context.formats, purpose):
            raise Refusal(415, f"{picked.title} is not {_NOUN[purpose]} the editor can use here")
    except Refusal as refusal:
        return refusal.answer()
    log.info("pick: attachment %s for %s in the editor of %s", picked.id, purpose, attachment_id)
    return json_answer(
        method_payload(context, purpose, _command(purpose, body.get("c")), picked, identity.user_key)
    )
