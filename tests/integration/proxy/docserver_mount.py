"""The gateway with the Document Server mounted under a path of its own origin, as the mount tests
(integration/proxy, security) start it: one place for the settings both must agree on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestServer

from gateway.app import create_app
from gateway.settings import Settings, load_settings_from_mapping
from gateway.testing.stack import free_port
from tests.integration.proxy.upstream_stub import CTX

__all__ = ["PREFIX", "start_mounted_gateway"]

PREFIX = "/ds-vpath"


async def start_mounted_gateway(
    aiohttp_server: Callable[..., Any],
    stub_port: int,
    docserver_port: int,
    *,
    timeout: float | None = None,
    proxy: dict[str, Any] | None = None,
) -> tuple[TestServer, Settings]:
    """A gateway in front of the Confluence stub with the Document Server at PREFIX; `timeout` and
    `proxy` go into the settings only when given."""
    port = free_port()
    documentserver: dict[str, Any] = {
        "public_url": PREFIX,
        "internal_url": f"http://127.0.0.1:{docserver_port}",
        "jwt": {"secret": "s" * 32},
    }
    if timeout is not None:
        documentserver["timeout"] = timeout
    mapping: dict[str, Any] = {
        "listen": {"host": "127.0.0.1", "port": port},
        "public_url": f"http://127.0.0.1:{port}{CTX}",
        "confluence": {"url": f"http://127.0.0.1:{stub_port}{CTX}", "auth": {"token": "t" * 20}},
        "documentserver": documentserver,
    }
    if proxy is not None:
        mapping["proxy"] = proxy
    settings = load_settings_from_mapping(mapping)
    gateway: TestServer = await aiohttp_server(create_app(settings), port=port)
    return gateway, settings
