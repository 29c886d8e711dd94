"""Shared state behaves the same in memory, in a SQLite file and in a real Redis."""

from __future__ import annotations

import asyncio

import pytest

from gateway.state import LockTimeout, SharedState


@pytest.fixture
def state(state_backend: SharedState) -> SharedState:
    return state_backend


async def test_put_get_delete(state: SharedState) -> None:
    assert await state.get("a") is None
    await state.put("a", {"v": 1})
    assert await state.get("a") == {"v": 1}
    await state.delete("a")
    assert await state.get("a") is None


async def test_put_if_absent_is_first_writer_wins(state: SharedState) -> None:
    assert await state.put_if_absent("once", {"who": 1})
    assert not await state.put_if_absent("once", {"who": 2})
    assert await state.get("once") == {"who": 1}


async def test_expiry(state: SharedState) -> None:
    await state.put("short", {"v": 1}, ttl=1.0)  # room for a stalled loop between put and get
    assert await state.get("short") == {"v": 1}
    await asyncio.sleep(1.3)
    assert await state.get("short") is None
    assert await state.put_if_absent("short", {"v": 2})


async def test_keys_by_prefix(state: SharedState) -> None:
    await state.put("pending:1", {})
    await state.put("pending:2", {})
    await state.put("other:1", {})
    assert sorted(await state.keys("pending:")) == ["pending:1", "pending:2"]


async def test_lock_excludes_and_times_out(state: SharedState) -> None:
    order: list[str] = []

    async def holder(name: str) -> None:
        async with state.lock("doc", ttl=5, wait=5):
            order.append(f"{name} in")
            await asyncio.sleep(0.1)
            order.append(f"{name} out")

    await asyncio.gather(holder("a"), holder("b"))
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
    async with state.lock("doc", ttl=5, wait=1):
        with pytest.raises(LockTimeout):
            async with state.lock("doc", ttl=5, wait=0.2):
                pass


async def test_an_abandoned_lock_expires(state: SharedState) -> None:
    manager = state.lock("dead", ttl=0.2, wait=0)
    await manager.__aenter__()  # a replica that dies holding the lock never releases it
    async with state.lock("dead", ttl=5, wait=2):
        # The late release of the expired holder must not free the new holder's lock.
        await manager.__aexit__(None, None, None)
        with pytest.raises(LockTimeout):
            async with state.lock("dead", ttl=5, wait=0.1):
                pass
