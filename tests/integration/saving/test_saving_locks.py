"""The per-attachment save lock: renewed while a save runs, released by time when its holder died."""

from __future__ import annotations

import asyncio
import time

import pytest

from gateway.state import LockTimeout, RedisState, SharedState


@pytest.fixture
def state(state_backend: SharedState) -> SharedState:
    return state_backend


async def test_a_save_longer_than_the_lock_ttl_is_not_overtaken(state: SharedState) -> None:
    held = asyncio.Event()

    async def long_save() -> None:
        # The ttl leaves room for a stalled event loop on a busy machine (renewal runs every ttl/3).
        async with state.lock("attachment:1", ttl=1.0, wait=1.0, renew=True):
            held.set()
            await asyncio.sleep(3.5)  # several times the ttl

    holder = asyncio.create_task(long_save())
    await held.wait()
    with pytest.raises(LockTimeout):
        async with state.lock("attachment:1", ttl=1.0, wait=2.5):
            pass
    await holder
    async with state.lock("attachment:1", ttl=1.0, wait=0.0):  # released at once when done
        pass


async def test_a_lock_left_by_a_dead_replica_expires(redis_url: str) -> None:
    import redis.asyncio as redis

    prefix = f"locktest-{time.monotonic_ns()}:"
    shared = RedisState(redis_url, prefix=prefix)
    client = redis.from_url(redis_url)
    try:
        # What a replica that died mid-save leaves behind: its token, no one renewing it.
        await client.set(prefix + "lock:attachment:7", "dead-replica", px=400)
        started = time.monotonic()
        async with shared.lock("attachment:7", ttl=0.3, wait=3.0, renew=True):
            waited = time.monotonic() - started
        assert 0.2 < waited < 3.0
    finally:
        await client.aclose()
        await shared.close()
