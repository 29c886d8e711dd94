"""Real processes for the fault tests: the Confluence simulator and the gateway (2 workers) as
subprocesses, the Document Server simulator in the test's loop (its hooks act as editors), and
switchable fronts that play a struggling upstream (500/502/hanging/gone) on a fixed port.

Versions are counted through Confluence's REST API (the simulator is another process), as an
operator would see them.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from gateway.testing.docserver import DOCSERVER, DocServer, create_docserver_app
from gateway.testing.documents import extract_text
from gateway.testing.stack import SERVICE_ACCOUNT_TOKEN, demo_login, free_port, wait_ready
from tests.integration.workers.workers_helpers import GatewayTree, gateway_tree

__all__ = ["FaultStack", "Front", "fault_stack", "wait_for"]

CTX = "/confluence"
_CONFIG = re.compile(r'<script type="application/json" id="onlyoffice-config">(.*?)</script>', re.S)
_HOP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}
JWT_SECRET = "fault-injection-secret-" + "x" * 16


async def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


class Front:
    """A reverse proxy on a fixed loopback port in front of `target`, with fault modes:

    `pass` forwards; `500`/`502` answer that status; `hang` never answers (a timeout for the
    client); `stop()` closes the port (connection refused: the upstream is gone); `start()` opens it
    again on the same port. `only` limits the faults to paths it matches.
    """

    def __init__(self, target: str, only: str = "") -> None:
        self.target = target.rstrip("/")
        self.port = free_port()
        self.mode = "pass"
        self.only = re.compile(only) if only else None
        self.faulted: list[str] = []
        #: the client port of each request that got a fault (which process sent it)
        self.peers: list[int] = []
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if self.mode != "pass" and (self.only is None or self.only.search(request.path)):
            self.faulted.append(f"{request.method} {request.path} -> {self.mode}")
            peer = request.transport.get_extra_info("peername") if request.transport else None
            self.peers.append(int(peer[1]) if peer else 0)
            if self.mode == "hang":
                await asyncio.sleep(3600)
            return web.Response(status=int(self.mode), text=f"{self.mode} from the front")
        if self._client is None:
            self._client = aiohttp.ClientSession(
                auto_decompress=False, skip_auto_headers=("Accept-Encoding", "User-Agent")
            )
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with self._client.request(
            request.method, self.target + request.path_qs, headers=headers, data=body, allow_redirects=False
        ) as upstream:
            payload = await upstream.read()
            copied = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP}
            return web.Response(status=upstream.status, body=payload, headers=copied)


@dataclass
class FaultStack:
    tmp_path: Path
    confluence: subprocess.Popen[bytes]
    confluence_port: int
    docserver_app: web.Application
    docserver_port: int
    gateway: GatewayTree
    gateway_port: int
    config_path: Path
    fronts: dict[str, Front] = field(default_factory=dict)

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}{CTX}"

    @property
    def confluence_url(self) -> str:
        return f"http://127.0.0.1:{self.confluence_port}{CTX}"

    @property
    def docserver_url(self) -> str:
        return f"http://127.0.0.1:{self.docserver_port}"

    @property
    def docserver(self) -> DocServer:
        return self.docserver_app[DOCSERVER]

    def freeze_confluence(self) -> None:
        self.confluence.send_signal(signal.SIGSTOP)

    def thaw_confluence(self) -> None:
        self.confluence.send_signal(signal.SIGCONT)

    async def rest(self, path: str) -> Any:
        """A GET on Confluence's REST API directly (not through the gateway), as admin."""
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"{self.confluence_url}/rest/api/{path}", headers=demo_login("admin")) as r,
        ):
            assert r.status == 200, (path, r.status, await r.text())
            return await r.json()

    async def page_id(self) -> str:
        found = await self.rest("content?spaceKey=DEMO&title=Welcome")
        return str(found["results"][0]["id"])

    async def attachment(self, name: str = "report.docx") -> dict[str, Any]:
        page = await self.page_id()
        found = await self.rest(f"content/{page}/child/attachment?filename={name}&expand=version")
        result: dict[str, Any] = found["results"][0]
        return result

    async def versions(self, name: str = "report.docx") -> int:
        """The attachment's current version number in Confluence."""
        return int((await self.attachment(name))["version"]["number"])

    async def version_is(self, number: int, name: str = "report.docx") -> bool:
        """Whether Confluence answers with `number` as the current version (False while it fails)."""
        try:
            return await self.versions(name) == number
        except (TimeoutError, aiohttp.ClientError, AssertionError):
            return False

    async def text(self, name: str = "report.docx") -> str:
        page = await self.page_id()
        url = f"{self.confluence_url}/download/attachments/{page}/{name}"
        async with aiohttp.ClientSession() as client, client.get(url, headers=demo_login("admin")) as r:
            assert r.status == 200, r.status
            data = await r.read()
        return extract_text(name.rsplit(".", 1)[-1], data)

    async def editor_page(self, attachment_id: str, user: str = "alice") -> tuple[int, str]:
        url = f"{self.public_url}/plugins/servlet/onlyoffice/doceditor"
        async with (
            aiohttp.ClientSession() as client,
            client.get(url, params={"attachmentId": attachment_id}, headers=demo_login(user)) as r,
        ):
            return r.status, await r.text()

    async def open_editor(self, attachment_id: str, user: str = "alice") -> tuple[dict[str, Any], Any]:
        """The signed config from the gateway's editor page, opened in the Document Server simulator."""
        status, body = await self.editor_page(attachment_id, user)
        assert status == 200, (status, body[:500])
        match = _CONFIG.search(body)
        assert match is not None, body[:500]
        config: dict[str, Any] = json.loads(html.unescape(match.group(1)))
        opened = await self.docserver.open(config, base_url=self.docserver_url)
        return config, opened.participant

    def callbacks(self, status: int | None = None) -> list[Any]:
        return [a for a in self.docserver.callback_log if status is None or a.status == status]

    async def readyz(self) -> dict[str, Any]:
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"http://127.0.0.1:{self.gateway_port}/readyz") as r,
        ):
            found: dict[str, Any] = await r.json()
            return found


def start_confluence(port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gateway",
                "simulate",
                "confluence",
                "--port",
                str(port),
                "--seed",
                "demo",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=os.environ.copy(),
        )


@contextlib.asynccontextmanager
async def fault_stack(
    tmp_path: Path,
    *,
    workers: int = 2,
    state: Mapping[str, Any] | None = None,
    confluence_front: str | None = None,
    docserver_front: bool = False,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    save_delay: float = 0.2,
    retry_base_delay: float = 0.3,
) -> AsyncIterator[FaultStack]:
    """Confluence (subprocess), the Document Server (in this loop) and the gateway (subprocess).

    `confluence_front` (a path pattern, "" for all) puts a switchable Front between the gateway and
    Confluence; `docserver_front` one between the gateway and the Document Server (its
    `internal_url`), so the Document Server can vanish for the gateway while its callbacks go on.
    """
    confluence_port, docserver_port, gateway_port = free_port(), free_port(), free_port()
    confluence = start_confluence(confluence_port, tmp_path / "confluence.log")
    runners: list[web.AppRunner] = []
    fronts: dict[str, Front] = {}
    try:
        await wait_ready(f"http://127.0.0.1:{confluence_port}{CTX}/status", attempts=300)
        docserver_app = create_docserver_app(
            jwt_secret=JWT_SECRET, save_delay=save_delay, retry_base_delay=retry_base_delay
        )
        runner = web.AppRunner(docserver_app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", docserver_port).start()
        runners.append(runner)
        confluence_url = f"http://127.0.0.1:{confluence_port}{CTX}"
        if confluence_front is not None:
            fronts["confluence"] = Front(f"http://127.0.0.1:{confluence_port}", confluence_front)
            await fronts["confluence"].start()
            confluence_url = fronts["confluence"].url + CTX
        ds: dict[str, Any] = {
            "public_url": f"http://127.0.0.1:{docserver_port}/",
            "jwt": {"secret": JWT_SECRET},
            "recovery_interval": 0.5,
            "timeout": 5,
        }
        if docserver_front:
            fronts["docserver"] = Front(f"http://127.0.0.1:{docserver_port}")
            await fronts["docserver"].start()
            ds["internal_url"] = fronts["docserver"].url + "/"
        data: dict[str, Any] = {
            "listen": {"host": "127.0.0.1", "port": gateway_port, "workers": workers},
            "public_url": f"http://127.0.0.1:{gateway_port}{CTX}",
            "confluence": {
                "url": confluence_url,
                "auth": {"token": SERVICE_ACCOUNT_TOKEN},
                "connect_timeout": 2,
                "response_timeout": 3,
                "read_timeout": 3,
            },
            "documentserver": ds,
            "state": dict(state or {"path": str(tmp_path / "state.sqlite3")}),
            "proxy": {"readiness_cache_seconds": 0},
            "logging": {"level": "INFO", "format": "text", "access_log": True},
        }
        for key, value in (settings or {}).items():
            data[key] = {**data.get(key, {}), **value}
        config_path = tmp_path / "gateway.yaml"
        config_path.write_text(yaml.safe_dump(data))
        async with gateway_tree(tmp_path, config_path, gateway_port, workers=workers) as gateway:
            yield FaultStack(
                tmp_path=tmp_path,
                confluence=confluence,
                confluence_port=confluence_port,
                docserver_app=docserver_app,
                docserver_port=docserver_port,
                gateway=gateway,
                gateway_port=gateway_port,
                config_path=config_path,
                fronts=fronts,
            )
    finally:
        confluence.send_signal(signal.SIGCONT)
        confluence.kill()
        confluence.wait(timeout=10)
        for front in fronts.values():
            await front.stop()
        for runner in reversed(runners):
            await runner.cleanup()
