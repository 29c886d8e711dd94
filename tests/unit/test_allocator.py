"""The worker's malloc tuning: arenas capped unless the operator set them, free memory trimmed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading

import pytest

from gateway.allocator import libc_allocator, trim_periodically

glibc = pytest.mark.skipif(libc_allocator() is None, reason="not on glibc")


@glibc
def test_arenas_are_capped_unless_the_environment_says_otherwise() -> None:
    # In a fresh interpreter each, as a worker starts: applied, or left to MALLOC_ARENA_MAX.
    code = "from gateway.allocator import tune_allocator; print(tune_allocator())"
    env = {key: value for key, value in os.environ.items() if key != "MALLOC_ARENA_MAX"}
    plain = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    chosen = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "MALLOC_ARENA_MAX": "4"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert plain.stdout.strip() == "True"
    assert chosen.stdout.strip() == "False"


@glibc
def test_memory_freed_between_live_blocks_goes_back_to_the_system() -> None:
    """What the worker's trim is for: a burst's high-water mark does not stay resident."""
    code = """
import ctypes, psutil
from gateway.allocator import libc_allocator
rss = lambda: psutil.Process().memory_info().rss
blocks = [bytearray(100_000) for _ in range(3000)]   # 300 MB below glibc's mmap threshold: heap
keep = blocks[::50]                                  # a few survivors pin the heap's top
del blocks
before = rss()
libc_allocator().malloc_trim(0)
print(before - rss())
"""
    freed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(freed.stdout) > 200_000_000


async def test_the_trim_runs_every_interval_off_the_event_loop() -> None:
    calls: list[str] = []
    loop_thread = threading.current_thread().name

    def trim() -> None:
        calls.append(threading.current_thread().name)

    task = asyncio.create_task(trim_periodically(0.05, trim))
    await asyncio.sleep(0.28)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 3 <= len(calls) <= 6
    assert loop_thread not in calls


async def test_a_failing_trim_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    calls = 0

    def trim() -> None:
        nonlocal calls
        calls += 1
        raise OSError("boom")

    task = asyncio.create_task(trim_periodically(0.05, trim))
    await asyncio.sleep(0.18)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls >= 2
    assert "malloc_trim failed" in caplog.text
