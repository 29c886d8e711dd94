"""State in one Redis, shared by every replica on every host."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from gateway.state.base import StateUnavailable, TokenLocks

__all__ = ["RedisState"]

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_EXTEND = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"


class RedisState(TokenLocks):
    """Shared by every replica through one Redis; keys are namespaced by `prefix`.

    Redis failures surface as `StateUnavailable`, so callers can answer "try again" (a callback
    gets 503 and the Document Server retries) instead of failing with an unexpected error.
    """

    def __init__(self, url: str, prefix: str = "onlyoffice-gateway:") -> None:
        import redis.asyncio as redis  # optional dependency: only needed with several hosts
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

    def _lock_key(self, name: str) -> str:
        return self._prefix + "lock:" + name

    async def _acquire(self, name: str, token: str, ttl: float) -> bool:
        with self._guard():
            return bool(await self._redis.set(self._lock_key(name), token, nx=True, px=int(ttl * 1000)))

    async def _extend(self, name: str, token: str, ttl: float) -> bool:
        with self._guard():
            return bool(await self._redis.eval(_EXTEND, 1, self._lock_key(name), token, int(ttl * 1000)))  # type: ignore[no-untyped-call,unused-ignore]

    async def _release(self, name: str, token: str) -> None:
        with self._guard():
            await self._redis.eval(_RELEASE, 1, self._lock_key(name), token)  # type: ignore[no-untyped-call,unused-ignore]

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())  # type: ignore[misc,unused-ignore]
        except Exception:
            return False

    async def close(self) -> None:
        await self._redis.aclose()
