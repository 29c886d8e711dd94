"""The gateway under test as a real process (`python -m gateway serve`), and the two exchanges the
bench has with it beyond plain requests: opening the editor and a Document Server save callback."""

from __future__ import annotations

import html
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import yaml

from bench.procs import Processes, python_processes, tree
from gateway.testing.stack import SERVICE_ACCOUNT_TOKEN, demo_login, wait_ready

CTX = "/confluence"
SECRET = "bench-secret-" + "s" * 32
ALICE = demo_login("alice")
_CONFIG = re.compile(r'<script type="application/json" id="onlyoffice-config">(.*?)</script>', re.S)


def write_config(
    path: Path, port: int, confluence: str, docserver: str, workers: int, public_port: int | None = None
) -> Path:
    """A gateway config; `public_port` is the front's when the gateway serves behind nginx (it
    answers 421 to a Host that is not its public one)."""
    path.write_text(
        yaml.safe_dump(
            {
                "listen": {"host": "127.0.0.1", "port": port, "workers": workers},
                "public_url": f"http://127.0.0.1:{public_port or port}{CTX}",
                "confluence": {"url": confluence, "auth": {"token": SERVICE_ACCOUNT_TOKEN}},
                "documentserver": {"public_url": docserver, "jwt": {"secret": SECRET}},
                "state": {"path": str(path.with_suffix(".sqlite"))},
                "logging": {"level": "WARNING", "format": "text", "access_log": False},
            }
        )
    )
    return path


async def start(processes: Processes, name: str, config: Path, port: int) -> int:
    """Start a gateway and wait until it answers; returns its pid (the supervisor's, with workers)."""
    process = processes.start(name, [sys.executable, "-m", "gateway", "serve", "--config", str(config)])
    try:
        await wait_ready(f"http://127.0.0.1:{port}/livez", attempts=400)
    except BaseException:
        processes.check_alive()
        raise
    return process.pid


def workers_of(pid: int) -> int:
    """Worker processes the gateway actually runs: its Python processes minus a supervisor."""
    count = python_processes(pid)
    return count - 1 if count > 1 else count


def pin(pid: int, cpus: set[int] | None) -> None:
    """Pin the gateway and all its workers (the fork happened before we knew how many)."""
    if cpus is not None:
        for process in tree(pid):
            process.cpu_affinity(sorted(cpus))


async def open_editor(session: aiohttp.ClientSession, public_url: str, attachment_id: int) -> dict[str, Any]:
    """GET the doceditor page as alice; returns the editor config it embeds."""
    async with session.get(
        f"{public_url}/plugins/servlet/onlyoffice/doceditor",
        params={"attachmentId": str(attachment_id)},
        headers=ALICE,
    ) as response:
        page = await response.text()
    match = _CONFIG.search(page)
    if response.status != 200 or match is None:
        raise RuntimeError(f"the doceditor page has no editor config (HTTP {response.status})")
    config: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return config


async def save(callback: str, key: str, file_url: str, stamp: str) -> None:
    """One signed status-2 callback, as the Document Server posts it when an editing session ends."""
    body: dict[str, Any] = {
        "key": key,
        "status": 2,
        "url": file_url,
        "filetype": "docx",
        "users": ["alice"],
        "lastsave": stamp,
    }
    now = int(time.time())
    body["token"] = jwt.encode({**body, "iat": now, "exp": now + 300}, SECRET)
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as client,
        client.post(callback, json=body) as response,
    ):
        answer = await response.text()
    if answer.replace(" ", "") != '{"error":0}':
        raise RuntimeError(f"save failed: HTTP {response.status} {answer}")


__all__ = ["ALICE", "open_editor", "pin", "save", "start", "workers_of", "write_config"]
