"""One process's state, in a dict: enough for a single worker (and for tests)."""

from __future__ import annotations

import json
import time
from typing import Any

from gateway.state.base import TokenLocks

__all__ = ["MemoryState"]


class MemoryState(TokenLocks):
    """One process's state; expiry on the monotonic clock, since nothing outlives the process."""

    _TOKEN_BYTES = 8  # one process: a short token is unique enough

    def __init__(self) -> None:
        self._values: dict[str, tuple[float | None, str]] = {}
        self._locks: dict[str, tuple[float, str]] = {}

    def _live(self, key: str) -> str | None:
        found = self._values.get(key)
        if found is None:
            return None
        expires, value = found
        if expires is not None and expires <= time.monotonic():
            del self._values[key]
            return None
        return value

    async def get(self, key: str) -> dict[str, Any] | None:
        value = self._live(key)
        return json.loads(value) if value is not None else None

    async def put(self, key: str, value: dict[str, Any], ttl: float | None = None) -> None:
        self._values[key] = (time.monotonic() + ttl if ttl else None, json.dumps(value))

    async def put_if_absent(self, key: str, value: dict[str, Any], ttl: float | None = None) -> bool:
        if self._live(key) is not None:
            return False
        await self.put(key, value, ttl)
        return True

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def keys(self, prefix: str) -> list[str]:
        return [key for key in list(self._values) if key.startswith(prefix) and self._live(key) is not None]

    async def _acquire(self, name: str, token: str, ttl: float) -> bool:
        now = time.monotonic()
        held = self._locks.get(name)
        if held is not None and held[0] > now:
            return False
        self._locks[name] = (now + ttl, token)
        return True

    async def _extend(self, name: str, token: str, ttl: float) -> bool:
        if self._locks.get(name, (0.0, ""))[1] != token:
            return False
        self._locks[name] = (time.monotonic() + ttl, token)
        return True

    async def _release(self, name: str, token: str) -> None:
        if self._locks.get(name, (0.0, ""))[1] == token:
            del self._locks[name]

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
