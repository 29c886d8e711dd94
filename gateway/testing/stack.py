"""The whole system on loopback: Confluence simulator, Document Server simulator, and the gateway.

One event loop, three real servers on 127.0.0.1 ports. The demo runs it until interrupted; the
integration and browser tests run it per test. Settings are built with the same validation as a
config file, so the demo exercises what operators configure.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from gateway.app import create_app
from gateway.onlyoffice.plugin import OnlyOfficePlugin
from gateway.settings import Settings
from gateway.settings.loader import load_settings_from_mapping
from gateway.testing.confluence import STORE, Store, create_confluence_app
from gateway.testing.docserver import DOCSERVER, DocServer, create_docserver_app

__all__ = [
    "DEMO_LOGINS",
    "SERVICE_ACCOUNT_TOKEN",
    "Stack",
    "demo_login",
    "free_port",
    "running_stack",
    "wait_ready",
]

CONTEXT_PATH = "/confluence"
# The demo seed's admin Personal Access Token: the gateway's service account in the demo.
SERVICE_ACCOUNT_TOKEN = "demo-pat-admin-0000000000000000000000000000"
DEMO_LOGINS = (
    ("admin", "admin", "space admin"),
    ("alice", "alice", "can edit"),
    ("bob", "bob", "view only"),
)


def demo_login(user: str | None) -> dict[str, str]:
    """HTTP Basic headers for a demo user (their password is in DEMO_LOGINS); None is anonymous."""
    if user is None:
        return {}
    passwords = {name: password for name, password, _ in DEMO_LOGINS}
    return {"Authorization": aiohttp.encode_basic_auth(user, passwords[user])}


async def wait_ready(url: str, *, attempts: int = 200, pause: float = 0.05) -> None:
    """Poll `url` until it answers 200 (a server started in another process); fail loudly if never."""
    async with aiohttp.ClientSession() as session:
        for _ in range(attempts):
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(pause)
    raise RuntimeError(f"not ready: {url}")


# Ports handed out by free_port in this process: never handed out twice, even before they are bound.
_ISSUED_PORTS: set[int] = set()
_LOWEST_TEST_PORT = 10000


def _ephemeral_port_range() -> tuple[int, int]:
    """The kernel's range for outgoing connections' local ports (Linux default when unreadable)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on, for a server that binds it a moment later.

    Ports are drawn from below the kernel's ephemeral range: a port the kernel hands out for
    "any free port" is also what it gives outgoing connections as their local port, so between the
    probe and the bind a client socket can take it (CI once saw "address already in use", and once
    the same port handed out twice). A port is never issued twice in one process.
    """
    ephemeral_low, _ = _ephemeral_port_range()
    candidates = range(_LOWEST_TEST_PORT, ephemeral_low)
    for _ in range(200):
        port = random.choice(candidates) if len(candidates) > 1000 else _kernel_port(host)
        if port in _ISSUED_PORTS:
            continue
        try:
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind((host, port))
        except OSError:
            continue
        _ISSUED_PORTS.add(port)
        return port
    raise RuntimeError(f"no free port on {host}")


def _kernel_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    host: str
    gateway_port: int
    confluence_port: int
    docserver_port: int
    settings: Settings
    confluence_app: web.Application
    docserver_app: web.Application
    gateway_app: web.Application
    runners: list[web.AppRunner] = field(default_factory=list)
    docserver_options: dict[str, Any] = field(default_factory=dict)

    @property
    def public_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}{CONTEXT_PATH}"

    @property
    def gateway_origin(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"

    @property
    def confluence_url(self) -> str:
        return f"http://{self.host}:{self.confluence_port}{CONTEXT_PATH}"

    @property
    def docserver_url(self) -> str:
        return f"http://{self.host}:{self.docserver_port}"

    @property
    def store(self) -> Store:
        return self.confluence_app[STORE]

    @property
    def docserver(self) -> DocServer:
        return self.docserver_app[DOCSERVER]

    def welcome_page_id(self) -> int:
        """The demo seed's page "Welcome" in space DEMO."""
        page = self.store.page_by_title("DEMO", "Welcome")
        if page is None:
            raise LookupError("the demo seed has no page DEMO/Welcome")
        return int(page.id)

    def welcome_attachment_id(self, name: str) -> int:
        """The id of a file attached to the demo page "Welcome" (report.docx, legacy.doc...)."""
        found = self.store.attachment_by_name(self.welcome_page_id(), name)
        if found is None:
            raise LookupError(f"the demo page Welcome has no attachment {name!r}")
        return int(found.id)

    async def restart_gateway(self, settings: Mapping[str, Any] | None = None) -> None:
        """Stop and start the gateway alone (the state it kept in memory is gone, as in a crash);
        `settings` entries change its config first, as an admin's edit before a restart does."""
        gateway_runner = self.runners.pop()
        await gateway_runner.cleanup()
        if settings:
            self.settings = Settings.model_validate(
                _merged(self.settings.model_dump(mode="python"), settings)
            )
        self.gateway_app = _gateway_app(self.settings)
        self.runners.append(await _start(self.gateway_app, self.host, self.gateway_port))

    async def restart_docserver(self, *, pause: float = 0.0) -> None:
        """Stop the Document Server simulator (its editor sockets close with 1001, as on DS's
        shutdown), wait `pause` seconds, and start a new one on the same port and data_dir."""
        runner = self.runners[1]
        await runner.cleanup()
        if pause:
            await asyncio.sleep(pause)
        self.docserver_app = create_docserver_app(**self.docserver_options)
        self.runners[1] = await _start(self.docserver_app, self.host, self.docserver_port)


def _merged(data: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`data` with `changes` applied, mappings merged key by key at every depth."""
    merged = dict(data)
    for key, value in changes.items():
        current = merged.get(key)
        merged[key] = (
            _merged(current, value) if isinstance(value, dict) and isinstance(current, dict) else value
        )
    return merged


def _settings(
    host: str, gateway_port: int, confluence_port: int, docserver_port: int, extra: Mapping[str, Any]
) -> Settings:
    data: dict[str, Any] = {
        "listen": {"host": host, "port": gateway_port, "workers": 1},  # one process: memory state
        "public_url": f"http://{host}:{gateway_port}{CONTEXT_PATH}",
        "confluence": {
            "url": f"http://{host}:{confluence_port}{CONTEXT_PATH}",
            "auth": {"token": SERVICE_ACCOUNT_TOKEN},
        },
        "documentserver": {
            "public_url": f"http://{host}:{docserver_port}",
            "jwt": {"secret": secrets.token_urlsafe(32)},
        },
        "logging": {"level": "INFO", "format": "text", "access_log": False},
    }
    return load_settings_from_mapping(_merged(data, extra), source="<demo>")


def _gateway_app(settings: Settings) -> web.Application:
    return create_app(settings, [OnlyOfficePlugin(settings)])


async def _start(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    await web.TCPSite(runner, host, port, reuse_address=True).start()
    return runner


@contextlib.asynccontextmanager
async def running_stack(
    *,
    host: str = "127.0.0.1",
    gateway_port: int = 0,
    save_delay: float = 5.0,
    retry_base_delay: float = 1.0,
    data_dir: Path | None = None,
    settings: Mapping[str, Any] | None = None,
    docserver_path: str | None = None,
    docserver: Mapping[str, Any] | None = None,
) -> AsyncIterator[Stack]:
    """Start the three servers; `settings` entries override the gateway's generated config.

    `docserver_path` (e.g. "/ds-vpath") puts the Document Server under that path of the gateway's
    origin: browsers reach it through the gateway, which reaches it at its own port. `docserver`
    entries are more options of `create_docserver_app` (e.g. the editor socket's ping_interval).
    """
    gateway_port = gateway_port or free_port(host)
    confluence_port, docserver_port = free_port(host), free_port(host)
    overrides = dict(settings or {})
    if docserver_path is not None:
        placed = {"public_url": docserver_path, "internal_url": f"http://{host}:{docserver_port}"}
        overrides["documentserver"] = {**placed, **overrides.get("documentserver", {})}
    config = _settings(host, gateway_port, confluence_port, docserver_port, overrides)
    public_url = f"http://{host}:{gateway_port}{CONTEXT_PATH}"
    confluence_app = create_confluence_app(
        context_path=CONTEXT_PATH,
        seed="demo",
        base_url=public_url,
        data_dir=data_dir / "confluence" if data_dir else None,
    )
    docserver_options: dict[str, Any] = {
        "jwt_secret": config.documentserver.jwt.secret.get_secret_value(),
        "jwt_header": config.documentserver.jwt.header,
        "save_delay": save_delay,
        "retry_base_delay": retry_base_delay,
        "data_dir": data_dir / "docserver" if data_dir else None,
        **(docserver or {}),
    }
    docserver_app = create_docserver_app(**docserver_options)
    gateway_app = _gateway_app(config)
    stack = Stack(
        host=host,
        gateway_port=gateway_port,
        confluence_port=confluence_port,
        docserver_port=docserver_port,
        settings=config,
        confluence_app=confluence_app,
        docserver_app=docserver_app,
        gateway_app=gateway_app,
        docserver_options=docserver_options,
    )
    try:
        stack.runners.append(await _start(confluence_app, host, confluence_port))
        stack.runners.append(await _start(docserver_app, host, docserver_port))
        stack.runners.append(await _start(gateway_app, host, gateway_port))
        yield stack
    finally:
        for runner in reversed(stack.runners):
            await runner.cleanup()
