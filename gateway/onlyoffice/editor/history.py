"""`.../onlyoffice/history?attachmentId=N` and `.../history/data?attachmentId=N&version=V`.

The editor's Version History (reference/onlyoffice-confluence-plugin.md §1.5, protocol §1.3 and §7):
Confluence's attachment versions are the history, so nothing is stored here. Both routes ask
Confluence as the browser's user, so it alone decides who sees what (404 when it hides the
attachment). `info` feeds `refreshHistory`; `data` feeds the signed `setHistoryData`, with a
download link the Document Server fetches server-side like the editor's own. As in the plugin
since 6.1 there is no `changesUrl`/`previous`: versions are shown, changes are not highlighted.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import Attachment, AttachmentVersion, ConfluenceError, Identity, is_content_id
from gateway.docserver.jwt import sign
from gateway.onlyoffice.answers import Refusal, confluence_failure_status, json_answer
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext
from gateway.onlyoffice.formats import extension_of
from gateway.onlyoffice.keys import document_key
from gateway.onlyoffice.signed_links import LinkClaims, make_link_token

__all__ = [
    "MAX_VERSION",
    "history_data",
    "history_data_payload",
    "history_info",
    "history_info_payload",
    "visible_versions",
]

log = logging.getLogger(__name__)
MAX_VERSION = 999_999_999  # document keys carry at most 9 digits of version


def _attachment_id(request: web.Request) -> str:
    attachment_id = request.query.get("attachmentId", "")
    if not is_content_id(attachment_id):
        raise Refusal(400, "attachmentId must be a Confluence content id")
    return attachment_id


def _version(request: web.Request) -> int:
    raw = request.query.get("version", "")
    if not (0 < len(raw) <= 9 and raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_VERSION:
        raise Refusal(400, "version must be a positive version number")
    return int(raw)


async def visible_versions(
    context: OnlyOfficeContext, credentials: UserCredentials, attachment_id: str
) -> tuple[Attachment, list[AttachmentVersion]]:
    """The attachment and its versions as Confluence shows them to this user."""
    try:
        attachment, versions = await asyncio.gather(
            context.confluence.attachment(attachment_id, credentials),
            context.confluence.attachment_versions(attachment_id, credentials),
        )
    except ConfluenceError as error:
        log.warning("history: Confluence lookup of attachment %s failed: %s", attachment_id, error)
        raise Refusal(confluence_failure_status(error), "Confluence is not answering") from error
    if attachment is None or not versions:
        raise Refusal(404, "This attachment does not exist, or you do not have permission to see it")
    return attachment, versions


def _user(identity: Identity) -> dict[str, str]:
    return {"id": identity.user_key or "", "name": identity.display_name or "Anonymous"}


def history_info_payload(
    instance: str, attachment: Attachment, versions: list[AttachmentVersion]
) -> dict[str, Any]:
    """What `refreshHistory` takes: every version oldest first, each with its own document key.

    `created` is Confluence's ISO 8601 time; the editor page shows it in the browser's time zone.
    """
    return {
        "currentVersion": max(v.number for v in versions) if versions else attachment.version,
        "history": [
            {
                "version": v.number,
                "key": document_key(instance, attachment.id, v.number),
                "created": v.when,
                "user": _user(v.author),
            }
            for v in sorted(versions, key=lambda v: v.number)
        ],
    }


def history_data_payload(
    context: OnlyOfficeContext, attachment: Attachment, version: int, user_key: str | None
) -> dict[str, Any]:
    """What the signed `setHistoryData` takes; the token's payload is the object itself."""
    key = document_key(str(context.public_url), attachment.id, version)
    link_token = make_link_token(
        LinkClaims(action="download", attachment_id=attachment.id, key=key, version=version, user=user_key),
        context.link_secret,
    )
    data: dict[str, Any] = {
        "version": version,
        "key": key,
        "url": str(context.internal("download").with_query(token=link_token)),
        "fileType": extension_of(attachment.title),
    }
    data["token"] = sign(data, context.jwt_secret)
    return data


async def history_info(request: web.Request) -> web.Response:
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    try:
        attachment_id = _attachment_id(request)
        credentials = UserCredentials.from_headers(request.headers)
        attachment, versions = await visible_versions(context, credentials, attachment_id)
    except Refusal as refusal:
        return refusal.answer()
    return json_answer(history_info_payload(str(context.public_url), attachment, versions))


async def history_data(request: web.Request) -> web.Response:
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    version = None
    try:
        attachment_id = _attachment_id(request)
        version = _version(request)
        credentials = UserCredentials.from_headers(request.headers)
        attachment, versions = await visible_versions(context, credentials, attachment_id)
        if version not in {v.number for v in versions}:
            raise Refusal(404, f"Version {version} of this attachment does not exist")
        if context.formats.get(extension_of(attachment.title), context.server_version) is None:
            raise Refusal(415, "ONLYOFFICE cannot open files of this type")
        try:
            identity = await context.identities.get(credentials)
        except ConfluenceError as error:
            log.warning("history: identity lookup failed: %s", error)
            raise Refusal(503, "Confluence is not answering") from error
    except Refusal as refusal:
        # `version` lets the editor answer setHistoryData({version, error}) for the one it asked.
        return refusal.answer(**({} if version is None else {"version": version}))
    return json_answer(history_data_payload(context, attachment, version, identity.user_key))
