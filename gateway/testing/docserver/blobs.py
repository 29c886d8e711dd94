"""Where the simulator keeps file bytes: in memory, or under `data_dir` so they survive a restart."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["BlobStore"]

_SAFE = re.compile(r"[^0-9A-Za-z._=-]")


class BlobStore:
    """A flat name -> bytes store; names are sanitised so they can never escape `data_dir`."""

    def __init__(self, root: Path | None) -> None:
        self._root = root / "blobs" if root is not None else None
        self._memory: dict[str, bytes] = {}
        if self._root is not None:
            self._root.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _name(name: str) -> str:
        return _SAFE.sub("_", name.replace("/", "__"))

    def put(self, name: str, data: bytes) -> None:
        safe = self._name(name)
        self._memory[safe] = data
        if self._root is not None:
            tmp = self._root / (safe + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(self._root / safe)

    def get(self, name: str) -> bytes | None:
        safe = self._name(name)
        if safe in self._memory:
            return self._memory[safe]
        if self._root is not None:
            path = self._root / safe
            if path.is_file():
                data = path.read_bytes()
                self._memory[safe] = data
                return data
        return None

    def delete(self, name: str) -> None:
        safe = self._name(name)
        self._memory.pop(safe, None)
        if self._root is not None:
            (self._root / safe).unlink(missing_ok=True)
