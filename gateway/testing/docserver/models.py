"""The co-editing session of one document key, its participants and their edits."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["Change", "Participant", "Session", "changes_zip", "history_changes", "iso_ms", "utc_seconds"]


@dataclass
class Participant:
    """One editor connection (a browser iframe, or a test acting as one)."""

    connection: str
    key: str
    user_id: str
    user_name: str
    mode: str
    callback_url: str | None
    base_url: str
    forcesave_button: bool
    browser: bool
    messages: list[dict[str, Any]] = field(default_factory=list)
    # Set whenever the session (or this connection) changes: the editor's socket pushes the new state.
    changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False, compare=False)

    @property
    def editing(self) -> bool:
        return self.mode == "edit"


@dataclass
class Change:
    """One text edit; runs of changes by the same author become one `history.changes` entry."""

    user_id: str
    user_name: str
    created: float
    text: str


@dataclass
class Session:
    """DS's per-key editing state: the assembled content, the change log, who is connected."""

    key: str
    file_type: str
    title: str
    url: str
    content: bytes
    text: str
    changes: list[Change] = field(default_factory=list)
    forcesaved: int = 0
    participants: dict[str, Participant] = field(default_factory=dict)
    callback_url: str | None = None
    base_url: str = ""
    last_change_user: str | None = None
    from_forgotten: bool = False
    lastsave: float | None = None
    save_counter: int = 0
    save_task: asyncio.Task[None] | None = None
    saving: bool = False
    corrupt_next_save: bool = False

    def editors(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.editing]

    def editor_ids(self) -> list[str]:
        seen: list[str] = []
        for p in self.editors():
            if p.user_id not in seen:
                seen.append(p.user_id)
        return seen

    def has_changes(self) -> bool:
        return bool(self.changes) or self.from_forgotten

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "file_type": self.file_type,
            "title": self.title,
            "url": self.url,
            "text": self.text,
            "changes": [vars(c) for c in self.changes],
            "forcesaved": self.forcesaved,
            "callback_url": self.callback_url,
            "base_url": self.base_url,
            "last_change_user": self.last_change_user,
            "from_forgotten": self.from_forgotten,
            "lastsave": self.lastsave,
            "save_counter": self.save_counter,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], content: bytes) -> Session:
        return cls(
            key=data["key"],
            file_type=data["file_type"],
            title=data["title"],
            url=data["url"],
            content=content,
            text=data.get("text", ""),
            changes=[Change(**c) for c in data.get("changes", [])],
            forcesaved=int(data.get("forcesaved", 0)),
            callback_url=data.get("callback_url"),
            base_url=data.get("base_url", ""),
            last_change_user=data.get("last_change_user"),
            from_forgotten=bool(data.get("from_forgotten")),
            lastsave=data.get("lastsave"),
            save_counter=int(data.get("save_counter", 0)),
        )


def utc_seconds(ts: float) -> str:
    """`history.changes[].created`: "YYYY-MM-DD HH:MM:SS" in UTC."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def iso_ms(ts: float) -> str:
    """`lastsave`: ISO 8601 with milliseconds and `Z`, as JavaScript's toISOString()."""
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def history_changes(changes: list[Change]) -> list[dict[str, Any]]:
    """One entry per run of consecutive changes by the same author."""
    runs: list[dict[str, Any]] = []
    previous: str | None = None
    for change in changes:
        if change.user_id != previous:
            runs.append(
                {
                    "created": utc_seconds(change.created),
                    "user": {"id": change.user_id, "name": change.user_name},
                }
            )
            previous = change.user_id
        else:
            runs[-1]["created"] = utc_seconds(change.created)
    return runs


def changes_zip(key: str, changes: list[Change]) -> bytes:
    """A real zip standing in for DS's opaque `changes.zip` (the session's change log)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "changes0.json",
            json.dumps(
                [
                    {
                        "key": key,
                        "user": {"id": c.user_id, "name": c.user_name},
                        "created": utc_seconds(c.created),
                        "insert": c.text,
                    }
                    for c in changes
                ]
            ),
        )
    return buffer.getvalue()
