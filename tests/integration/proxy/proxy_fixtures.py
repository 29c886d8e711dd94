"""Fixtures shared by the proxy integration and security tests: stub upstream + gateway on loopback."""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from upstream_stub import CTX, STATE, StubState, create_stub_app

from gateway.app import create_app
from gateway.proxy.plugin import Plugin
from gateway.settings import Settings

__all__ = ["Gateway", "free_port", "gateway_settings", "make_gateway", "stub"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gateway_settings(upstream_port: int, port: int, **proxy: Any) -> Settings:
    return Settings.model_validate(
        {
            "listen": {"host": "127.0.0.1", "port": port},
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
        return self.upstream.app[STATE]  # type: ignore[index]


@pytest.fixture
async def stub(aiohttp_server: Callable[..., Any]) -> TestServer:
    server: TestServer = await aiohttp_server(create_stub_app())
    return server


MakeGateway = Callable[..., Any]


@pytest.fixture
def make_gateway(aiohttp_server: Callable[..., Any], stub: TestServer) -> MakeGateway:
    async def make(plugins: Sequence[Plugin] = (), upstream_port: int | None = None, **proxy: Any) -> Gateway:
        port = free_port()
        settings = gateway_settings(upstream_port or stub.port or 0, port, **proxy)
        app: web.Application = create_app(settings, plugins)
        server: TestServer = await aiohttp_server(app, port=port)
        return Gateway(server=server, upstream=stub, settings=settings)

    return make
