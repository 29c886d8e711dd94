"""`POST .../onlyoffice/history/restore`: "Restore" in the editor's Version History.

The Document Server's `onRequestRestore` names a version (protocol §1.3, §7); the editor page POSTs
it here with the version it shows as current (`base`) and its CSRF token, then asks for the history
again. The restored bytes become one new attachment version, as the richer connectors do
(reference onlyoffice-confluence-plugin.md §10: Nextcloud), with the comment "Restored version N
by <user>". Confluence decides as the user that they see the version and may edit the document;
the upload goes through the service account, like every save.

Exactly once, like a save (save.py): under the attachment's save lock, so a restore never
interleaves with a save; an idempotency record per (attachment, base, version), so a repeated
click or a retried request adds nothing; an intent written before uploading, so a retry after a
lost answer recognises the version Confluence stored (by its comment). A restore asked against a
`base` that is no longer the latest version is refused (409): the user restores from what they see.
"""

from __future__ import annotations

import logging

from aiohttp import web

from gateway.confluence.client import UserCredentials
from gateway.confluence.models import Attachment, AttachmentTooLarge, ConfluenceError, Identity
from gateway.onlyoffice.access import access_for
from gateway.onlyoffice.answers import Refusal, confluence_failure_status, json_answer
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext
from gateway.onlyoffice.editor.history import MAX_VERSION, visible_versions
from gateway.onlyoffice.editor.posts import editor_post
from gateway.onlyoffice.signed_links import page_token
from gateway.state import LockTimeout, StateUnavailable

__all__ = ["restore", "restore_token", "restored_comment"]

log = logging.getLogger(__name__)

_LOCK_TTL = 30.0  # as for saves: renewed while held, freed within a minute if this replica dies
_LOCK_WAIT = 60.0
_RECORD_TTL = 45 * 24 * 3600.0
_CHUNK = 256 * 1024


def restore_token(context: OnlyOfficeContext, credentials: UserCredentials, attachment_id: str) -> str:
    """The editor page's CSRF token for Restore: this user's browser, this attachment."""
    return page_token(context, credentials, "restore", attachment_id)


def restored_comment(version: int, identity: Identity) -> str:
    return f"Restored version {version} by {identity.display_name or identity.username or 'a user'}"


def _number(body: dict[str, object], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_VERSION:
        raise Refusal(400, f"{name} must be a version number")
    return value


async def _checked(context: OnlyOfficeContext, request: web.Request) -> tuple[str, int, int, Identity]:
    """The attachment, version and base once who asks, from where, and their rights are checked."""
    body, attachment_id, identity = await editor_post(
        context, request, "restore", anonymous="Log in to Confluence to restore a version."
    )
    credentials = UserCredentials.from_headers(request.headers)
    version, base = _number(body, "version"), _number(body, "base")
    access = await access_for(context, request.headers, attachment_id)
    if access is None:
        raise Refusal(404, "This document does not exist, or you may not see it.")
    if access.offer.mode != "edit" or not access.user.can_edit:
        raise Refusal(403, "You may not edit this document, so you may not restore its versions.")
    _, versions = await visible_versions(context, credentials, attachment_id)
    if version not in {v.number for v in versions}:
        raise Refusal(404, f"Version {version} of this document does not exist.")
    return attachment_id, version, base, identity


def _record_key(attachment_id: str, base: int, version: int) -> str:
    return f"restored:{attachment_id}:{base}:{version}"


def _intent_key(attachment_id: str, base: int, version: int) -> str:
    return f"restoring:{attachment_id}:{base}:{version}"


async def _landed_earlier(
    context: OnlyOfficeContext, attachment: Attachment, base: int, version: int
) -> int | None:
    """The version an earlier attempt of this restore stored, though its answer never came."""
    intent = await context.state.get(_intent_key(attachment.id, base, version))
    if intent is None or attachment.version <= base:
        return None
    message = await context.confluence.version_message(attachment.id, base + 1)
    return base + 1 if message == intent.get("comment") else None


async def _upload(context: OnlyOfficeContext, attachment: Attachment, version: int, comment: str) -> int:
    """Version `version`'s bytes, streamed from Confluence back into it as the newest version."""
    download = await context.confluence.open_download(attachment, version)
    try:
        stored = await context.confluence.upload_new_version(
            attachment,
            download.content.iter_chunked(_CHUNK),
            media_type=attachment.media_type,
            comment=comment,
        )
    finally:
        download.release()
    return stored.version


async def restore_version(
    context: OnlyOfficeContext, attachment_id: str, version: int, base: int, identity: Identity
) -> tuple[int, bool]:
    """The new version holding `version`'s bytes, and whether an earlier request already made it."""
    state = context.state
    record = _record_key(attachment_id, base, version)
    async with state.lock(f"attachment:{attachment_id}", ttl=_LOCK_TTL, wait=_LOCK_WAIT, renew=True):
        done = await state.get(record)
        if done is not None:
            return int(done["version"]), True
        attachment = await context.confluence.attachment(attachment_id)
        if attachment is None:
            raise Refusal(404, "This document no longer exists.")
        made = await _landed_earlier(context, attachment, base, version)
        if made is None:
            if attachment.version != base:
                raise Refusal(409, "The document changed meanwhile; open Version History again.")
            if version == base:
                raise Refusal(400, f"Version {version} is already the current one.")
            comment = restored_comment(version, identity)
            # Remembered before uploading: a retry after a lost answer finds the stored version.
            await state.put(_intent_key(attachment_id, base, version), {"comment": comment}, ttl=_RECORD_TTL)
            made = await _upload(context, attachment, version, comment)
        await state.put(record, {"version": made}, ttl=_RECORD_TTL)
        await state.delete(_intent_key(attachment_id, base, version))
    return made, False


async def restore(request: web.Request) -> web.Response:
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    attachment_id = ""
    try:
        attachment_id, version, base, identity = await _checked(context, request)
        made, repeated = await restore_version(context, attachment_id, version, base, identity)
    except Refusal as refusal:
        return refusal.answer()
    except AttachmentTooLarge as error:
        log.warning("restore of attachment %s refused by Confluence: %s", attachment_id, error)
        return json_answer({"error": error.advice}, 413)
    except ConfluenceError as error:
        log.warning("restore of attachment %s: Confluence failed: %s", attachment_id, error)
        status = confluence_failure_status(error)
        return json_answer({"error": "Confluence did not store the restored version; try again."}, status)
    except (LockTimeout, StateUnavailable) as error:
        log.warning("restore of attachment %s could not run: %s", attachment_id, error)
        return json_answer({"error": "The version could not be restored now; try again."}, 503)
    if not repeated:
        log.info("attachment %s: version %s restored as version %s", attachment_id, version, made)
    return json_answer({"version": made, "restored": version, "alreadyRestored": repeated})
