"""Stopping background tasks without swallowing the caller's own cancellation.

`task.cancel(); with suppress(CancelledError): await task` has a trap: if the *caller* is cancelled
while it waits, the suppress swallows that too, and the caller carries on — a loop being stopped
runs forever, and whoever waits for it (app cleanup) hangs. Seen in CI as a gateway restart that
never finished: the recovery loop was cancelled while releasing its Redis lock.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["cancel_and_wait"]


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` and wait until it has ended; its cancellation is expected, the caller's is not."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # the caller itself is being cancelled: let it stop
