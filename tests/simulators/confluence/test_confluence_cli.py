"""`onlyoffice-gateway simulate confluence` as a real subprocess, state kept in --data-dir."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiohttp

from gateway.testing.stack import free_port as _free_port


async def _wait_running(url: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            assert process.returncode is None, "simulator exited early"
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("simulator did not come up")


async def test_cli_runs_the_seeded_simulator(tmp_path: Path) -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "simulate",
        "confluence",
        "--port",
        str(port),
        "--context-path",
        "/wiki",
        "--data-dir",
        str(tmp_path),
        "--attachment-max-size",
        "1000",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await _wait_running(f"http://127.0.0.1:{port}/wiki/status", process)
        from tests.simulators.confluence.confluence_helpers import basic, no_check, upload_form

        url = f"http://127.0.0.1:{port}/wiki/rest/api/user/current"
        async with aiohttp.ClientSession(headers=basic("alice")) as session, session.get(url) as response:
            assert (await response.json())["displayName"] == "Alice Example"
            assert response.headers["X-AUSERNAME"] == "alice"
        assert (tmp_path / "state.json").exists()
        page = f"http://127.0.0.1:{port}/wiki/rest/api/content?spaceKey=DEMO&title=Welcome"
        async with aiohttp.ClientSession(headers=no_check("alice")) as session:
            async with session.get(page) as response:
                page_id = (await response.json())["results"][0]["id"]
            upload = upload_form("big.bin", b"x" * 1001)
            create = f"http://127.0.0.1:{port}/wiki/rest/api/content/{page_id}/child/attachment"
            async with session.post(create, data=upload) as response:  # --attachment-max-size 1000
                assert response.status == 404
                assert "exceeds its maximum permitted size of 1000 bytes" in await response.text()
    finally:
        process.terminate()
        await asyncio.wait_for(process.communicate(), 20)
