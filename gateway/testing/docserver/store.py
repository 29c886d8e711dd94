"""What DS remembers per key beyond a live session: the downloaded copy, forgotten files, UpdateVersion.

Kept in memory, and mirrored to `data_dir` (JSON index + blobs) when one is given, so a restarted
simulator still serves the cached copy, the forgotten files and any unsaved session.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .blobs import BlobStore

__all__ = ["UPDATE_VERSION_SECONDS", "CachedDocument", "DocStore", "ForgottenFile"]

UPDATE_VERSION_SECONDS = 300.0


@dataclass
class CachedDocument:
    key: str
    file_type: str
    title: str
    url: str
    callback_url: str | None = None


@dataclass
class ForgottenFile:
    key: str
    file_type: str
    title: str
    created: float


@dataclass
class DocStore:
    """Per-key memory of the simulated DS (the `doc_changes`/`task_result` tables and the cache)."""

    blobs: BlobStore
    data_dir: Path | None = None
    documents: dict[str, CachedDocument] = field(default_factory=dict)
    forgotten: dict[str, ForgottenFile] = field(default_factory=dict)
    update_version: dict[str, float] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)

    # -- cached downloads -------------------------------------------------------------------
    def put_document(self, doc: CachedDocument, data: bytes) -> None:
        self.documents[doc.key] = doc
        self.blobs.put(f"doc/{doc.key}", data)
        self.save()

    def get_document(self, key: str) -> tuple[CachedDocument, bytes] | None:
        doc = self.documents.get(key)
        data = self.blobs.get(f"doc/{key}") if doc else None
        if doc is None or data is None:
            return None
        return doc, data

    def drop_document(self, key: str) -> None:
        self.documents.pop(key, None)
        self.blobs.delete(f"doc/{key}")
        self.save()

    # -- forgotten files --------------------------------------------------------------------
    def put_forgotten(self, entry: ForgottenFile, data: bytes) -> None:
        self.forgotten[entry.key] = entry
        self.blobs.put(f"forgotten/{entry.key}", data)
        self.save()

    def get_forgotten(self, key: str) -> tuple[ForgottenFile, bytes] | None:
        entry = self.forgotten.get(key)
        data = self.blobs.get(f"forgotten/{key}") if entry else None
        if entry is None or data is None:
            return None
        return entry, data

    def delete_forgotten(self, key: str) -> bool:
        found = self.forgotten.pop(key, None) is not None
        self.blobs.delete(f"forgotten/{key}")
        self.save()
        return found

    # -- UpdateVersion (§8.2) ---------------------------------------------------------------
    def mark_update_version(self, key: str) -> None:
        self.update_version[key] = time.time()
        self.save()

    def is_update_version(self, key: str, window: float = UPDATE_VERSION_SECONDS) -> bool | None:
        """True inside the window, None when it has just expired (caller re-downloads), else False."""
        marked = self.update_version.get(key)
        if marked is None:
            return False
        if time.time() - marked < window:
            return True
        del self.update_version[key]
        self.save()
        return None

    # -- persistence ------------------------------------------------------------------------
    def _index(self) -> Path | None:
        return self.data_dir / "docserver-state.json" if self.data_dir is not None else None

    def save(self) -> None:
        index = self._index()
        if index is None:
            return
        state = {
            "documents": {k: asdict(v) for k, v in self.documents.items()},
            "forgotten": {k: asdict(v) for k, v in self.forgotten.items()},
            "update_version": self.update_version,
            "sessions": self.sessions,
        }
        tmp = index.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(index)

    def load(self) -> None:
        index = self._index()
        if index is None or not index.is_file():
            return
        state = json.loads(index.read_text())
        self.documents = {k: CachedDocument(**v) for k, v in state.get("documents", {}).items()}
        self.forgotten = {k: ForgottenFile(**v) for k, v in state.get("forgotten", {}).items()}
        self.update_version = {k: float(v) for k, v in state.get("update_version", {}).items()}
        self.sessions = dict(state.get("sessions", {}))
