"""SQLite state: one file shared by several state objects and processes, durable, honest about failures."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.state import LockTimeout, SqliteState, StateUnavailable


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "state.sqlite3"


@pytest.fixture
async def pair(path: Path) -> AsyncIterator[tuple[SqliteState, SqliteState]]:
    """Two workers of one host: two state objects on the same file."""
    first, second = SqliteState(path), SqliteState(path)
    yield first, second
    await first.close()
    await second.close()


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


async def test_two_objects_on_one_file_are_one_state(pair: tuple[SqliteState, SqliteState]) -> None:
    first, second = pair
    assert await first.put_if_absent("once", {"who": 1})
    assert not await second.put_if_absent("once", {"who": 2})
    assert await second.get("once") == {"who": 1}
    await second.put("pending:a", {"n": 1})
    assert await first.keys("pending:") == ["pending:a"]
    await first.delete("pending:a")
    assert await second.get("pending:a") is None


async def test_a_lock_excludes_the_other_object_and_a_late_release_frees_nothing(
    pair: tuple[SqliteState, SqliteState],
) -> None:
    first, second = pair
    async with first.lock("doc", ttl=30, wait=0):
        with pytest.raises(LockTimeout):
            async with second.lock("doc", ttl=30, wait=0.2):
                pass
    async with second.lock("doc", ttl=30, wait=0):  # released at once for the other one too
        pass
    expired = first.lock("dead", ttl=0.2, wait=0)
    await expired.__aenter__()  # a worker that died holding it
    async with second.lock("dead", ttl=30, wait=3):
        await expired.__aexit__(None, None, None)  # its late release must not free the new holder
        with pytest.raises(LockTimeout):
            async with first.lock("dead", ttl=30, wait=0.1):
                pass


async def test_a_renewed_lock_outlives_its_ttl_for_the_other_object(
    pair: tuple[SqliteState, SqliteState],
) -> None:
    first, second = pair
    async with first.lock("long", ttl=1.0, wait=0, renew=True):
        await asyncio.sleep(2.0)  # twice the ttl
        with pytest.raises(LockTimeout):
            async with second.lock("long", ttl=1.0, wait=0.1):
                pass


_RACER = """
import asyncio, json, sys
from gateway.state import LockTimeout, SqliteState

async def main(path, who, rounds):
    state = SqliteState(path)
    print("ready", flush=True)
    sys.stdin.readline()  # everyone starts at once
    first = await state.put_if_absent("race", {"who": who})
    try:
        async with state.lock("race", ttl=30, wait=0):
            locked = True
            await asyncio.sleep(1.0)  # the others try meanwhile
    except LockTimeout:
        locked = False
    for _ in range(rounds):  # read-modify-write under the lock: a lost update shows a broken lock
        async with state.lock("counter", ttl=30, wait=60):
            count = (await state.get("counter") or {"n": 0})["n"]
            await state.put("counter", {"n": count + 1})
    await state.close()
    print(json.dumps({"first": first, "locked": locked}), flush=True)

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
"""


async def test_processes_racing_on_one_file_have_exactly_one_winner(path: Path) -> None:
    processes, rounds = 3, 15
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, str(path), str(who), str(rounds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for who in range(processes)
    ]
    try:
        for racer in racers:
            assert racer.stdout is not None and racer.stdout.readline().strip() == "ready"
        for racer in racers:
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        results = [json.loads(racer.communicate(timeout=120)[0]) for racer in racers]
    finally:
        for racer in racers:
            racer.kill()
    assert [racer.returncode for racer in racers] == [0] * processes
    assert sum(r["first"] for r in results) == 1
    assert sum(r["locked"] for r in results) == 1
    state = SqliteState(path)
    try:
        winner = await state.get("race")
        assert winner is not None and results[winner["who"]]["first"]
        assert await state.get("counter") == {"n": processes * rounds}
    finally:
        await state.close()


async def test_records_survive_close_and_a_killed_process(path: Path) -> None:
    state = SqliteState(path)
    await state.put("pending:key-1", {"since": 1.0}, ttl=3600)
    await state.close()
    writer = (
        "import asyncio, os, sys\n"
        "from gateway.state import SqliteState\n"
        "async def main():\n"
        "    state = SqliteState(sys.argv[1])\n"
        "    await state.put('pending:key-2', {'since': 2.0}, ttl=3600)\n"
        "    os._exit(0)  # dies without closing anything, like a killed worker\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", writer, str(path)], check=True, timeout=60)
    reopened = SqliteState(path)
    try:
        assert await reopened.get("pending:key-1") == {"since": 1.0}
        assert await reopened.get("pending:key-2") == {"since": 2.0}
        assert sorted(await reopened.keys("pending:")) == ["pending:key-1", "pending:key-2"]
    finally:
        await reopened.close()


async def test_expiry_is_wall_clock_and_expired_rows_are_swept(path: Path) -> None:
    state = SqliteState(path)
    await state.put("kept", {"v": 1}, ttl=3600)
    with _raw(path) as raw:
        (expires,) = raw.execute("SELECT expires FROM entries WHERE key = 'kept'").fetchone()
        assert abs(expires - (time.time() + 3600)) < 60  # seconds since the epoch, not since boot
        # What another process wrote an hour ago with a ttl that has run out since.
        raw.execute("INSERT INTO entries VALUES ('old', '{\"v\": 0}', ?)", (time.time() - 1,))
        raw.execute("INSERT INTO locks VALUES ('dead', 'someone', ?)", (time.time() - 1,))
    assert await state.get("old") is None
    assert await state.keys("") == ["kept"]
    async with state.lock("dead", ttl=30, wait=0):  # an expired lock is free
        pass
    assert await state.put_if_absent("old", {"v": 2})
    await state.close()
    with _raw(path) as raw:
        raw.execute("INSERT INTO entries VALUES ('gone', '{}', ?)", (time.time() - 1,))
    state = SqliteState(path)  # a fresh object sweeps on its first write
    await state.put("any", {})
    await state.close()
    with _raw(path) as raw:
        assert raw.execute("SELECT key FROM entries ORDER BY key").fetchall() == [
            ("any",),
            ("kept",),
            ("old",),
        ]


async def test_file_and_directory_are_private(path: Path) -> None:
    state = SqliteState(path)
    await state.put("a", {})
    await state.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert await state.ping() is False  # closed
    with pytest.raises(StateUnavailable, match="is closed"):
        await state.get("a")


def test_a_path_that_cannot_be_opened_is_a_clear_error_at_once(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    with pytest.raises(StateUnavailable) as caught:
        SqliteState(blocker / "state.sqlite3")
    assert str(caught.value) == (
        f"shared state (SQLite file {blocker}/state.sqlite3) unavailable: Not a directory: {blocker}"
    )
    with pytest.raises(
        StateUnavailable, match=f"SQLite file {blocker}\\) unavailable: file is not a database"
    ):
        SqliteState(blocker)


async def test_a_full_disk_is_state_unavailable_naming_the_file(path: Path) -> None:
    state = SqliteState(path)
    try:
        await state.put("small", {"v": 1})
        # A full disk, simulated: this connection may not grow the file any more.
        pages = await state._run(state._read, "PRAGMA page_count")
        await state._run(state._read, f"PRAGMA max_page_count = {pages[0]}")
        with pytest.raises(StateUnavailable) as caught:
            await state.put("big", {"v": "x" * 200_000})
        assert str(caught.value) == f"shared state (SQLite file {path}) unavailable: database or disk is full"
        assert await state.get("small") == {"v": 1}  # what was there is intact and readable
    finally:
        await state.close()


async def test_locked_beyond_the_busy_timeout_is_state_unavailable_without_blocking_the_loop(
    path: Path,
) -> None:
    state = SqliteState(path, busy_timeout=0.5)
    await state.put("a", {"v": 1})
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(ticker())
    with _raw(path) as other:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock and does not let go
        try:
            with pytest.raises(StateUnavailable, match=r"unavailable: database is locked"):
                await state.put("a", {"v": 2})
            assert await state.get("a") == {"v": 1}  # readers are not blocked by a writer (WAL)
        finally:
            other.execute("ROLLBACK")
    running.cancel()
    assert ticks >= 3  # the event loop kept running while the write waited in the state's thread
    await state.put("a", {"v": 3})  # usable again once the other writer is gone
    assert await state.get("a") == {"v": 3}
    await state.close()


async def test_uses_wal_and_full_sync(path: Path) -> None:
    state = SqliteState(path)
    try:
        assert await state._run(state._read, "PRAGMA synchronous") == [
            2
        ]  # FULL: an idempotency record survives a power cut
    finally:
        await state.close()
    with _raw(path) as raw:  # the journal mode is stored in the file: every process gets WAL
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
