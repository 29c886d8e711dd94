"""The Document Server unreachable: while a user opens the editor, and while the gateway fetches
the saved file from the download link of a save callback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from tests.faults.faults_helpers import fault_stack, wait_for


async def test_editor_open_while_the_document_server_is_down(tmp_path: Path) -> None:
    """What the user sees: the editor page (200, the gateway's own page, no traceback) whose script
    says the Document Server at its address cannot be reached; /readyz names it as down while the
    gateway stays in service (Confluence browsing goes on)."""
    async with fault_stack(tmp_path, docserver_front=True) as stack:
        att = await stack.attachment()
        await stack.fronts["docserver"].stop()  # gone for the gateway (api.js is the browser's)
        status, body = await stack.editor_page(att["id"])
        assert status == 200, body[:500]
        assert "data-unreachable=" in body and "Document Server" in body
        assert stack.docserver_url in body  # the message names the address the browser tried
        assert "Traceback" not in body
        ready = await stack.readyz()
        assert ready["checks"]["documentserver"]["status"] == "down", ready
        assert ready["status"] == "degraded", ready
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"{stack.public_url}/display/DEMO/Welcome") as page,
        ):
            assert page.status in (200, 401), page.status  # proxying is unaffected
        assert "Traceback" not in stack.gateway.log()


async def test_docserver_gone_while_the_gateway_fetches_the_saved_file(tmp_path: Path) -> None:
    """The callback's download link points at a Document Server the gateway cannot reach.

    What the user sees: nothing goes wrong when they close the editor; the gateway tells the
    Document Server to retry (503), and when the Document Server is reachable again the gateway
    recovers the file from its "forgotten" copy: one new version with the edit."""
    async with fault_stack(tmp_path, docserver_front=True) as stack:
        front = stack.fronts["docserver"]
        att = await stack.attachment()
        _, alice = await stack.open_editor(att["id"])
        stack.docserver.type_text(alice, "Fetched once the DS is back")
        await front.stop()
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        attempts = stack.callbacks(status=2)
        assert [a.http_status for a in attempts] == [503, 503, 503, 503], [
            (a.http_status, a.response_text) for a in attempts
        ]
        assert stack.docserver.forgotten
        await asyncio.sleep(1.5)  # recovery passes find the Document Server still gone
        assert await stack.versions() == 1
        await front.start()
        await wait_for(lambda: stack.version_is(2), timeout=30, what="the recovered version")
        await wait_for(lambda: not stack.docserver.forgotten, what="deleteForgotten")
        await asyncio.sleep(2)
        assert await stack.versions() == 2
        assert "Fetched once the DS is back" in await stack.text()
        assert "Traceback" not in stack.gateway.log()
