"""Fixtures shared by the proxy integration and security tests: stub upstream + gateway on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.app import create_app
from gateway.proxy.plugin import Plugin
from gateway.settings import Settings
from gateway.testing.stack import free_port
from tests.integration.proxy.upstream_stub import CTX, STATE, StubState, create_stub_app

__all__ = [
    "Gateway",
    "GatewayProcess",
    "free_port",
    "gateway_process",
    "gateway_settings",
    "make_gateway",
    "spawn_serve",
    "stub",
]


def gateway_settings(
    upstream_port: int,
    port: int,
    public_prefix: str = CTX,
    listen: Mapping[str, Any] | None = None,
    **proxy: Any,
) -> Settings:
    """Valid settings for a gateway on `port` in front of the stub.

    A `public_prefix` other than Confluence's context path is applied after validation: the
    settings loader rejects that combination for operators, but the proxy core still maps it.
    """
    settings = Settings.model_validate(
        {
            # tests/integration/workers: more workers
            "listen": {"host": "127.0.0.1", "port": port, "workers": 1, **(listen or {})},
            "public_url": f"http://127.0.0.1:{port}{CTX}",
            "internal_url": f"http://localhost:{port}{CTX}",
            "confluence": {
                "url": f"http://127.0.0.1:{upstream_port}{CTX}",
                "auth": {"token": "service-token"},
                "connect_timeout": 2,
                "response_timeout": proxy.pop("response_timeout", 5),
                "read_timeout": proxy.pop("read_timeout", 5),
            },
            "documentserver": {"public_url": "http://127.0.0.1:1/", "jwt": {"secret": "s" * 32}},
            "proxy": {"readiness_cache_seconds": 0, **proxy},
        }
    )
    if public_prefix != CTX:
        settings = settings.model_copy(
            update={
                "public_url": f"http://127.0.0.1:{port}{public_prefix}",
                "internal_url": f"http://localhost:{port}{public_prefix}",
            }
        )
    return settings


@dataclass
class Gateway:
    server: TestServer
    upstream: TestServer
    settings: Settings

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def stub(self) -> StubState:
        return self.upstream.app[STATE]


@pytest.fixture
async def stub(aiohttp_server: Callable[..., Any]) -> TestServer:
    server: TestServer = await aiohttp_server(create_stub_app())
    return server


MakeGateway = Callable[..., Any]


@pytest.fixture
def make_gateway(aiohttp_server: Callable[..., Any], stub: TestServer) -> MakeGateway:
    async def make(
        plugins: Sequence[Plugin] = (),
        upstream_port: int | None = None,
        public_prefix: str = CTX,
        **proxy: Any,
    ) -> Gateway:
        port = free_port()
        settings = gateway_settings(upstream_port or stub.port or 0, port, public_prefix, **proxy)
        app: web.Application = create_app(settings, plugins)
        server: TestServer = await aiohttp_server(app, port=port)
        return Gateway(server=server, upstream=stub, settings=settings)

    return make


@dataclass
class GatewayProcess:
    process: asyncio.subprocess.Process
    port: int
    log_path: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


async def spawn_serve(
    config: Path, log_path: Path, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """`python -m gateway serve --config FILE`, stdout and stderr into `log_path`."""
    with log_path.open("wb") as log_file:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "gateway",
            "serve",
            "--config",
            str(config),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )


@contextlib.asynccontextmanager
async def gateway_process(
    tmp_path: Path,
    upstream_port: int,
    env: dict[str, str] | None = None,
    listen: Mapping[str, Any] | None = None,
    **proxy: Any,
) -> AsyncIterator[GatewayProcess]:
    """`python -m gateway serve --config FILE` as a real subprocess, ready when /livez answers."""
    port = free_port()
    settings = gateway_settings(upstream_port, port, listen=listen, **proxy)
    config = tmp_path / "gateway.yaml"
    data = settings.model_dump(mode="json", exclude_defaults=False)
    data["confluence"]["auth"] = {"token": "service-token"}
    data["documentserver"]["jwt"]["secret"] = "s" * 32
    data["logging"] = {"level": "INFO", "format": "text", "access_log": False}
    config.write_text(yaml.safe_dump(data))
    log_path = tmp_path / "gateway.log"
    process = await spawn_serve(config, log_path, env)
    running = GatewayProcess(process, port, log_path)
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                if process.returncode is not None:
                    raise AssertionError(f"gateway exited early:\n{running.log()}")
                try:
                    async with session.get(running.url("/livez")) as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"gateway did not start:\n{running.log()}")
        yield running
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
