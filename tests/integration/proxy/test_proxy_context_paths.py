"""Public context path different from Confluence's: mapped on the way in and back on the way out."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiohttp import web

from gateway.proxy.plugin import PluginContext
from tests.integration.proxy.proxy_fixtures import MakeGateway
from tests.integration.proxy.upstream_stub import CTX


class Hello:
    name = "hello"

    def setup(self, context: PluginContext) -> None:
        async def hello(request: web.Request) -> web.Response:
            return web.Response(text="plugin")

        context.add_route("GET", "doceditor", hello)


@pytest.mark.parametrize("public", ["/wiki", ""])
async def test_prefix_mapping_both_ways(make_gateway: MakeGateway, public: str) -> None:
    gw = await make_gateway(public_prefix=public, plugins=(Hello(),))
    up = gw.upstream.port
    async with aiohttp.ClientSession() as session:
        async with session.get(gw.url(f"{public}/echo/x?y=1")) as response:
            assert response.status == 200
            assert json.loads(await response.text())["raw_path"] == f"{CTX}/echo/x?y=1"
        for location, expected in (
            (f"http://127.0.0.1:{up}{CTX}/login.action", f"http://127.0.0.1:{gw.port}{public}/login.action"),
            (f"{CTX}/dashboard.action?a=1", f"{public}/dashboard.action?a=1"),
            ("/synchrony/x", "/synchrony/x"),  # outside the context: left alone
            (f"http://127.0.0.1:{up}/other", f"http://127.0.0.1:{gw.port}/other"),
        ):
            async with session.get(
                gw.url(f"{public}/redirect"), params={"location": location}, allow_redirects=False
            ) as response:
                assert response.headers["Location"] == expected
        async with session.get(gw.url(f"{public}/plugins/servlet/onlyoffice/doceditor")) as response:
            assert await response.text() == "plugin"
