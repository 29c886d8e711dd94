"""Memory while saving a large edit: the gateway streams Document Server -> Confluence, never holds it.

    .venv/bin/python bench/bench_save_memory.py [--mib 200]

Processes: the gateway (`python -m gateway serve`, measured), and this script running the
Confluence simulator and a Document Server file stub that generates the edited file on the fly.
A signed status-2 callback (as the Document Server sends) makes the gateway fetch the file and
upload it as a new attachment version. The gateway's RSS is sampled during the save; the result is
the ratio of its RSS growth to the file size (flat streaming: well under 0.1; buffering: >= 1).
Not a timed test: the numbers are for comparing runs and catching a regression to buffering.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import html
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import jwt
import psutil  # type: ignore[import-untyped,unused-ignore]
import yaml
from aiohttp import web

from gateway.testing.confluence import STORE, create_confluence_app
from gateway.testing.stack import SERVICE_ACCOUNT_TOKEN, free_port, wait_ready

CTX = "/confluence"
MiB = 1024 * 1024
SECRET = "bench-secret-" + "s" * 32
_CONFIG = re.compile(r'<script type="application/json" id="onlyoffice-config">(.*?)</script>', re.S)
_BLOCK = bytes(range(256)) * 4096  # 1 MiB, not compressible to nothing


async def _file(request: web.Request) -> web.StreamResponse:
    """`/cache/files/data/{size}/...`: `size` bytes, generated while sending."""
    size = int(request.match_info["size"])
    response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    response.content_length = size
    await response.prepare(request)
    sent = 0
    while sent < size:
        part = _BLOCK[: min(len(_BLOCK), size - sent)]
        await response.write(part)
        sent += len(part)
    await response.write_eof()
    return response


async def _start(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def _callback_url(public_url: str, attachment_id: int) -> tuple[str, str]:
    auth = "Basic " + base64.b64encode(b"alice:alice").decode()
    async with (
        aiohttp.ClientSession() as client,
        client.get(
            f"{public_url}/plugins/servlet/onlyoffice/doceditor",
            params={"attachmentId": str(attachment_id)},
            headers={"Authorization": auth},
        ) as response,
    ):
        page = await response.text()
    match = _CONFIG.search(page)
    if match is None:
        raise SystemExit(f"no editor config (HTTP {response.status})")
    config = json.loads(html.unescape(match.group(1)))
    return config["editorConfig"]["callbackUrl"], config["document"]["key"]


async def _save(
    callback: str, key: str, file_url: str, stamp: str, process: psutil.Process
) -> tuple[int, float]:
    """Post one signed status-2 callback; returns (peak RSS during it, seconds)."""
    body = {
        "key": key,
        "status": 2,
        "url": file_url,
        "filetype": "docx",
        "users": ["bench"],
        "lastsave": stamp,
    }
    now = int(time.time())
    body["token"] = jwt.encode({**body, "iat": now, "exp": now + 300}, SECRET)
    peak = process.memory_info().rss
    started = time.monotonic()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=900)) as client:
        task = asyncio.ensure_future(client.post(callback, json=body))
        while not task.done():
            peak = max(peak, process.memory_info().rss)
            await asyncio.sleep(0.02)
        async with await task as response:
            answer = await response.text()
    if answer.replace(" ", "") != '{"error":0}':
        raise SystemExit(f"save failed: HTTP {response.status} {answer}")
    return peak, time.monotonic() - started


async def main(mib: int) -> None:
    gateway_port, confluence_port, docserver_port = free_port(), free_port(), free_port()
    public_url = f"http://127.0.0.1:{gateway_port}{CTX}"
    confluence = create_confluence_app(context_path=CTX, seed="demo", base_url=public_url)
    files = web.Application()
    files.router.add_get("/cache/files/data/{size}/{file}/{friendly}", _file)
    runners = [await _start(confluence, confluence_port), await _start(files, docserver_port)]
    docserver = f"http://127.0.0.1:{docserver_port}"
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "gateway.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "listen": {"host": "127.0.0.1", "port": gateway_port},
                    "public_url": public_url,
                    "confluence": {
                        "url": f"http://127.0.0.1:{confluence_port}{CTX}",
                        "auth": {"token": SERVICE_ACCOUNT_TOKEN},
                    },
                    "documentserver": {"public_url": docserver, "jwt": {"secret": SECRET}},
                    "logging": {"level": "WARNING", "access_log": False},
                }
            )
        )
        gateway = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--config", str(config)])
        try:
            await wait_ready(f"http://127.0.0.1:{gateway_port}/livez")
            process = psutil.Process(gateway.pid)
            store = confluence[STORE]
            page = store.page_by_title("DEMO", "Welcome")
            assert page is not None
            attachment = store.attachment_by_name(page.id, "report.docx")
            assert attachment is not None
            callback, key = await _callback_url(public_url, attachment.id)

            def url(size: int) -> str:
                return f"{docserver}/cache/files/data/{size}/output.docx/output.docx?md5=x&expires=9999999999"

            # Warm up every code path with a small save, then measure the large one.
            await _save(callback, key, url(4 * MiB), "warm-up", process)
            baseline = process.memory_info().rss
            size = mib * MiB
            peak, seconds = await _save(callback, key, url(size), "large", process)
            saved = store.attachment_by_name(page.id, "report.docx")
            assert saved is not None and saved.current.size == size, "the large save did not land"
            growth = max(0, peak - baseline)
            print(f"file size           {size / MiB:8.1f} MiB  (saved as version {saved.current.number})")
            print(f"gateway RSS before  {baseline / MiB:8.1f} MiB")
            print(f"gateway RSS peak    {peak / MiB:8.1f} MiB")
            print(f"RSS growth          {growth / MiB:8.1f} MiB")
            print(f"growth / file size  {growth / size:8.3f}   (streaming: < 0.1; buffering: >= 1)")
            print(f"save took           {seconds:8.1f} s   ({size / MiB / seconds:.0f} MiB/s, noisy machine)")
        finally:
            gateway.terminate()
            gateway.wait(timeout=30)
            for runner in runners:
                await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=200, help="size of the saved file in MiB")
    asyncio.run(main(parser.parse_args().mib))
