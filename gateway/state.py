"""Small shared state: locks, idempotency records, pending saves, open editing sessions.

Replicas are stateless; what must be shared lives here. In memory by default (one replica), in
Redis when `state.redis_url` is set (several replicas: a callback can land on any of them). Values
are small JSON objects with optional expiry. Locks expire after `ttl`; with `renew` they are kept
alive while their holder works, so a long save is never overtaken and a replica that dies while
holding one blocks a document for `ttl` only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol

from gateway.tasks import cancel_and_wait

__all__ = ["LockTimeout", "MemoryState", "RedisState", "SharedState", "StateUnavailable", "create_state"]


class LockTimeout(Exception):
    """Another holder kept the lock longer than we were willing to wait."""


class StateUnavailable(Exception):
    """The shared state cannot be reached right now (Redis down): worth a retry later."""


class SharedState(Protocol):
    async def get(self, key: str) -> dict[str, Any] | None: ...
    async def put(self, key: str, value: dict[str, Any], ttl: float | None = None) -> None: ...
    async def put_if_absent(self, key: str, value: dict[str, Any], ttl: float | None = None) -> bool: ...
    async def delete(self, key: str) -> None: ...
    async def keys(self, prefix: str) -> list[str]: ...
    def lock(
        self, name: str, *, ttl: float, wait: float, renew: bool = False
    ) -> contextlib.AbstractAsyncContextManager[None]: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class MemoryState:
    """One process's state; enough for a single replica (and for tests)."""

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

    @contextlib.asynccontextmanager
    async def lock(self, name: str, *, ttl: float, wait: float, renew: bool = False) -> AsyncIterator[None]:
        """Hold `name`; with `renew`, kept alive while held (a dead holder frees it after `ttl`)."""
        token = secrets.token_hex(8)
        deadline = time.monotonic() + wait
        while True:
            now = time.monotonic()
            held = self._locks.get(name)
            if held is None or held[0] <= now:
                self._locks[name] = (now + ttl, token)
                break
            if now >= deadline:
                raise LockTimeout(name)
            await asyncio.sleep(0.05)
        keeper = asyncio.get_running_loop().create_task(self._keep(name, token, ttl)) if renew else None
        try:
            yield
        finally:
            try:
                await cancel_and_wait(keeper)
            finally:  # released also when the holder is being cancelled
                if self._locks.get(name, (0.0, ""))[1] == token:
                    del self._locks[name]

    async def _keep(self, name: str, token: str, ttl: float) -> None:
        """Renew the lock while its holder works, so a long save is never overtaken."""
        while True:
            await asyncio.sleep(ttl / 3)
            if self._locks.get(name, (0.0, ""))[1] != token:
                return
            self._locks[name] = (time.monotonic() + ttl, token)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_EXTEND = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"


class RedisState:
    """Shared by every replica through one Redis; keys are namespaced by `prefix`.

    Redis failures surface as `StateUnavailable`, so callers can answer "try again" (a callback
    gets 503 and the Document Server retries) instead of failing with an unexpected error.
    """

    def __init__(self, url: str, prefix: str = "onlyoffice-gateway:") -> None:
        import redis.asyncio as redis  # optional dependency: only needed with several replicas
        from redis.exceptions import RedisError

        self._redis = redis.from_url(url, decode_responses=True)
        self._prefix = prefix
        self._errors: tuple[type[BaseException], ...] = (RedisError, OSError)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except self._errors as error:
            raise StateUnavailable(f"shared state (Redis) unavailable: {type(error).__name__}") from error

    async def get(self, key: str) -> dict[str, Any] | None:
        with self._guard():
            value = await self._redis.get(self._prefix + key)
        return json.loads(value) if value is not None else None

    async def put(self, key: str, value: dict[str, Any], ttl: float | None = None) -> None:
        with self._guard():
            await self._redis.set(self._prefix + key, json.dumps(value), px=int(ttl * 1000) if ttl else None)

    async def put_if_absent(self, key: str, value: dict[str, Any], ttl: float | None = None) -> bool:
        with self._guard():
            done = await self._redis.set(
                self._prefix + key, json.dumps(value), nx=True, px=int(ttl * 1000) if ttl else None
            )
        return bool(done)

    async def delete(self, key: str) -> None:
        with self._guard():
            await self._redis.delete(self._prefix + key)

    async def keys(self, prefix: str) -> list[str]:
        with self._guard():
            found = [key async for key in self._redis.scan_iter(match=self._prefix + prefix + "*", count=500)]
        return [key[len(self._prefix) :] for key in found]

    @contextlib.asynccontextmanager
    async def lock(self, name: str, *, ttl: float, wait: float, renew: bool = False) -> AsyncIterator[None]:
        """Hold `name`; with `renew`, kept alive while held (a dead holder frees it after `ttl`)."""
        key = self._prefix + "lock:" + name
        token = secrets.token_hex(16)
        deadline = time.monotonic() + wait
        with self._guard():
            while not await self._redis.set(key, token, nx=True, px=int(ttl * 1000)):
                if time.monotonic() >= deadline:
                    raise LockTimeout(name)
                await asyncio.sleep(0.05)
        keeper = asyncio.get_running_loop().create_task(self._keep(key, token, ttl)) if renew else None
        try:
            yield
        finally:
            try:
                await cancel_and_wait(keeper)
            finally:  # released also when the holder is being cancelled
                # On failure the lock expires after `ttl`; masking the body's own outcome would be worse.
                with contextlib.suppress(*self._errors):
                    await self._redis.eval(_RELEASE, 1, key, token)  # type: ignore[no-untyped-call,unused-ignore]

    async def _keep(self, key: str, token: str, ttl: float) -> None:
        """Renew the lock while its holder lives: a replica that dies lets it go after `ttl`."""
        while True:
            await asyncio.sleep(ttl / 3)
            with contextlib.suppress(*self._errors):
                kept = await self._redis.eval(_EXTEND, 1, key, token, int(ttl * 1000))  # type: ignore[no-untyped-call,unused-ignore]
                if not kept:
                    return

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())  # type: ignore[misc,unused-ignore]
        except Exception:
            return False

    async def close(self) -> None:
        await self._redis.aclose()


def create_state(redis_url: str | None) -> SharedState:
    return RedisState(redis_url) if redis_url else MemoryState()
