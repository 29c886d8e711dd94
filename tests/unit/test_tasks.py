"""cancel_and_wait: the stopped task's cancellation is swallowed, the caller's never is."""

from __future__ import annotations

import asyncio

from gateway.tasks import cancel_and_wait


async def test_the_task_is_cancelled_and_awaited() -> None:
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.sleep(3600)

    task = asyncio.create_task(forever())
    await started.wait()
    await cancel_and_wait(task)
    assert task.cancelled()
    await cancel_and_wait(None)


async def test_a_loop_cancelled_while_stopping_its_helper_stops() -> None:
    """The recovery loop's shape: each pass stops a helper (the lock keeper) in a `finally`.
    Cancelling the loop while it waits for that helper must end the loop, not be swallowed."""
    passes = 0
    waiting = asyncio.Event()

    async def slow_to_stop() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            waiting.set()
            await asyncio.shield(asyncio.sleep(0.2))  # releasing something takes a moment

    async def loop() -> None:
        nonlocal passes
        while passes < 10:  # bounded, so that a swallowed cancellation fails the test, not hangs it
            passes += 1
            helper = asyncio.create_task(slow_to_stop())
            await asyncio.sleep(0)
            await cancel_and_wait(helper)

    task = asyncio.create_task(loop())
    await waiting.wait()  # the loop is inside cancel_and_wait, waiting for its helper
    task.cancel()
    await asyncio.wait({task}, timeout=5)
    assert task.cancelled() and passes == 1
