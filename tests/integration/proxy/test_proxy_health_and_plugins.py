"""Health endpoints at the gateway root (never proxied), metrics, and plugin routes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from gateway.observability import READINESS_KEY
from gateway.proxy.plugin import PluginContext
from tests.integration.proxy.proxy_fixtures import MakeGateway, free_port
from tests.integration.proxy.upstream_stub import CTX


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def _ready(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


async def test_livez_and_readyz(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    assert await _get(gw.url("/livez")) == (200, "ok\n")
    assert await _ready(gw.url("/readyz")) == (
        200,
        {
            "status": "ok",
            "reason": "every dependency answers",
            "checks": {"confluence": {"status": "ok", "required": True, "reason": "state RUNNING"}},
        },
    )
    assert gw.stub.paths == [f"{CTX}/status"]  # health itself is never proxied; readyz probes <ctx>/status
    gw.stub.state = "STARTING"  # HTTP 200, but Confluence cannot serve yet
    status, body = await _ready(gw.url("/readyz"))
    assert status == 503 and body["checks"]["confluence"]["reason"] == "state is STARTING, not RUNNING"
    gw.stub.state = "RUNNING"
    assert (await _get(gw.url("/readyz")))[0] == 200
    gw.stub.healthy = False
    assert (await _get(gw.url("/readyz")))[0] == 503
    assert (await _get(gw.url("/livez")))[0] == 200  # liveness never depends on Confluence


async def test_readyz_fails_when_confluence_is_down_and_while_draining(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(upstream_port=free_port())
    status, body = await _ready(gw.url("/readyz"))
    assert (status, body["status"], body["reason"]) == (503, "unavailable", "confluence unavailable")
    assert body["checks"]["confluence"]["reason"] == "unreachable (ClientConnectorError)"
    assert (await _get(gw.url("/livez")))[0] == 200
    up = await make_gateway()
    up.server.app[READINESS_KEY].draining = True
    assert await _ready(up.url("/readyz")) == (
        503,
        {"status": "draining", "reason": "shutting down: finishing requests in flight"},
    )


async def test_readyz_probe_is_cached(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(readiness_cache_seconds=60)
    for _ in range(5):
        assert (await _get(gw.url("/readyz")))[0] == 200
    assert gw.stub.paths.count(f"{CTX}/status") == 1


async def test_metrics_count_requests_and_bytes(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    other = await make_gateway()  # a second app in the same process: separate registries
    await _get(gw.url(f"{CTX}/big?size=5000"))
    await _get(gw.url(f"{CTX}/nothing-here"))
    status, text = await _get(gw.url("/metrics"))
    assert status == 200
    assert 'gateway_requests_total{status_class="2xx"} 1.0' in text
    assert 'gateway_requests_total{status_class="4xx"} 1.0' in text
    downloaded = re.search(
        r'gateway_body_bytes_total\{direction="download",upstream="confluence"\} (\S+)', text
    )
    assert downloaded is not None and float(downloaded.group(1)) >= 5000
    assert 'gateway_upstream_response_seconds_count{upstream="confluence"} 2.0' in text
    _, other_text = await _get(other.url("/metrics"))
    assert 'gateway_requests_total{status_class="2xx"} 0.0' in other_text


def _downloaded(text: str) -> float:
    found = re.search(r'gateway_body_bytes_total\{direction="download",upstream="confluence"\} (\S+)', text)
    assert found is not None
    return float(found.group(1))


async def test_download_bytes_are_exactly_the_bytes_relayed(make_gateway: MakeGateway) -> None:
    """Counted once per response, streamed or not, including a body that broke off mid-way."""
    gw = await make_gateway()
    received = 0
    async with aiohttp.ClientSession() as session:
        for query in ("size=5000", "size=300000", "size=300000&chunked=1"):
            async with session.get(gw.url(f"{CTX}/big?{query}")) as response:
                received += len(await response.read())
        async with session.get(gw.url(f"{CTX}/dropmid")) as response:
            try:
                async for chunk in response.content.iter_any():
                    received += len(chunk)
            except aiohttp.ClientPayloadError:
                pass
    assert received >= 605000
    assert _downloaded((await _get(gw.url("/metrics")))[1]) == received


@dataclass
class Hello:
    name: str = "hello"

    def setup(self, context: PluginContext) -> None:
        async def hello(request: web.Request) -> web.Response:
            return web.Response(text=f"hello from {request.path}")

        context.add_route("GET", "doceditor", hello)


async def test_plugin_route_answers_under_context_path(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(plugins=(Hello(),))
    status, text = await _get(gw.url(f"{CTX}/plugins/servlet/onlyoffice/doceditor?attachmentId=1"))
    assert (status, text) == (200, f"hello from {CTX}/plugins/servlet/onlyoffice/doceditor")
    assert gw.stub.paths == []
    # Anything else, also under the plugin prefix, still goes to Confluence.
    status, _ = await _get(gw.url(f"{CTX}/plugins/servlet/onlyoffice/unknown"))
    assert status == 404
    assert gw.stub.paths == [f"{CTX}/plugins/servlet/onlyoffice/unknown"]
