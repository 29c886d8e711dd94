"""Redis (the shared state) goes away during a save: the Document Server is told to retry, nothing is lost."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from saving_helpers import FAST, attachment, callbacks, open_editor, text_of, wait_for

from gateway.testing.stack import free_port, running_stack


class RedisProcess:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is missing: apt-get install -y redis-server")
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    redis = RedisProcess(tmp_path)
    redis.start()
    yield redis
    redis.stop()


async def test_redis_down_during_the_save_then_back(own_redis: RedisProcess) -> None:
    settings = {"state": {"redis_url": own_redis.url}, "documentserver": {"recovery_interval": 0.3}}
    async with running_stack(**FAST, settings=settings) as stack:
        att = attachment(stack)
        config, alice = await open_editor(stack, att.id)
        key = config["document"]["key"]
        stack.docserver.type_text(alice, "Kept through a Redis outage")
        await stack.docserver.drain()
        own_redis.stop()
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        attempts = callbacks(stack, status=2, key=key)
        assert [a.http_status for a in attempts] == [503, 503, 503, 503]
        assert all(a.response_text == '{"error": 1}' for a in attempts)
        assert key in stack.docserver.forgotten and len(att.versions) == 1
        own_redis.start()  # empty: every record is gone, the key alone leads back to the attachment
        await wait_for(lambda: len(att.versions) == 2, what="recovery after Redis came back")
        assert "Kept through a Redis outage" in text_of(stack, att)
        await wait_for(lambda: key not in stack.docserver.forgotten, what="deleteForgotten")
