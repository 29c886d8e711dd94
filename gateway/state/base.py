"""What every state backend shares: the protocol, its two errors, and how a lock is held.

Each backend only says how to take, extend and release one lock atomically; waiting, renewing
while held and releasing also on cancellation are the same everywhere, so they live here once.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from gateway.tasks import cancel_and_wait

__all__ = ["LockTimeout", "SharedState", "StateUnavailable", "TokenLocks", "hold_lock"]

_POLL_SECONDS = 0.05


class LockTimeout(Exception):
    """Another holder kept the lock longer than we were willing to wait."""


class StateUnavailable(Exception):
    """The shared state cannot be reached right now (Redis down, SQLite file unusable): retry later."""


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


class TokenLocks:
    """`lock()` for a backend that only says how to take, extend and release one lock by token."""

    _TOKEN_BYTES = 16

    def lock(
        self, name: str, *, ttl: float, wait: float, renew: bool = False
    ) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold `name`; with `renew`, kept alive while held (a dead holder frees it after `ttl`)."""
        token = secrets.token_hex(self._TOKEN_BYTES)
        return hold_lock(
            name,
            ttl=ttl,
            wait=wait,
            renew=renew,
            acquire=lambda: self._acquire(name, token, ttl),
            extend=lambda: self._extend(name, token, ttl),
            release=lambda: self._release(name, token),
        )

    async def _acquire(self, name: str, token: str, ttl: float) -> bool:
        raise NotImplementedError

    async def _extend(self, name: str, token: str, ttl: float) -> bool:
        raise NotImplementedError

    async def _release(self, name: str, token: str) -> None:
        raise NotImplementedError


@contextlib.asynccontextmanager
async def hold_lock(
    name: str,
    *,
    ttl: float,
    wait: float,
    renew: bool,
    acquire: Callable[[], Awaitable[bool]],
    extend: Callable[[], Awaitable[bool]],
    release: Callable[[], Awaitable[None]],
) -> AsyncIterator[None]:
    """Hold `name` via the backend's token-checked `acquire`/`extend`/`release`.

    With `renew`, the lock is extended every ttl/3 while held, so a long save is never overtaken,
    and a holder that dies lets it go after `ttl`. `release` and `extend` only touch the lock while it
    carries this holder's token: a late release by an expired holder never frees the next one's.
    """
    deadline = time.monotonic() + wait
    try:
        while not await acquire():
            if time.monotonic() >= deadline:
                raise LockTimeout(name)
            await asyncio.sleep(_POLL_SECONDS)
    except asyncio.CancelledError:
        # An acquire that ran to its end after all (in a thread, in Redis) must not keep the lock.
        with contextlib.suppress(StateUnavailable):
            await release()
        raise
    keeper = asyncio.get_running_loop().create_task(_keep(extend, ttl)) if renew else None
    try:
        yield
    finally:
        try:
            await cancel_and_wait(keeper)
        finally:  # released also when the holder is being cancelled
            # On failure the lock expires after `ttl`; masking the body's own outcome would be worse.
            with contextlib.suppress(StateUnavailable):
                await release()


async def _keep(extend: Callable[[], Awaitable[bool]], ttl: float) -> None:
    """Extend the lock while its holder works; stop once it is no longer ours."""
    while True:
        await asyncio.sleep(ttl / 3)
        try:
            if not await extend():
                return
        except StateUnavailable:
            continue  # a passing outage: try again before the ttl runs out
