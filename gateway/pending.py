"""`onlyoffice-gateway pending`: the saves not yet in Confluence, and retrying one by hand.

The backlog is what recovery works through (gateway/onlyoffice/saving/recovery.py): the pending records
in the shared state (written when a callback arrives, kept until the version is in Confluence)
and the edited copies the Document Server keeps under this gateway's keys (`getForgottenList`).
This command reads both with the gateway's own config. A retry goes through `recover_save`, the
recovery loop's own function, under the recovery loop's lock: the same per-attachment lock and
idempotency records as every other save, so a save retried here is never saved twice, also while
a running gateway's recovery pass looks at the same key.

With the state in memory (one worker, no `state.path` or `state.redis_url`) the records live inside
the running gateway process, out of this one's reach: the listing then shows only what the
Document Server keeps, says so, and exits 3; a retry is refused (it could not share the gateway's
locks).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from prometheus_client import CollectorRegistry

from gateway.confluence.models import ConfluenceError
from gateway.docserver.client import DocumentServerError
from gateway.onlyoffice.context import OnlyOfficeContext
from gateway.onlyoffice.keys import parse_key
from gateway.onlyoffice.plugin import build_context
from gateway.onlyoffice.saving.callback import pending_record_key
from gateway.onlyoffice.saving.metrics import SaveMetrics
from gateway.onlyoffice.saving.recovery import forgotten_list, recover_save
from gateway.onlyoffice.saving.save import made_record_key
from gateway.proxy.upstream import create_upstream_session
from gateway.settings import Settings
from gateway.settings.live import LiveSettings
from gateway.state import LockTimeout, RedisState, SharedState, SqliteState, StateUnavailable, choose_state

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_PARTIAL", "PendingSave", "run_pending"]

EXIT_OK = 0
EXIT_FAILED = 1  # the state cannot be reached, the key is unknown, or the retry did not save
EXIT_PARTIAL = 3  # listed what could be seen, but the pending records were out of reach (memory state)

# The recovery loop's lock (recover_once): a retry by hand waits for a running pass to end.
_RECOVERY_LOCK = "recovery"
_LOCK_TTL = 60.0
_LOCK_WAIT = 90.0


@dataclass
class PendingSave:
    """One save not yet in Confluence: what the state and the Document Server know about it."""

    key: str
    attachment_id: str | None
    base_version: int | None  # the Confluence version the edit started from
    file_name: str | None = None  # from Confluence, when it answers
    page_id: str | None = None
    page_title: str | None = None
    since: float | None = None  # when the callback arrived (epoch seconds)
    attempts: int = 0  # recovery attempts that failed
    last_error: str | None = None
    refused: bool = False  # refused for good last time (e.g. attachment deleted): retried hourly
    editors: list[str] = field(default_factory=list)
    in_state: bool = False  # a pending record exists
    copy_on_docserver: bool | None = None  # None: the Document Server could not be asked

    @property
    def status(self) -> str:
        if self.refused:
            return "refused"
        if self.copy_on_docserver:
            return "ready"  # the next recovery pass (or --retry) saves it
        if self.copy_on_docserver is None:
            return "unknown"
        return "waiting"  # the Document Server holds no copy yet: still retrying its callback


def _clean(text: str) -> str:
    """Names from Confluence printed on a terminal: no control characters (escape sequences)."""
    return "".join("?" if unicodedata.category(c).startswith("C") else c for c in text)


def _when(epoch: float | None) -> str:
    if not epoch:
        return "unknown"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _open_state(settings: Settings) -> tuple[SharedState | None, str]:
    """The configured shared state, opened without creating anything; None for memory state."""
    choice = choose_state(settings.state, workers=settings.listen.worker_count)
    if choice.kind == "memory":
        return None, choice.describe()
    if settings.state.redis_url:
        return RedisState(settings.state.redis_url), choice.describe()
    assert choice.path is not None
    if not choice.path.exists():
        # Opening would create an empty file: a wrong config would then look like an empty backlog.
        hint = (
            " (the default path follows $STATE_DIRECTORY, which systemd sets for the service only: "
            "set it as the service has it, or set state.path)"
            if choice.why.startswith("default")
            else ""
        )
        raise StateUnavailable(
            f"no state file at {choice.path}: has a gateway with this config run on this host?{hint}"
        )
    return SqliteState(choice.path), choice.describe()


async def _collect(
    context: OnlyOfficeContext, state: SharedState | None, warnings: list[str]
) -> dict[str, PendingSave]:
    found: dict[str, PendingSave] = {}
    instance = str(context.public_url)
    if state is not None:
        for record_key in await state.keys("pending:"):
            key = record_key.removeprefix("pending:")
            record = await state.get(record_key) or {}
            parts = parse_key(key, instance)
            attachment = record.get("attachment") or (parts.attachment_id if parts else None)
            base = record.get("base") or (parts.version if parts else None)
            error = record.get("error") or record.get("refused")
            found[key] = PendingSave(
                key=key,
                attachment_id=attachment if isinstance(attachment, str) else None,
                base_version=base if isinstance(base, int) else None,
                since=float(record["since"]) if isinstance(record.get("since"), int | float) else None,
                attempts=int(record.get("attempts") or 0),
                last_error=str(error) if error else None,
                refused=bool(record.get("refused")),
                editors=[e for e in record.get("editors") or () if isinstance(e, str)],
                in_state=True,
            )
    try:
        copies: set[str] | None = await forgotten_list(context)
    except DocumentServerError as error:
        copies = None
        warnings.append(f"the Document Server could not be asked for the copies it keeps: {error}")
    for save in found.values():
        save.copy_on_docserver = None if copies is None else save.key in copies
    for key in sorted(copies or ()) if copies else ():
        if key not in found:
            parts = parse_key(key, instance)
            found[key] = PendingSave(
                key=key,
                attachment_id=parts.attachment_id if parts else None,
                base_version=parts.version if parts else None,
                copy_on_docserver=True,
            )
    await _name_attachments(context, found.values(), warnings)
    return dict(sorted(found.items(), key=lambda item: (item[1].since or 0, item[0])))


async def _name_attachments(context: OnlyOfficeContext, saves: Any, warnings: list[str]) -> None:
    """File and page names from Confluence (service account); the backlog often exists because
    Confluence is down, so a failure only leaves the names out."""
    for save in saves:
        if save.attachment_id is None:
            continue
        try:
            attachment = await context.confluence.attachment(save.attachment_id)
        except ConfluenceError as error:
            warnings.append(f"file names unknown: Confluence did not answer ({error})")
            return
        if attachment is not None:
            save.file_name = attachment.title
            save.page_id = attachment.page_id
            save.page_title = attachment.page_title


def _line(save: PendingSave) -> str:
    where = f"attachment {save.attachment_id or '?'}"
    if save.file_name:
        where += f" {_clean(save.file_name)!r}"
    if save.page_id:
        where += f" on page {save.page_id}"
        if save.page_title:
            where += f" {_clean(save.page_title)!r}"
    parts = [
        save.key,
        save.status,
        where,
        f"from version {save.base_version if save.base_version is not None else '?'}",
        f"since {_when(save.since)}",
        f"attempts {save.attempts}",
    ]
    if save.editors:
        parts.append("editors " + ", ".join(_clean(e) for e in save.editors))
    if save.last_error:
        parts.append(f"last error: {_clean(save.last_error)}")
    return "  ".join(parts)


_STATUS_HELP = (
    "status: ready = the Document Server keeps the edited copy, saved at the next recovery pass or "
    "with --retry KEY; waiting = no copy there yet (the Document Server is still retrying its "
    "callback); refused = refused for good last time, retried hourly; unknown = the Document Server "
    "could not be asked"
)


async def _list(
    context: OnlyOfficeContext,
    state: SharedState | None,
    where: str,
    warnings: list[str],
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    saves = await _collect(context, state, warnings)
    complete = state is not None
    if as_json:
        rows = [
            {**asdict(s), "status": s.status, "since_iso": _when(s.since) if s.since else None}
            for s in saves.values()
        ]
        json.dump(
            {"state": where, "complete": complete, "warnings": warnings, "pending": rows}, out, indent=2
        )
        out.write("\n")
    else:
        for warning in warnings:
            print(f"onlyoffice-gateway pending: warning: {warning}", file=err)
        count = len(saves)
        if count:
            print(
                f"{count} save{'s' if count != 1 else ''} not yet in Confluence (state: {where}):", file=out
            )
            for save in saves.values():
                print(_line(save), file=out)
            print(_STATUS_HELP, file=out)
        elif complete:
            print(f"no saves pending (state: {where})", file=out)
        else:
            print("the Document Server keeps no edited copies of this gateway's documents", file=out)
    return EXIT_OK if complete else EXIT_PARTIAL


async def _made_versions(state: SharedState, key: str) -> list[int]:
    """The versions this document key produced (save's idempotency record), newest last."""
    made = (await state.get(made_record_key(key)) or {}).get("versions") or []
    return [v for v in made if isinstance(v, int)]


async def _retry(context: OnlyOfficeContext, state: SharedState, key: str) -> tuple[int, str, dict[str, Any]]:
    """(exit code, message, details) of retrying `key` now, under the recovery loop's lock."""
    try:
        copies: set[str] | None = await forgotten_list(context)
    except DocumentServerError:
        copies = None
    record = await state.get(pending_record_key(key))
    if record is None and not (copies and key in copies):
        made = await _made_versions(state, key)
        if made:  # finished already, e.g. by a recovery pass just before
            listed = ", ".join(str(v) for v in made)
            return (
                EXIT_OK,
                f"{key}: not pending: already saved (version {listed})",
                {"done": True, "version": made[-1]},
            )
        if copies is None:
            return (
                EXIT_FAILED,
                f"unknown key {key}: no pending record, and the Document Server could not be asked",
                {},
            )
        return EXIT_FAILED, f"unknown key {key}: not pending (see `onlyoffice-gateway pending`)", {}
    try:
        async with state.lock(_RECOVERY_LOCK, ttl=_LOCK_TTL, wait=_LOCK_WAIT, renew=True):
            # A recovery pass may have finished it while we waited for the lock.
            record = await state.get(pending_record_key(key))
            in_copies = bool(copies and key in copies)
            if record is None and in_copies:
                with contextlib.suppress(DocumentServerError):
                    in_copies = key in await forgotten_list(context)
            if record is None and not in_copies:
                made = await _made_versions(state, key)
                listed = ", ".join(str(v) for v in made) or "?"
                return EXIT_OK, f"{key}: not pending: already saved (version {listed})", {"done": True}
            outcome = await recover_save(context, key, record or {}, in_copies)
    except LockTimeout:
        return EXIT_FAILED, f"{key}: a recovery pass held the lock for {_LOCK_WAIT:.0f} s; try again", {}
    details = {"done": outcome.done, "version": outcome.version, "detail": outcome.detail}
    if outcome.done:
        return EXIT_OK, f"{key}: saved as version {outcome.version}", details
    return EXIT_FAILED, f"{key}: not saved: {outcome.detail}", details


async def run_pending(
    settings: Settings,
    *,
    retry: str | None = None,
    as_json: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """List the backlog (or retry one save); the exit code is what scripts test."""
    stream, errors = out or sys.stdout, err or sys.stderr
    # What recovery logs, this command reports itself (once, with the outcome).
    logging.getLogger("gateway").setLevel(logging.ERROR)
    try:
        state, where = _open_state(settings)
    except StateUnavailable as error:
        print(f"onlyoffice-gateway pending: cannot read the pending saves: {error}", file=errors)
        return EXIT_FAILED
    warnings: list[str] = []
    if state is None:
        warnings.append(
            "the shared state is in memory (one worker, no state.path or state.redis_url): the pending "
            "records live inside the running gateway process and cannot be read from here. Listed: only "
            "the edited copies the Document Server keeps. Set state.path (or state.redis_url) to make "
            "the backlog readable and durable."
        )
        if retry is not None:
            print(
                f"onlyoffice-gateway pending: cannot retry {retry}: {warnings[0]} A retry from here could not "
                "share the running gateway's locks; it retries by itself every "
                f"{settings.documentserver.recovery_interval:g} s.",
                file=errors,
            )
            return EXIT_FAILED
    session = create_upstream_session(settings)
    context = build_context(
        settings,
        LiveSettings(settings),
        session,
        _NoState() if state is None else state,
        SaveMetrics(CollectorRegistry()),
    )
    try:
        if state is not None and not await state.ping():
            raise StateUnavailable(f"{where} does not answer")
        if retry is None:
            return await _list(context, state, where, warnings, as_json, stream, errors)
        assert state is not None  # memory state refused a retry above
        code, message, details = await _retry(context, state, retry)
        if as_json:
            json.dump({"key": retry, "state": where, "message": message, **details}, stream, indent=2)
            stream.write("\n")
        else:
            print(message, file=stream if code == EXIT_OK else errors)
        return code
    except StateUnavailable as error:
        print(f"onlyoffice-gateway pending: cannot read the pending saves: {error}", file=errors)
        return EXIT_FAILED
    finally:
        await context.docserver_fetch_session.close()
        await session.close()
        if state is not None:
            await state.close()


class _NoState:
    """Stands in for memory state, which only the running gateway holds: every use is an error."""

    async def get(self, key: str) -> dict[str, Any] | None:
        raise StateUnavailable("the state is in the running gateway's memory")

    async def put(self, key: str, value: dict[str, Any], ttl: float | None = None) -> None:
        raise StateUnavailable("the state is in the running gateway's memory")

    async def put_if_absent(self, key: str, value: dict[str, Any], ttl: float | None = None) -> bool:
        raise StateUnavailable("the state is in the running gateway's memory")

    async def delete(self, key: str) -> None:
        raise StateUnavailable("the state is in the running gateway's memory")

    async def keys(self, prefix: str) -> list[str]:
        raise StateUnavailable("the state is in the running gateway's memory")

    def lock(self, name: str, *, ttl: float, wait: float, renew: bool = False) -> Any:
        raise StateUnavailable("the state is in the running gateway's memory")

    async def ping(self) -> bool:
        return False

    async def close(self) -> None:
        return None
