"""Keep a long-running worker's memory from ratcheting up under bursts: glibc's malloc, tuned.

What the soak showed (bench/RESULTS.md): under saturation both workers' RSS grew 50-60% in steps
and stayed there after the load stopped, with no Python-level leak to show for it. Two glibc
behaviours explain it. Each thread that allocates gets its own malloc arena (up to 8 per core),
and freed memory in one arena cannot serve another's requests; the workers' threads (the SQLite
state, DNS lookups, `to_thread`) each hold such arenas. And free memory between live blocks is
only returned to the system by `malloc_trim`, never by `free`: the high-water mark of a burst
(hundreds of requests in flight, each with body buffers of up to 256 KiB) stays resident. So a
worker caps its arenas at two (as `MALLOC_ARENA_MAX=2` would; an operator's own value wins) and
trims every half minute, in a thread, so the event loop never waits for it.

Only on glibc; elsewhere (musl, macOS) both are skipped: their allocators behave differently.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import logging
import os
from collections.abc import Callable

__all__ = ["ARENA_MAX", "TRIM_INTERVAL_SECONDS", "libc_allocator", "trim_periodically", "tune_allocator"]

log = logging.getLogger("gateway.allocator")

ARENA_MAX = 2
TRIM_INTERVAL_SECONDS = 30.0
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


@functools.cache
def libc_allocator() -> ctypes.CDLL | None:
    """glibc, when this process runs on it (it has `mallopt` and `malloc_trim`), else None."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)  # CDLL releases the GIL during a call: a trim blocks no thread
    except OSError:
        return None
    if not (
        hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") and hasattr(libc, "gnu_get_libc_version")
    ):
        return None
    return libc


def tune_allocator() -> bool:
    """Cap malloc arenas at ARENA_MAX, unless the environment says otherwise; True if applied.

    Call it first thing in a process, before threads start: arenas already made stay.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    libc = libc_allocator()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, ARENA_MAX))


async def trim_periodically(
    interval: float = TRIM_INTERVAL_SECONDS, trim: Callable[[], object] | None = None
) -> None:
    """Hand free heap memory back to the system every `interval` seconds, until cancelled.

    A trim walks the heap (a few milliseconds for a hundred MiB), so it runs in a thread.
    """
    if trim is None:
        libc = libc_allocator()
        if libc is None:
            return
        trim = functools.partial(libc.malloc_trim, 0)
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(trim)
        except Exception:  # never let housekeeping end the worker
            log.exception("malloc_trim failed")
