"""`python -m gateway serve` as a real process tree (supervisor + workers) for the worker tests.

Every process it starts is killed at the end, even when a test fails: the supervisor and each
worker (they run in their own process groups, so the supervisor's group alone is not enough).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import yaml

from gateway.settings import Settings
from tests.integration.proxy.proxy_fixtures import GatewayProcess, spawn_serve

__all__ = ["GatewayTree", "gateway_tree", "pids_in_log", "write_config"]

_PID = re.compile(r"\bpid=(\d+)")
_LISTENING = re.compile(r"gateway listening on .* pid=(\d+)")


def write_config(path: Path, settings: Settings, secrets: dict[str, str], **sections: dict[str, Any]) -> Path:
    """`settings` as a YAML config file, secrets filled in (a dump masks them), `sections` merged in."""
    data = settings.model_dump(mode="json")
    data["confluence"]["auth"] = {"token": secrets["token"]}
    data["documentserver"]["jwt"]["secret"] = secrets["jwt"]
    for key, value in sections.items():
        data[key] = {**(data.get(key) or {}), **value}
    path.write_text(yaml.safe_dump(data))
    return path


@dataclass
class GatewayTree(GatewayProcess):
    """The supervisor's process, and its workers found as its children."""

    def listening(self) -> set[int]:
        """Pids of the live workers that have logged that they listen."""
        said = {int(pid) for pid in _LISTENING.findall(self.log())}
        return said & {w.pid for w in self.workers()}

    def workers(self) -> list[psutil.Process]:
        """The supervisor's live worker processes."""
        try:
            children = psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return []
        return [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]


def pids_in_log(text: str) -> set[int]:
    return {int(pid) for pid in _PID.findall(text)}


async def _answers(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


@contextlib.asynccontextmanager
async def gateway_tree(
    tmp_path: Path, config: Path, port: int, *, workers: int | None = None, ready: bool = True
) -> AsyncIterator[GatewayTree]:
    """Start the gateway; with `ready`, wait until /livez answers and `workers` workers listen."""
    log_path = tmp_path / f"gateway-{port}.log"
    process = await spawn_serve(config, log_path)
    tree = GatewayTree(process, port, log_path)
    seen: set[int] = set()
    try:
        if ready:
            deadline = time.monotonic() + 60
            while not await _answers(tree.url("/livez")) or len(tree.listening()) < (workers or 0):
                seen.update(w.pid for w in tree.workers())
                if process.returncode is not None or time.monotonic() > deadline:
                    raise AssertionError(f"gateway did not start:\n{tree.log()}")
                await asyncio.sleep(0.1)
        yield tree
    finally:
        seen.update(w.pid for w in tree.workers())
        if process.returncode is None:
            process.kill()
            await process.wait()
        for pid in seen | pids_in_log(tree.log()):
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                found = psutil.Process(pid)
                if found.cmdline()[1:3] == ["-m", "gateway.worker"]:
                    found.kill()
