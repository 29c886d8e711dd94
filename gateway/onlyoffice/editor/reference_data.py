"""`POST .../onlyoffice/reference-data`: the file behind a link between documents.

"Paste Special" links and spreadsheets' external links remember the source file's
`referenceData` (`{fileKey: attachment id, instanceId: this Confluence's public URL}`, put in
every editor config) and its name (`path`). When the editor refreshes such a link it fires
`onRequestReferenceData`; the page POSTs the event data here and hands the answer to the signed
`setReferenceData` (protocol §1.3, §3.3). As in the plugin (reference §1.6 `reference-data`) the
file is the attachment `fileKey` when the link was made on this Confluence, else the attachment of
that name on the editor's page; 404 when there is none, 403 when Confluence does not show it to
the user (or the rules offer nothing for it). The answer carries the gateway's download link,
which the Document Server fetches with its JWT like the editor's own, and a token over it all.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import Attachment, ConfluenceError, is_content_id
from gateway.docserver.jwt import sign
from gateway.onlyoffice.access import UserAccess, access_for
from gateway.onlyoffice.answers import Refusal, json_answer
from gateway.onlyoffice.client_input import read_page_post
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext
from gateway.onlyoffice.formats import extension_of
from gateway.onlyoffice.keys import document_key
from gateway.onlyoffice.signed_links import (
    LinkClaims,
    make_link_token,
    page_token,
)

__all__ = ["reference_data", "reference_data_payload", "reference_data_token"]

log = logging.getLogger(__name__)


def reference_data_token(context: OnlyOfficeContext, credentials: UserCredentials, attachment_id: str) -> str:
    """The editor page's CSRF token for reference data: this user's browser, this edited attachment."""
    return page_token(context, credentials, "reference-data", attachment_id)


def reference_data_payload(
    context: OnlyOfficeContext, attachment: Attachment, user_key: str | None
) -> dict[str, Any]:
    """What the signed `setReferenceData` takes; the token's payload is the object itself."""
    instance = str(context.public_url)
    key = document_key(instance, attachment.id, attachment.version)
    link_token = make_link_token(
        LinkClaims(
            action="download", attachment_id=attachment.id, key=key, version=attachment.version, user=user_key
        ),
        context.link_secret,
    )
    data: dict[str, Any] = {
        "fileType": extension_of(attachment.title),
        "key": key,
        "path": attachment.title,
        "referenceData": {"fileKey": attachment.id, "instanceId": instance},
        "url": str(context.internal("download").with_query(token=link_token)),
    }
    data["token"] = sign(data, context.jwt_secret)
    return data


def _same_instance(context: OnlyOfficeContext, instance: object) -> bool:
    return isinstance(instance, str) and instance.rstrip("/") == str(context.public_url).rstrip("/")


async def _by_name(
    context: OnlyOfficeContext, credentials: UserCredentials, page_id: str, name: str
) -> str | None:
    """The id of the attachment called `name` on the page, as the user lists it."""
    async for attachments in context.confluence.page_attachments(page_id, credentials):
        for attachment in attachments:
            if attachment.title == name:
                return attachment.id
    return None


async def _referenced(
    context: OnlyOfficeContext, request: web.Request, body: dict[str, Any], editor: Attachment
) -> UserAccess:
    """The referenced attachment with the user's access to it, or the refusal."""
    credentials = UserCredentials.from_headers(request.headers)
    reference = body.get("referenceData")
    reference = reference if isinstance(reference, dict) else {}
    file_key = str(reference.get("fileKey", ""))
    if _same_instance(context, reference.get("instanceId")) and is_content_id(file_key):
        # Asked as the service account first: "not there" (404) differs from "not yours" (403).
        if await context.confluence.attachment(file_key) is None:
            raise Refusal(404, "The linked file no longer exists.")
        target = file_key
    else:
        path = body.get("path")
        name = path.strip() if isinstance(path, str) else ""
        found = await _by_name(context, credentials, editor.page_id, name) if name else None
        if found is None:
            raise Refusal(404, "The linked file is not attached to this page.")
        target = found
    access = await access_for(context, request.headers, target)
    if access is None:
        raise Refusal(403, "You do not have permission to see the linked file.")
    if access.offer.format is None:
        raise Refusal(415, "ONLYOFFICE cannot open the linked file's type.")
    if access.offer.mode is None:
        raise Refusal(403, "ONLYOFFICE is not enabled for the linked file.")
    return access


async def reference_data(request: web.Request) -> web.Response:
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    try:
        body, attachment_id = await read_page_post(
            context,
            request,
            "reference-data",
            refused="The request did not come from the editor page; reload it.",
        )
    except Refusal as refusal:
        return refusal.answer()
    try:
        credentials = UserCredentials.from_headers(request.headers)
        editor = await context.confluence.attachment(attachment_id, credentials)
        if editor is None:
            raise Refusal(404, "This document does not exist, or you may not see it.")
        access = await _referenced(context, request, body, editor)
    except Refusal as refusal:
        return refusal.answer()
    except ConfluenceError as error:
        log.warning("reference-data: Confluence lookup failed: %s", error)
        return json_answer({"error": "Confluence is not answering; try again."}, 503)
    return json_answer(reference_data_payload(context, access.attachment, access.identity.user_key))
