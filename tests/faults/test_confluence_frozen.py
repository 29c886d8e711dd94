"""Confluence frozen (SIGSTOP) in the middle of a save, then resumed (SIGCONT).

A frozen JVM (a long GC pause, a VM snapshot) accepts connections and answers nothing; when it wakes
it works through everything queued, including requests whose clients gave up long ago.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.faults.faults_helpers import fault_stack, wait_for


async def test_confluence_frozen_during_a_save_then_resumed(tmp_path: Path) -> None:
    """What the user sees: they close the editor while Confluence hangs; nothing errors in their
    browser, and once Confluence is back their edit is there as exactly one new version."""
    async with fault_stack(tmp_path, retry_base_delay=0.5) as stack:
        att = await stack.attachment()
        _, alice = await stack.open_editor(att["id"])
        stack.docserver.type_text(alice, "Written while Confluence froze")
        stack.freeze_confluence()
        stack.docserver.leave(alice)
        await wait_for(lambda: stack.callbacks(status=2), what="the save callback")
        await asyncio.sleep(5)  # the gateway's upload times out at least once; the DS retries
        stack.thaw_confluence()
        await stack.docserver.drain()
        await wait_for(lambda: stack.version_is(2), timeout=30, what="the edit saved as version 2")
        await asyncio.sleep(3)  # the queued upload, a retry and recovery passes had their chance
        assert await stack.versions() == 2, stack.gateway.log()[-3000:]
        assert "Written while Confluence froze" in await stack.text()
        attempts = stack.callbacks(status=2)
        assert attempts[0].http_status != 200  # told to retry while Confluence was frozen
        assert attempts[-1].success
        assert "Traceback" not in stack.gateway.log()
