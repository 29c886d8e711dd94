"""Turning an edited file on the Document Server into exactly one new attachment version.

Guarantees, and how:
- exactly once: an idempotency record per save (document key + the server's `lastsave`) is
  written after the upload and checked under a per-attachment lock, so replayed or retried
  callbacks, on any replica, add nothing; an upload intent written before uploading lets a retry
  recognise a version Confluence stored although its answer was lost (by the version's comment);
- never interleaved: the same lock serialises every save of one attachment;
- nothing lost: a failure that may pass raises `SaveFailed(transient=True)`, the caller answers
  5xx (the Document Server retries) and leaves a pending record that `recovery` finishes later;
- never silently on top of someone else's upload: when Confluence's latest version is not one
  this editing session produced, the edit still becomes the newest version (nothing is lost and
  the conflicting upload stays in the history), and its comment says which versions it was based
  on and which one it follows.
Authorship: uploads go through the service account, with a version comment naming the editors
(from the signed `history`, else the signed `users` resolved to names). Confluence DC has no REST
way to act as another user: the gateway would have to keep every editor's password or token, or
replay their browser session hours later (callbacks come after the editor closed, retries and
recovery later still) — a store of live user credentials is a worse risk than versions by a
service account. The trade-offs: the service account needs "Add attachments" (and, for
`forcesave_versions: collapse`, "Delete attachments") wherever documents are edited; edit rights
are checked when the editor opens (only editors get a callback link), not again at save time.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from gateway.confluence.models import Attachment, AttachmentTooLarge, ConfluenceError
from gateway.docserver.client import DocumentServerError
from gateway.onlyoffice.context import OnlyOfficeContext
from gateway.onlyoffice.formats import extension_of
from gateway.onlyoffice.keys import MAX_REOPENINGS, document_key
from gateway.onlyoffice.rules import AttachmentFacts, UserFacts, matching_rule
from gateway.onlyoffice.saving.fetch import FetchError
from gateway.state import StateUnavailable

__all__ = [
    "SaveFailed",
    "SaveJob",
    "SaveResult",
    "made_record_key",
    "save_edit",
    "session_key",
    "session_record_key",
]

log = logging.getLogger(__name__)

_LOCK_TTL = 30.0  # renewed while the save runs; a replica that dies frees it within the DS retries
_LOCK_WAIT = 120.0
_RECORD_TTL = 45 * 24 * 3600.0  # idempotency: longer than callback links live
_SESSION_TTL = 7 * 24 * 3600.0


class SaveFailed(Exception):
    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, slots=True)
class SaveJob:
    key: str
    attachment_id: str
    base_version: int
    force: bool  # status 6: the session goes on, the key stays
    url: str
    filetype: str | None
    editors: tuple[str, ...] = ()
    lastsave: str | None = None
    not_modified: bool = False
    recovered: bool = False

    @property
    def record_key(self) -> str:
        """What makes two callbacks the same save: retries and replays share it, new saves do not.

        The Document Server repeats `lastsave` on every retry of one save (its links change), and a
        key is reused after a failed save (the session reopens from the forgotten file), so the
        final save is told apart by `lastsave` too; a recovered forgotten file has one per key.
        """
        if self.recovered:
            return f"saved:{self.key}:recovered"
        stamp = hashlib.sha256((self.lastsave or "").encode()).hexdigest()[:16] if self.lastsave else "-"
        if self.force:
            if not self.lastsave:
                stamp = hashlib.sha256(self.url.encode()).hexdigest()[:16]
            return f"saved:{self.key}:force:{stamp}"
        return f"saved:{self.key}:final:{stamp}"


@dataclass(frozen=True, slots=True)
class SaveResult:
    version: int | None  # None when nothing needed uploading
    already_saved: bool = False
    conflict_with: int | None = None
    collapsed: tuple[int, ...] = field(default_factory=tuple)


def session_record_key(attachment_id: str) -> str:
    return f"session:{attachment_id}"


async def session_key(context: OnlyOfficeContext, attachment_id: str, version: int) -> tuple[str, int]:
    """The key of the open session when its force saves made the latest version, else a fresh one.

    Force saves create Confluence versions while the session (and its key) goes on; without this,
    someone opening the document after a force save would get a new key and a separate session.
    A fresh key is one no save has used (`_unspent_key`).
    """
    try:
        record = await context.state.get(session_record_key(attachment_id))
        if (
            record is not None
            and isinstance(record.get("key"), str)
            and isinstance(record.get("base"), int)
            and (version == record["base"] or version in record.get("forced", []))
        ):
            return record["key"], record["base"]
        return await _unspent_key(context, attachment_id, version), version
    except StateUnavailable as error:
        # Opening still works; only a co-editor joining after a force save may get a new session,
        # and a version whose later versions were deleted may reopen under its spent key.
        log.warning("editor session: shared state unavailable, using the version's own key: %s", error)
        return document_key(str(context.public_url), attachment_id, version), version


async def _unspent_key(context: OnlyOfficeContext, attachment_id: str, version: int) -> str:
    """`version`'s key, or its next fresh key when a save already used that one.

    A key that made versions is spent (protocol §1.2: the key changes after every save): the
    Document Server opens it read-only for five minutes after its save, and a file it could not
    save (a "forgotten" one) instead of the document. Confluence shows such a version again only
    after the versions made from it were deleted; its reopenings are numbered, so every replica
    picks the same next key.
    """
    instance = str(context.public_url)
    for reopening in range(MAX_REOPENINGS + 1):
        key = document_key(instance, attachment_id, version, reopening)
        made = await context.state.get(made_record_key(key))
        if not (made or {}).get("versions"):
            return key
    log.error("attachment %s v%s: all %s keys of the version are spent", attachment_id, version, reopening)
    return key


def _comment(job: SaveJob, base: int, conflict_with: int | None) -> str:
    text = "Edited in ONLYOFFICE"
    if job.editors:
        text += " by " + ", ".join(job.editors)
    if job.force:
        text += " (intermediate save)"
    if job.recovered:
        text += " (recovered after a failed save)"
    if conflict_with is not None:
        text += f"; based on version {base}, saved after version {conflict_with} was uploaded meanwhile"
    return text


async def _source_url(context: OnlyOfficeContext, job: SaveJob, extension: str) -> str:
    """The file in the attachment's own format: convert back when the server assembled another one."""
    if not job.filetype or job.filetype.lower() == extension:
        return job.url
    stamp = hashlib.sha256(job.url.encode()).hexdigest()[:12]
    try:
        result = await context.docserver.convert_until_done(
            url=job.url, source_type=job.filetype.lower(), target_type=extension, key=f"{job.key}-{stamp}"
        )
    except DocumentServerError as error:
        raise SaveFailed(
            f"converting back to {extension} failed: {error}", transient=error.transient
        ) from error
    if not result.file_url:
        raise SaveFailed("conversion finished without a file", transient=True)
    return result.file_url


async def _upload(
    context: OnlyOfficeContext, job: SaveJob, attachment: Attachment, comment: str
) -> Attachment:
    extension = extension_of(attachment.title)
    found = context.formats.get(extension)
    media_type = found.mime if found is not None else attachment.media_type
    url = await _source_url(context, job, extension)
    try:
        async with context.fetch_docserver_file(url) as fetched:
            return await context.confluence.upload_new_version(
                attachment, fetched.chunks(), media_type=media_type, comment=comment
            )
    except FetchError as error:
        raise SaveFailed(str(error), transient=error.transient) from error
    except AttachmentTooLarge as error:
        # Refused for good (until an admin raises the limit); the message says so in the pending
        # record admins and recovery read.
        raise SaveFailed(error.advice, transient=False) from error
    except ConfluenceError as error:
        if isinstance(error.__cause__, FetchError):
            cause = error.__cause__
            raise SaveFailed(str(cause), transient=cause.transient) from error
        raise SaveFailed(str(error), transient=error.transient) from error


async def _collapse(
    context: OnlyOfficeContext, attachment: Attachment, versions: list[int]
) -> tuple[int, ...]:
    """Remove intermediate force-save versions once the final one exists (best effort)."""
    removed: list[int] = []
    for number in sorted(versions, reverse=True):
        try:
            await context.confluence.delete_version(attachment.id, number)
            removed.append(number)
        except ConfluenceError as error:
            log.warning("could not remove intermediate version %s of %s: %s", number, attachment.id, error)
    return tuple(removed)


def _forcesave_policy(context: OnlyOfficeContext, attachment: Attachment) -> str:
    facts = AttachmentFacts(
        filename=attachment.title,
        size=attachment.size,
        page_id=attachment.page_id,
        space_key=attachment.space_key,
    )
    nobody = UserFacts(anonymous=False, groups=frozenset(), can_view=True, can_edit=True)
    rule = matching_rule(context.settings.rules, facts, nobody)
    return rule.forcesave_versions if rule is not None else "keep"


def _intent_key(job: SaveJob) -> str:
    return f"uploading:{job.record_key}"


async def _landed_earlier(context: OnlyOfficeContext, job: SaveJob, attachment: Attachment) -> int | None:
    """The version an earlier attempt of this very save created, though its answer never came."""
    intent = await context.state.get(_intent_key(job))
    if intent is None or not isinstance(intent.get("from"), int) or attachment.version <= intent["from"]:
        return None
    number = int(intent["from"]) + 1
    try:
        message = await context.confluence.version_message(attachment.id, number)
    except ConfluenceError as error:
        raise SaveFailed(f"Confluence: {error}", transient=error.transient) from error
    if message != intent.get("comment"):
        return None
    log.info(
        "attachment %s: version %s is this save's, stored before its answer was lost", attachment.id, number
    )
    return number


def made_record_key(key: str) -> str:
    """Every version this document key produced (force, final, recovered saves)."""
    return f"made:{key}"


async def _note_made(context: OnlyOfficeContext, key: str, made: list[int], version: int) -> None:
    await context.state.put(made_record_key(key), {"versions": [*made, version]}, ttl=_RECORD_TTL)


async def save_edit(context: OnlyOfficeContext, job: SaveJob) -> SaveResult:
    """Save `job` as one new version (or recognise it as already saved)."""
    state = context.state
    async with state.lock(f"attachment:{job.attachment_id}", ttl=_LOCK_TTL, wait=_LOCK_WAIT, renew=True):
        done = await state.get(job.record_key)
        if done is not None:
            return SaveResult(version=done.get("version"), already_saved=True)
        try:
            attachment = await context.confluence.attachment(job.attachment_id)
        except ConfluenceError as error:
            raise SaveFailed(f"Confluence: {error}", transient=error.transient) from error
        if attachment is None:
            raise SaveFailed(f"attachment {job.attachment_id} no longer exists", transient=False)
        session: dict[str, Any] = await state.get(session_record_key(attachment.id)) or {}
        made = [int(v) for v in (await state.get(made_record_key(job.key)) or {}).get("versions", [])]
        own = [job.base_version, *made]
        forced: list[int] = []
        if session.get("key") == job.key:
            forced = [int(v) for v in session.get("forced", [])]
        if not job.force and job.not_modified and forced and attachment.version in forced:
            # The last force save already holds everything: that version is the final one.
            result = SaveResult(version=attachment.version)
            earlier = [v for v in forced if v != attachment.version]
            if earlier and _forcesave_policy(context, attachment) == "collapse":
                result = SaveResult(
                    version=attachment.version, collapsed=await _collapse(context, attachment, earlier)
                )
        else:
            conflict: int | None = None
            version = await _landed_earlier(context, job, attachment)
            if version is None:
                conflict = attachment.version if attachment.version not in own else None
                if conflict is not None:
                    log.warning(
                        "attachment %s changed in Confluence during editing (base %s, now %s): saving on top",
                        attachment.id,
                        job.base_version,
                        attachment.version,
                    )
                comment = _comment(job, job.base_version, conflict)
                # Remembered before uploading: if Confluence stores the version but its answer is
                # lost (timeout, dropped connection), the retry finds it instead of adding another.
                await state.put(
                    _intent_key(job), {"from": attachment.version, "comment": comment}, ttl=_RECORD_TTL
                )
                version = (await _upload(context, job, attachment, comment)).version
            await state.delete(_intent_key(job))
            await _note_made(context, job.key, made, version)
            result = SaveResult(version=version, conflict_with=conflict)
            if job.force:
                await state.put(
                    session_record_key(attachment.id),
                    {
                        **session,
                        "key": job.key,
                        "base": job.base_version,
                        "forced": [*forced, version],
                    },
                    ttl=_SESSION_TTL,
                )
            elif forced and _forcesave_policy(context, attachment) == "collapse":
                result = SaveResult(
                    version=version,
                    conflict_with=conflict,
                    collapsed=await _collapse(context, attachment, forced),
                )
        await state.put(job.record_key, {"version": result.version}, ttl=_RECORD_TTL)
        if not job.force and session.get("key") == job.key:
            await state.delete(session_record_key(attachment.id))
        return result
