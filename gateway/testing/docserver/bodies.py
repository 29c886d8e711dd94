"""What a save posts (reference §2.1): status 2/6 bodies with fresh signed links, 3/7 when assembly fails."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..documents import DocumentError, convert_document
from .cache import CacheFiles
from .models import Participant, Session, changes_zip, history_changes, iso_ms

__all__ = ["assemble", "corrupted_body", "output_type", "save_body"]

_LEGACY_TO_OOXML = {"doc": "docx", "xls": "xlsx", "ppt": "pptx"}

Builder = Callable[[], dict[str, Any]]


def output_type(file_type: str) -> str:
    """The format DS assembles to: the original one (assemblyFormatAsOrigin), OOXML for legacy binaries."""
    return _LEGACY_TO_OOXML.get(file_type, file_type)


def assemble(session: Session) -> tuple[str, bytes]:
    if session.corrupt_next_save:
        session.corrupt_next_save = False
        raise DocumentError("assembling the file failed (simulated)")
    target = output_type(session.file_type)
    if target == session.file_type:
        return target, session.content
    return target, convert_document(session.content, session.file_type, target)


def save_body(
    session: Session,
    cache: CacheFiles,
    version: str,
    *,
    status: int,
    forcesavetype: int | None = None,
    presser: Participant | None = None,
    userdata: str | None = None,
    leaver: str | None = None,
    notmodified: bool = False,
) -> Builder:
    """A builder: each call stores the file again under fresh signed links (retries do that too)."""
    file_type, data = assemble(session)
    changes = list(session.changes)
    from_forgotten = session.from_forgotten
    author = session.last_change_user or (presser.user_id if presser else "")

    def build() -> dict[str, Any]:
        session.save_counter += 1
        doc_id = f"{session.key}_{session.save_counter}"
        name = f"output.{file_type}"
        cache.put(doc_id, name, data)
        body: dict[str, Any] = {"key": session.key, "status": status}
        body["url"] = cache.link(session.base_url, doc_id, name)
        if from_forgotten:
            body["history"] = {}
        else:
            cache.put(doc_id, "changes.zip", changes_zip(session.key, changes))
            body["changesurl"] = cache.link(session.base_url, doc_id, "changes.zip")
            body["history"] = {"serverVersion": version, "changes": history_changes(changes)}
        body["users"] = [author]
        if status == 2:
            body["actions"] = [{"type": 0, "userid": leaver or author}]
        elif forcesavetype == 1 and presser is not None:
            body["actions"] = [{"type": 2, "userid": presser.user_id}]
        body["lastsave"] = iso_ms(session.lastsave or time.time())
        if status == 2:
            body["notmodified"] = notmodified
        if forcesavetype is not None:
            body["forcesavetype"] = forcesavetype
        if userdata is not None:
            body["userdata"] = userdata
        body["filetype"] = file_type
        return body

    return build


def corrupted_body(
    session: Session,
    status: int,
    *,
    forcesavetype: int | None = None,
    userdata: str | None = None,
    leaver: str | None = None,
) -> Builder:
    """Status 3/7: the file could not be assembled, so there is no `url`."""
    author = session.last_change_user or ""
    body: dict[str, Any] = {"key": session.key, "status": status, "users": [author]}
    if status == 3:
        body["actions"] = [{"type": 0, "userid": leaver or author}]
    if forcesavetype is not None:
        body["forcesavetype"] = forcesavetype
    if userdata is not None:
        body["userdata"] = userdata
    return lambda: dict(body)
