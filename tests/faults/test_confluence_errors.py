"""Confluence answering 500, then 502, then not at all (timeouts) for longer than the Document
Server retries, then recovering: the gateway finishes the save itself, once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.faults.faults_helpers import fault_stack, wait_for


async def test_confluence_errors_and_timeouts_then_recovery(tmp_path: Path) -> None:
    """What the user sees: closing the editor works as always; while Confluence fails, the new
    version is not there yet; a few seconds after Confluence recovers it is, exactly once."""
    async with fault_stack(tmp_path, confluence_front="") as stack:
        front = stack.fronts["confluence"]
        att = await stack.attachment()
        _, alice = await stack.open_editor(att["id"])
        stack.docserver.type_text(alice, "Survives a failing Confluence")
        front.mode = "500"
        stack.docserver.leave(alice)
        await wait_for(lambda: stack.callbacks(status=2), what="the save callback")
        await asyncio.sleep(1.5)
        front.mode = "502"
        await asyncio.sleep(1.5)
        front.mode = "hang"  # the gateway's confluence.response_timeout (3 s) cuts these off
        await stack.docserver.drain()  # every retry of the Document Server failed: it kept the file
        attempts = stack.callbacks(status=2)
        assert len(attempts) == 4 and not any(a.success for a in attempts), [
            (a.http_status, a.response_text) for a in attempts
        ]
        assert all(a.http_status == 503 for a in attempts)  # "try again", never a bare 500
        assert stack.docserver.forgotten
        await asyncio.sleep(4)  # recovery passes run into the hanging Confluence
        assert {f.rsplit(" -> ", 1)[1] for f in front.faulted} == {"500", "502", "hang"}
        front.mode = "pass"
        await wait_for(lambda: stack.version_is(2), timeout=30, what="the recovered version")
        await wait_for(lambda: not stack.docserver.forgotten, what="deleteForgotten")
        await asyncio.sleep(2)  # later recovery passes add nothing
        assert await stack.versions() == 2
        assert "Survives a failing Confluence" in await stack.text()
        assert "Traceback" not in stack.gateway.log()
