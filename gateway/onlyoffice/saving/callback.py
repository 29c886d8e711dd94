"""`POST .../onlyoffice/callback?token=...`: what the Document Server reports about a document.

Verification first, then nothing but signed claims (protocol sections 2 and 3):
1. the link token in the URL (signed by the gateway when the editor opened): which attachment,
   which key, which user;
2. the Document Server's JWT (body `token` preferred, header accepted): the callback itself; the
   unsigned JSON beside it is ignored;
3. the signed `key` must be the link's key, so a token for one document cannot save another.
Then the answer the protocol needs: `{"error":0}` only once an edit is safe; HTTP 503 for failures
that may pass, so the Document Server retries (status 2 and 3 only); `{"error":1}` for refusals.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from aiohttp import web

from gateway.docserver.jwt import JwtError, read_signed_request
from gateway.onlyoffice.client_input import BadBody, JsonLimits, read_json_object
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT, OnlyOfficeContext
from gateway.onlyoffice.saving.save import SaveFailed, SaveJob, save_edit, session_record_key
from gateway.onlyoffice.signed_links import LinkClaims, read_link_token
from gateway.state import LockTimeout, StateUnavailable

__all__ = ["PENDING_TTL", "callback", "editor_names", "pending_record_key"]

log = logging.getLogger(__name__)
_SESSION_TTL = 7 * 24 * 3600.0
PENDING_TTL = 30 * 24 * 3600.0  # how long an unfinished save is kept for recovery and admins


def pending_record_key(key: str) -> str:
    return f"pending:{key}"


def _pending_record(claims: LinkClaims, editors: tuple[str, ...]) -> dict[str, Any]:
    """What recovery needs to finish a save later: which attachment, from which version, by whom."""
    return {
        "attachment": claims.attachment_id,
        "base": claims.version or 0,
        "editors": list(editors),
        "since": time.time(),
    }


def _answer(error: int, status: int = 200) -> web.Response:
    return web.json_response({"error": error}, status=status)


def editor_names(payload: dict[str, Any]) -> tuple[str, ...]:
    """Names of everyone who changed the document, in order, from the signed `history`."""
    names: list[str] = []
    history = payload.get("history")
    changes = history.get("changes") if isinstance(history, dict) else None
    for change in changes if isinstance(changes, list) else ():
        user = change.get("user") if isinstance(change, dict) else None
        name = user.get("name") if isinstance(user, dict) else None
        if isinstance(name, str) and name and name not in names:
            names.append(name)
    return tuple(names)


def _user_ids(payload: dict[str, Any]) -> list[str]:
    """The signed `users` (a list of ids, §2.1); anything else counts as none, never as a crash."""
    users = payload.get("users")
    return [user for user in users if isinstance(user, str)] if isinstance(users, list) else []


async def _names(context: OnlyOfficeContext, payload: dict[str, Any]) -> tuple[str, ...]:
    names = editor_names(payload)
    if names:
        return names
    resolved: list[str] = []
    for user_key in _user_ids(payload):
        name = await context.confluence.display_name(user_key)
        if name and name not in resolved:
            resolved.append(name)
    return tuple(resolved)


async def _track(context: OnlyOfficeContext, claims: LinkClaims, payload: dict[str, Any]) -> None:
    """Status 1: the session exists; remember its key so later openers join it after force saves."""
    record_key = session_record_key(claims.attachment_id)
    record = await context.state.get(record_key)
    if record is not None and record.get("key") != claims.key:
        forced = [v for v in record.get("forced") or () if isinstance(v, int)]
        if forced and (claims.version or 0) < max(forced):
            # An editor still open on an older version: the session with force saves stays the one
            # newcomers join (its key still holds their edits).
            return
        record = None
    if record is None:
        record = {"key": claims.key, "base": claims.version, "forced": []}
    record["users"] = _user_ids(payload)
    await context.state.put(record_key, record, ttl=_SESSION_TTL)


async def _closed(context: OnlyOfficeContext, claims: LinkClaims) -> None:
    """Status 4: closed without changes; the next open starts from Confluence's latest version."""
    record_key = session_record_key(claims.attachment_id)
    record = await context.state.get(record_key)
    if record is not None and record.get("key") == claims.key and not record.get("forced"):
        await context.state.delete(record_key)


async def _save(
    context: OnlyOfficeContext, claims: LinkClaims, payload: dict[str, Any], status: int
) -> web.Response:
    force = status in (6, 7)
    job = SaveJob(
        key=claims.key,
        attachment_id=claims.attachment_id,
        base_version=claims.version or 0,
        force=force,
        url=str(payload["url"]),
        filetype=payload.get("filetype") if isinstance(payload.get("filetype"), str) else None,
        editors=await _names(context, payload),
        lastsave=payload.get("lastsave") if isinstance(payload.get("lastsave"), str) else None,
        not_modified=payload.get("notmodified") is True,
    )
    kind = "force" if force else "final"
    pending = _pending_record(claims, job.editors)
    try:
        if not force:
            # Written before anything can fail: if this replica dies mid-save, recovery finds it.
            await context.state.put(pending_record_key(claims.key), pending, ttl=PENDING_TTL)
        result = await save_edit(context, job)
        if not force:
            await context.state.delete(pending_record_key(claims.key))
    except (SaveFailed, LockTimeout, StateUnavailable) as error:
        transient = not isinstance(error, SaveFailed) or error.transient
        log.log(
            logging.WARNING if transient or force else logging.ERROR,
            "save of attachment %s (key %s, status %s) failed%s: %s",
            claims.attachment_id,
            claims.key,
            status,
            " (will retry)" if transient else "",
            error,
        )
        context.metrics.saves.labels(kind, "retry" if transient else "refused").inc()
        if force:
            return _answer(1)  # not retried by the Document Server; the final save still follows
        if transient:
            return _answer(1, status=503)
        # Refused for good: the Document Server keeps the file as "forgotten"; recovery and admins see it.
        refused = {**pending, "refused": str(error), "attempted": time.time()}
        with contextlib.suppress(StateUnavailable):
            await context.state.put(pending_record_key(claims.key), refused, ttl=PENDING_TTL)
        return _answer(1)
    context.metrics.saves.labels(kind, "already" if result.already_saved else "ok").inc()
    log.info(
        "saved attachment %s as version %s (key %s, status %s%s)",
        claims.attachment_id,
        result.version,
        claims.key,
        status,
        ", replay" if result.already_saved else "",
    )
    return _answer(0)


async def callback(request: web.Request) -> web.Response:
    context = request.config_dict[ONLYOFFICE_CONTEXT]
    try:
        claims = read_link_token(
            request.query.get("token", ""), context.accepted_link_secrets, action="callback"
        )
    except JwtError as error:
        log.warning("callback refused: link token: %s", error)
        context.metrics.callbacks.labels("unknown", "refused").inc()
        return _answer(1, status=403)
    limits = JsonLimits.for_callbacks(context.settings.proxy)
    try:
        body = await read_json_object(request, limits, route="callback", from_docserver=True)
    except BadBody as refusal:
        context.metrics.callbacks.labels("unknown", "refused").inc()
        return web.json_response({"error": 1, "message": refusal.message}, status=refusal.status)
    header = context.settings.documentserver.jwt.header
    try:
        payload = read_signed_request(
            body, request.headers, secret=context.accepted_jwt_secrets, header_name=header
        )
    except JwtError as error:
        log.warning("callback for attachment %s refused: %s", claims.attachment_id, error)
        context.metrics.callbacks.labels("unknown", "refused").inc()
        return _answer(1, status=403)
    status = payload.get("status")
    if payload.get("key") != claims.key or not isinstance(status, int):
        log.warning("callback for attachment %s refused: signed for another document", claims.attachment_id)
        context.metrics.callbacks.labels(str(status), "refused").inc()
        return _answer(1, status=403)
    context.metrics.callbacks.labels(str(status), "received").inc()
    try:
        if status == 1:
            await _track(context, claims, payload)
            return _answer(0)
        if status == 4:
            await _closed(context, claims)
            return _answer(0)
    except StateUnavailable as error:
        # Bookkeeping only: an error answer would show editors a "could not be saved" warning.
        log.warning(
            "callback status %s for attachment %s not recorded: %s", status, claims.attachment_id, error
        )
        return _answer(0)
    if status in (3, 7):
        context.metrics.document_errors.labels(str(status)).inc()
        log.error(
            "the Document Server could not assemble attachment %s (status %s)", claims.attachment_id, status
        )
    if status in (2, 3, 6, 7):
        if not isinstance(payload.get("url"), str):
            if status == 3:
                # No file to save, but refusing keeps the edits on the Document Server as a
                # forgotten file (reopened by the same key, or finished by recovery); `0` drops them.
                with contextlib.suppress(StateUnavailable):  # the key alone leads recovery back
                    await context.state.put(
                        pending_record_key(claims.key),
                        _pending_record(claims, await _names(context, payload)),
                        ttl=PENDING_TTL,
                    )
                return _answer(1)
            return _answer(0)  # a failed force save: the session and its final save go on
        return await _save(context, claims, payload, status)
    log.warning("callback for attachment %s with unknown status %r", claims.attachment_id, status)
    return _answer(1, status=400)
