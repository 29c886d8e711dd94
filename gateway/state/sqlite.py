"""State in one SQLite file, shared by the worker processes of one host and kept across restarts.

Every process opens the same file. Each write is one statement (an `INSERT ... ON CONFLICT`
upsert whose condition decides who wins), so "first writer wins" and lock acquisition are atomic
across processes without holding a transaction open. WAL lets readers run beside the one writer;
`busy_timeout` makes a writer wait for another instead of failing at once.

Durability: `synchronous=FULL`. A record is written when a save is promised or done (the pending
save, the idempotency record "this callback made version N") and must survive even a power cut:
with NORMAL in WAL mode the last commits could roll back, and a replayed callback would then add a
second version. The cost is an fsync per write, and writes are few (per editor open, per save, a
lock renewal every ttl/3), never per proxied request.

Expiry uses the wall clock (time.time): the rows are shared by processes and outlive them, so a
monotonic clock (per boot) would mean nothing to a reader. Expired rows are never returned and are
swept every few minutes. The blocking `sqlite3` calls run in one dedicated thread per state object,
never on the event loop; that thread owns the connection.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import errno
import json
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from gateway.state.base import StateUnavailable, TokenLocks

__all__ = ["SqliteState", "inspect_file"]

_T = TypeVar("_T")
_SWEEP_SECONDS = 300.0
_HEADER = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS locks (name TEXT PRIMARY KEY, token TEXT NOT NULL, expires REAL NOT NULL) WITHOUT ROWID;
"""
_LIVE = "(expires IS NULL OR expires > ?)"
_PUT = "INSERT INTO entries VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires"
# Taken over only when the row there has expired: one statement, so one winner across processes.
_PUT_IF_ABSENT = (
    "INSERT INTO entries VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
    "expires = excluded.expires WHERE entries.expires IS NOT NULL AND entries.expires <= ?"
)
_ACQUIRE = (
    "INSERT INTO locks VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET token = excluded.token, "
    "expires = excluded.expires WHERE locks.expires <= ?"
)


class SqliteState(TokenLocks):
    """Shared by every process that opens `path`; errors surface as `StateUnavailable` naming it.

    The file (0600) and its directory (0700) are created when missing. The file is opened here, so
    a path that cannot be used is an error at start, not at the first save.
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 5.0) -> None:
        self.path = Path(path)
        self._busy_timeout = busy_timeout
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="state-sqlite"
        )
        self._db: sqlite3.Connection | None = None  # used in the executor's thread only
        self._closed = False
        self._swept = 0.0
        try:
            self._executor.submit(self._guarded, self._open).result()
        except BaseException:
            self._executor.shutdown(wait=False)
            raise

    def _open(self) -> None:
        if self.path.parent.exists() and not self.path.parent.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(self.path.parent))
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
        db = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
        try:
            self._prepare(db)
        except BaseException:
            db.close()
            raise
        self._db = db

    def _prepare(self, db: sqlite3.Connection) -> None:
        """WAL, FULL sync and the tables; retried while workers starting together hold the file."""
        deadline = time.monotonic() + self._busy_timeout
        while True:
            try:
                # Switching to WAL needs the file to itself and may fail at once, busy_timeout or not.
                mode = db.execute("PRAGMA journal_mode").fetchone()[0]
                if mode != "wal":
                    mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if mode != "wal":
                    raise sqlite3.OperationalError(f"cannot use WAL journal mode here (got {mode!r})")
                db.execute("PRAGMA synchronous=FULL")
                db.executescript(_SCHEMA)
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    def _guarded(self, call: Callable[..., _T], *args: Any) -> _T:
        try:
            return call(*args)
        except (sqlite3.Error, OSError) as error:
            reason = str(error)
            if isinstance(error, OSError) and error.strerror:
                named = error.filename and str(error.filename) != str(self.path)
                reason = f"{error.strerror}: {error.filename}" if named else error.strerror
            raise StateUnavailable(f"shared state (SQLite file {self.path}) unavailable: {reason}") from error

    async def _run(self, call: Callable[..., _T], *args: Any) -> _T:
        """Run one database call in this state's own thread (sqlite3 blocks, the event loop must not)."""
        if self._closed:
            raise StateUnavailable(f"shared state (SQLite file {self.path}) is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, self._guarded, call, *args)
        except RuntimeError as error:  # the executor was shut down meanwhile
            raise StateUnavailable(f"shared state (SQLite file {self.path}) is closed") from error

    def _execute(self, sql: str, *params: Any) -> sqlite3.Cursor:
        if self._db is None:
            raise sqlite3.ProgrammingError("closed")
        return self._db.execute(sql, params)

    def _write(self, sql: str, *params: Any) -> int:
        """One atomic statement; how many rows it changed. Expired rows are swept now and then."""
        changed = self._execute(sql, *params).rowcount
        now = time.time()
        if now - self._swept > _SWEEP_SECONDS:
            self._swept = now
            # Housekeeping only: the write above is done, so a busy or full file must not fail it.
            with contextlib.suppress(sqlite3.Error):
                self._execute("DELETE FROM entries WHERE expires <= ?", now)
                self._execute("DELETE FROM locks WHERE expires <= ?", now)
        return changed

    def _read(self, sql: str, *params: Any) -> list[Any]:
        return [row[0] for row in self._execute(sql, *params).fetchall()]

    async def get(self, key: str) -> dict[str, Any] | None:
        found = await self._run(
            self._read, f"SELECT value FROM entries WHERE key = ? AND {_LIVE}", key, time.time()
        )
        return json.loads(found[0]) if found else None

    async def put(self, key: str, value: dict[str, Any], ttl: float | None = None) -> None:
        await self._run(self._write, _PUT, key, json.dumps(value), _expiry(ttl))

    async def put_if_absent(self, key: str, value: dict[str, Any], ttl: float | None = None) -> bool:
        done = await self._run(self._write, _PUT_IF_ABSENT, key, json.dumps(value), _expiry(ttl), time.time())
        return done == 1

    async def delete(self, key: str) -> None:
        await self._run(self._write, "DELETE FROM entries WHERE key = ?", key)

    async def keys(self, prefix: str) -> list[str]:
        sql = f"SELECT key FROM entries WHERE substr(key, 1, ?) = ? AND {_LIVE} ORDER BY key"
        return await self._run(self._read, sql, len(prefix), prefix, time.time())

    # Locks hold across every process on this file; a dead holder frees one after its ttl.
    async def _acquire(self, name: str, token: str, ttl: float) -> bool:
        now = time.time()
        return await self._run(self._write, _ACQUIRE, name, token, now + ttl, now) == 1

    async def _extend(self, name: str, token: str, ttl: float) -> bool:
        sql = "UPDATE locks SET expires = ? WHERE name = ? AND token = ?"
        return await self._run(self._write, sql, time.time() + ttl, name, token) == 1

    async def _release(self, name: str, token: str) -> None:
        await self._run(self._write, "DELETE FROM locks WHERE name = ? AND token = ?", name, token)

    async def ping(self) -> bool:
        try:
            return await self._run(self._read, "SELECT 1") == [1]
        except StateUnavailable:
            return False

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(sqlite3.Error):
            await asyncio.get_running_loop().run_in_executor(self._executor, self._close_db)
        self._executor.shutdown(wait=False)

    def _close_db(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            db.close()


def _expiry(ttl: float | None) -> float | None:
    return time.time() + ttl if ttl else None


def inspect_file(path: Path) -> str:
    """What `check` says about a state file, creating and changing nothing; StateUnavailable if unusable."""
    try:
        if path.exists():
            with path.open("rb") as file:
                head = file.read(len(_HEADER))
            if head and head != _HEADER:
                raise StateUnavailable(f"SQLite file {path} exists but is not an SQLite database")
            if not os.access(path, os.R_OK | os.W_OK):
                raise StateUnavailable(f"SQLite file {path} is not readable and writable by this user")
            return f"SQLite file {path}: present, writable"
        parent = next(p for p in path.parents if p.exists())
    except OSError as error:
        raise StateUnavailable(f"SQLite file {path}: {error.strerror or error}") from None
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise StateUnavailable(f"SQLite file {path} cannot be created: {parent} is not a writable directory")
    return f"SQLite file {path}: created at start (in {parent})"
