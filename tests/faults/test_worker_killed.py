"""A gateway worker SIGKILLed in the middle of a large proxied upload, and in the middle of a save
callback; the supervisor starts a new one."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import psutil

from gateway.testing.stack import demo_login
from tests.faults.faults_helpers import FaultStack, fault_stack, wait_for

_UPLOAD = r"/rest/api/content/\d+/child/attachment/[^/]+/data$"
_BOUNDARY = "faultinjectionboundary"


def _worker_serving(stack: FaultStack, peer_port: int) -> psutil.Process:
    """The worker holding the gateway side of the connection whose other end is `peer_port`."""
    for worker in stack.gateway.workers():
        for connection in worker.net_connections(kind="tcp"):
            if (
                connection.laddr.port == stack.gateway_port
                and connection.raddr
                and connection.raddr.port == peer_port
            ):
                return worker
    raise AssertionError(f"no worker serves the connection from port {peer_port}")


def _small_file() -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", b"small", filename="small.bin", content_type="application/octet-stream")
    return form


async def _replaced(stack: FaultStack, killed: psutil.Process) -> None:
    await wait_for(
        lambda: len(stack.gateway.listening()) == 2 and killed.pid not in stack.gateway.listening(),
        timeout=60,
        what="the killed worker replaced",
    )


async def test_worker_killed_mid_upload(tmp_path: Path) -> None:
    """What the user sees: their upload of a large file breaks off (connection closed, or a 502),
    as when any proxy dies; Confluence keeps nothing half-written: no new attachment, the page's
    attachments as before; the next upload through the gateway works."""
    async with fault_stack(tmp_path) as stack:
        page = await stack.page_id()
        before = await stack.rest(f"content/{page}/child/attachment?limit=200")
        size = 64 * 1024 * 1024
        head = (
            f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{_BOUNDARY}--\r\n".encode()
        auth = demo_login("admin")["Authorization"]
        reader, writer = await asyncio.open_connection("127.0.0.1", stack.gateway_port)
        writer.write(
            (
                f"POST /confluence/rest/api/content/{page}/child/attachment HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{stack.gateway_port}\r\nAuthorization: {auth}\r\n"
                "X-Atlassian-Token: no-check\r\n"
                f"Content-Type: multipart/form-data; boundary={_BOUNDARY}\r\n"
                f"Content-Length: {len(head) + size + len(tail)}\r\n\r\n"
            ).encode()
            + head
        )
        chunk = b"\0" * (1024 * 1024)
        for _ in range(8):  # 8 MiB on the way: the worker streams them on to Confluence
            writer.write(chunk)
            await writer.drain()
        await asyncio.sleep(0.5)
        worker = _worker_serving(stack, writer.get_extra_info("sockname")[1])
        worker.kill()
        seen = b""
        try:
            for _ in range(size // len(chunk)):
                writer.write(chunk)
                await writer.drain()
            writer.write(tail)
            await writer.drain()
            seen = await asyncio.wait_for(reader.read(), 10)
        except (ConnectionError, OSError):
            pass  # the connection broke: what a killed proxy looks like
        finally:
            writer.close()
        assert seen == b"" or re.match(rb"HTTP/1\.1 50[23] ", seen), seen[:200]
        await _replaced(stack, worker)
        await asyncio.sleep(0.5)  # Confluence has read the truncated request to its end
        after = await stack.rest(f"content/{page}/child/attachment?limit=200")
        assert [a["title"] for a in after["results"]] == [a["title"] for a in before["results"]]
        assert "big.bin" not in (tmp_path / "confluence.log").read_text()
        async with (
            aiohttp.ClientSession() as client,
            client.post(
                f"{stack.public_url}/rest/api/content/{page}/child/attachment",
                data=_small_file(),
                headers={**demo_login("admin"), "X-Atlassian-Token": "no-check"},
            ) as response,
        ):
            assert response.status == 200, await response.text()


async def test_worker_killed_mid_callback(tmp_path: Path) -> None:
    """The worker saving a callback is killed while its upload to Confluence is on the way.

    What the user sees: nothing; the Document Server's retry reaches the other (or the restarted)
    worker, and the edit is one new version, not two (the killed worker's upload never landed)."""
    async with fault_stack(tmp_path, confluence_front=_UPLOAD) as stack:
        front = stack.fronts["confluence"]
        front.mode = "hang"
        att = await stack.attachment()
        _, alice = await stack.open_editor(att["id"])
        stack.docserver.type_text(alice, "Saved once despite a killed worker")
        stack.docserver.leave(alice)
        await wait_for(lambda: front.faulted, what="the save's upload reaching Confluence")
        upload_from = front.peers[-1]
        front.mode = "pass"
        killed = None
        for worker in stack.gateway.workers():
            for connection in worker.net_connections(kind="tcp"):
                if connection.laddr.port == upload_from:
                    killed = worker
        assert killed is not None, "no worker holds the upload"
        killed.kill()
        await stack.docserver.drain()
        await wait_for(lambda: stack.version_is(2), timeout=30, what="the edit saved")
        await _replaced(stack, killed)
        await asyncio.sleep(2)  # retries and recovery passes had their chance to save twice
        assert await stack.versions() == 2
        assert "Saved once despite a killed worker" in await stack.text()
        assert any(a.success for a in stack.callbacks(status=2))
