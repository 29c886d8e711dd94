"""Finishing saves that could not finish at callback time, without anyone doing anything.

When Confluence is down longer than the Document Server retries (1 s, 2 s, 4 s), the server keeps
the edited file as a "forgotten" file under the document key. The gateway finds such saves two
ways: the pending records it wrote when the callback arrived (shared state), and the server's
`getForgottenList` — whose keys the gateway can read back to an attachment and version, so even a
restart that lost every record loses no edit. Each is saved through the same path as a callback
(lock, idempotency, pinned fetch, one upload); then the forgotten file is deleted.
One replica at a time does this (a shared lock), every `interval` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from yarl import URL

from gateway.docserver.client import DocumentServerError
from gateway.onlyoffice.context import OnlyOfficeContext
from gateway.onlyoffice.formats import extension_of
from gateway.onlyoffice.keys import parse_key
from gateway.onlyoffice.saving.callback import PENDING_TTL as _PENDING_TTL
from gateway.onlyoffice.saving.callback import pending_record_key
from gateway.onlyoffice.saving.save import SaveFailed, SaveJob, save_edit
from gateway.state import LockTimeout, StateUnavailable

__all__ = ["Recovery", "forgotten_list", "recover_once", "recover_save", "run_recovery"]

log = logging.getLogger(__name__)

# The Document Server retries for about 7 s; leave its own retries alone before stepping in.
_GRACE_SECONDS = 20.0
_REFUSED_RETRY_SECONDS = 3600.0


def _filetype(url: str) -> str | None:
    parsed = URL(url)
    name = parsed.query.get("filename") or parsed.name
    return extension_of(name) or None


async def forgotten_list(context: OnlyOfficeContext) -> set[str]:
    """Keys of this gateway's edited copies the Document Server keeps ("forgotten" files).

    Raises DocumentServerError when it cannot be asked (`pending` says so; recovery just waits)."""
    result = await context.docserver.command("getForgottenList")
    keys = result.data.get("keys") if result.error == 0 else None
    found = {k for k in keys if isinstance(k, str)} if isinstance(keys, list) else set()
    return {k for k in found if parse_key(k, str(context.public_url))}


async def _forgotten_keys(context: OnlyOfficeContext) -> set[str]:
    try:
        return await forgotten_list(context)
    except DocumentServerError as error:
        log.debug("recovery: getForgottenList failed: %s", error)
        return set()


@dataclass(frozen=True, slots=True)
class Recovery:
    """What one attempt to finish a pending save came to (the log and `pending --retry` say it)."""

    done: bool
    detail: str
    version: int | None = None


async def recover_save(
    context: OnlyOfficeContext, key: str, record: dict[str, Any], forgotten: bool
) -> Recovery:
    """Finish one pending save through the callback's own path (lock, idempotency, pinned fetch).

    Both the recovery loop and `onlyoffice-gateway pending --retry` call this, so a save retried by
    hand has exactly the guarantees of one the gateway finishes by itself.
    """
    parts = parse_key(key, str(context.public_url))
    attachment_id = record.get("attachment") or (parts.attachment_id if parts else None)
    base = record.get("base") or (parts.version if parts else None)
    if not isinstance(attachment_id, str) or not isinstance(base, int):
        return Recovery(False, "the key names no attachment of this gateway's Confluence")
    try:
        found = await context.docserver.command("getForgotten", key=key)
    except DocumentServerError as error:
        log.info("recovery: Document Server unavailable for %s: %s", key, error)
        return Recovery(False, f"Document Server unavailable: {error}")
    url = found.data.get("url")
    if found.error != 0 or not isinstance(url, str):
        # No forgotten file (yet): the server may still be retrying.
        return Recovery(
            False, "the Document Server keeps no edited copy under this key (yet): it may still be retrying"
        )
    job = SaveJob(
        key=key,
        attachment_id=attachment_id,
        base_version=base,
        force=False,
        url=url,
        filetype=_filetype(url),
        editors=tuple(record.get("editors") or ()),
        recovered=True,
    )
    try:
        result = await save_edit(context, job)
    except (SaveFailed, LockTimeout) as error:
        transient = isinstance(error, LockTimeout) or error.transient
        log.warning("recovery of %s failed%s: %s", key, " (will retry)" if transient else "", error)
        context.metrics.saves.labels("recovered", "retry" if transient else "refused").inc()
        await _note_failure(context, key, record, attachment_id, base, error, transient)
        why = "may pass, retried at the next recovery pass" if transient else "refused"
        return Recovery(False, f"{why}: {error or type(error).__name__}")
    log.info("recovered the edit of attachment %s as version %s (key %s)", attachment_id, result.version, key)
    context.metrics.saves.labels("recovered", "ok").inc()
    await _forget(context, key, True)
    return Recovery(True, "saved", result.version)


async def _note_failure(
    context: OnlyOfficeContext,
    key: str,
    record: dict[str, Any],
    attachment_id: str,
    base: int,
    error: Exception,
    transient: bool,
) -> None:
    """Keep count of attempts and the last error on the pending record, for admins (`pending`)."""
    noted: dict[str, Any] = {
        **record,
        "attachment": attachment_id,
        "base": base,
        "attempts": int(record.get("attempts") or 0) + 1,
        "error": str(error) or type(error).__name__,
        "attempted": time.time(),
    }
    if not transient:
        # Refused for good (until an admin acts): recovery waits an hour before trying again.
        await context.state.put(pending_record_key(key), {**noted, "refused": str(error)}, ttl=_PENDING_TTL)
        return
    noted.pop("refused", None)  # it may pass now: back to the normal retry pace
    with contextlib.suppress(StateUnavailable):  # bookkeeping only: the save itself stays pending
        await context.state.put(pending_record_key(key), noted, ttl=_PENDING_TTL)


async def _forget(context: OnlyOfficeContext, key: str, forgotten: bool) -> None:
    await context.state.delete(pending_record_key(key))
    if forgotten:
        try:
            await context.docserver.command("deleteForgotten", key=key)
        except DocumentServerError as error:
            log.info("recovery: deleteForgotten %s failed: %s", key, error)


async def recover_once(context: OnlyOfficeContext) -> int:
    """One pass over pending and forgotten saves; returns how many were completed."""
    try:
        async with context.state.lock("recovery", ttl=60.0, wait=0.0, renew=True):
            now = time.time()
            pending = {k.removeprefix("pending:") for k in await context.state.keys("pending:")}
            forgotten = await _forgotten_keys(context)
            context.metrics.pending.set(len(pending | forgotten))
            done = 0
            for key in sorted(pending | forgotten):
                record = await context.state.get(pending_record_key(key)) or {}
                since = float(record.get("since") or 0)
                if key not in forgotten and now - since < _GRACE_SECONDS:
                    continue
                if (
                    record.get("refused")
                    and now - float(record.get("attempted") or 0) < _REFUSED_RETRY_SECONDS
                ):
                    continue
                if (await recover_save(context, key, record, key in forgotten)).done:
                    done += 1
            return done
    except LockTimeout:
        return 0  # another replica is on it
    except StateUnavailable as error:
        log.warning("recovery pass skipped: %s", error)
        return 0


async def run_recovery(context: OnlyOfficeContext, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await recover_once(context)
        except Exception:  # keep the loop alive; the next pass may succeed
            log.exception("recovery pass failed")
