"""Fixtures shared by every test folder."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from gateway.state import MemoryState, RedisState, SharedState, SqliteState
from gateway.testing.stack import free_port


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis server on loopback for this test session (Debian's redis-server)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: apt-get install -y redis-server (./dev test installs it)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def state_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SharedState]:
    """Each shared-state backend in turn (a real Redis for the last), for tests that hold them all
    to the same behaviour; closed afterwards."""
    if request.param == "memory":
        yield MemoryState()
        return
    if request.param == "sqlite":
        on_file = SqliteState(tmp_path / "state.sqlite3")
        yield on_file
        await on_file.close()
        return
    url = request.getfixturevalue("redis_url")
    shared = RedisState(url, prefix=f"test-{secrets.token_hex(4)}:")
    yield shared
    await shared.close()
