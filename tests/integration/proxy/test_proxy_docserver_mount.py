"""The Document Server under a path of the gateway's origin: a second upstream on the same proxy core.

A stand-in Document Server (aiohttp, real loopback socket) records what reaches it; the Confluence
stub sits behind the same gateway, so routing between the two is tested too.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

from gateway.settings import Settings
from gateway.testing.stack import free_port
from tests.integration.proxy.docserver_mount import PREFIX, start_mounted_gateway
from tests.integration.proxy.upstream_stub import CTX

SEEN = web.AppKey("seen", list)


@dataclass
class Seen:
    path_qs: str
    headers: list[tuple[str, str]]
    body_size: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


async def _record(request: web.Request) -> Seen:
    body = await request.read()
    seen = Seen(request.path_qs, list(request.headers.items()), len(body))
    request.app[SEEN].append(seen)
    return seen


async def ds_echo(request: web.Request) -> web.Response:
    seen = await _record(request)
    return web.json_response({"path_qs": seen.path_qs, "size": seen.body_size})


async def ds_redirect(request: web.Request) -> web.Response:
    await _record(request)
    location = request.query.get("to", "/welcome/")
    return web.Response(status=302, headers={"Location": location})


async def ds_cookie(request: web.Request) -> web.Response:
    await _record(request)
    response = web.Response(text="cookie set")
    response.headers.add("Set-Cookie", "JSESSIONID=from-ds; Path=/")
    response.headers.add("Set-Cookie", "seraph.confluence=from-ds; Path=/confluence")
    return response


async def ds_slow_body(request: web.Request) -> web.StreamResponse:
    """A long download: each pause below the read timeout, the whole well above the header timeout."""
    await _record(request)
    response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    await response.prepare(request)
    for _ in range(6):
        await response.write(b"x" * 1000)
        await asyncio.sleep(0.4)
    await response.write_eof()
    return response


async def ds_socket(request: web.Request) -> web.WebSocketResponse:
    """The co-editing channel's path shape (`<version>/doc/<key>/c/`); echoes, or tells headers."""
    seen = await _record(request)
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for message in ws:
        if message.type is WSMsgType.TEXT and message.data == "headers":
            await ws.send_str(json.dumps({"path_qs": seen.path_qs, "headers": seen.headers}))
        elif message.type is WSMsgType.TEXT:
            await ws.send_str(message.data)
    return ws


def docserver_stub() -> web.Application:
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app[SEEN] = []
    app.router.add_get("/redirect", ds_redirect)
    app.router.add_get("/cookie", ds_cookie)
    app.router.add_get("/slow", ds_slow_body)
    app.router.add_get("/{version}/doc/{key}/c/", ds_socket)
    app.router.add_route("*", "/{tail:.*}", ds_echo)
    return app


@dataclass
class Mounted:
    gateway: TestServer
    docserver: TestServer
    confluence: TestServer
    settings: Settings

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.gateway.port}{path}"

    @property
    def seen(self) -> list[Seen]:
        assert self.docserver.app is not None
        return self.docserver.app[SEEN]


MakeMounted = Callable[..., Any]


@pytest.fixture
def make_mounted(aiohttp_server: Callable[..., Any], stub: TestServer) -> MakeMounted:
    async def make(timeout: float = 5.0, docserver_port: int | None = None, **proxy: Any) -> Mounted:
        docserver: TestServer = await aiohttp_server(docserver_stub())
        assert stub.port is not None and docserver.port is not None
        gateway, settings = await start_mounted_gateway(
            aiohttp_server, stub.port, docserver_port or docserver.port, timeout=timeout, proxy=proxy
        )
        return Mounted(gateway, docserver, stub, settings)

    return make


CREDENTIALS = {
    "Cookie": "JSESSIONID=alice-session; seraph.confluence=alice-remember",
    "Authorization": "Basic YWxpY2U6YWxpY2U=",
}
SPOOFED = {
    "X-Forwarded-Host": "evil.example.com",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Prefix": "/evil",
    "Forwarded": "host=evil.example.com;proto=https",
}


@pytest.mark.parametrize("trusted", [(), ("127.0.0.1/32",)], ids=["untrusted-peer", "trusted-peer"])
async def test_forwarded_headers_are_the_gateways_and_credentials_never_reach_it(
    make_mounted: MakeMounted, trusted: tuple[str, ...]
) -> None:
    mounted = await make_mounted(trusted_proxies=list(trusted))
    target = f"{PREFIX}/web-apps/apps/api/documents/api.js?shardkey=Khirz6zT_41&a=%20b"
    headers = {**CREDENTIALS, **SPOOFED, "X-Forwarded-For": "10.1.2.3", "Connection": "keep-alive"}
    async with aiohttp.ClientSession() as session, session.get(mounted.url(target), headers=headers) as r:
        assert r.status == 200
        assert await r.json() == {
            "path_qs": "/web-apps/apps/api/documents/api.js?shardkey=Khirz6zT_41&a=%20b",
            "size": 0,
        }
    (seen,) = mounted.seen
    assert seen.all("Cookie") == [] and seen.all("Authorization") == []
    assert seen.all("X-Forwarded-Host") == [f"127.0.0.1:{mounted.gateway.port}"]
    assert seen.all("X-Forwarded-Proto") == ["http"]
    assert seen.all("X-Forwarded-Prefix") == [PREFIX]
    assert seen.all("Forwarded") == []
    assert seen.all("Host") == [f"127.0.0.1:{mounted.docserver.port}"]
    # The client chain is kept only from a trusted proxy; the gateway's peer is always appended.
    assert seen.all("X-Forwarded-For") == (["10.1.2.3, 127.0.0.1"] if trusted else ["127.0.0.1"])


async def test_credentials_cannot_be_smuggled_by_connection_tokens(make_mounted: MakeMounted) -> None:
    mounted = await make_mounted()
    headers = {**CREDENTIALS, "Connection": "X-Forwarded-Prefix, X-Forwarded-Host, close"}
    async with aiohttp.ClientSession() as session, session.get(mounted.url(f"{PREFIX}/x"), headers=headers):
        pass
    (seen,) = mounted.seen
    assert seen.all("Cookie") == [] and seen.all("Authorization") == []
    assert seen.all("X-Forwarded-Prefix") == [PREFIX]


async def test_only_the_prefix_goes_to_the_document_server(make_mounted: MakeMounted) -> None:
    mounted = await make_mounted()
    async with aiohttp.ClientSession() as session:
        async with session.get(mounted.url(PREFIX)) as r:
            assert r.status == 200 and (await r.json())["path_qs"] == "/"
        async with session.get(mounted.url(f"{PREFIX}-other/x")) as r:
            assert r.status == 404  # Confluence's (the stub has no such path), not the Document Server's
        async with session.get(mounted.url(f"{CTX}/echo/here"), headers=CREDENTIALS) as r:
            assert r.status == 200
            confluence_saw = await r.json()
    assert [s.path_qs for s in mounted.seen] == ["/"]
    assert dict(confluence_saw["headers"])["Cookie"] == CREDENTIALS["Cookie"]  # Confluence still gets it


async def test_uploads_stream_through(make_mounted: MakeMounted) -> None:
    mounted = await make_mounted()
    payload = b"z" * (3 * 1024 * 1024)

    async def body() -> Any:
        for start in range(0, len(payload), 256 * 1024):
            yield payload[start : start + 256 * 1024]

    async with (
        aiohttp.ClientSession() as session,
        session.post(mounted.url(f"{PREFIX}/upload/k1"), data=body()) as r,
    ):
        assert r.status == 200
        assert await r.json() == {"path_qs": "/upload/k1", "size": len(payload)}


@pytest.mark.parametrize(
    ("location", "public"),
    [
        ("/welcome/", f"{PREFIX}/welcome/"),
        ("INTERNAL/welcome/?a=1", f"PUBLIC{PREFIX}/welcome/?a=1"),
        ("https://elsewhere.example.com/x", "https://elsewhere.example.com/x"),
    ],
)
async def test_locations_point_under_the_prefix(
    make_mounted: MakeMounted, location: str, public: str
) -> None:
    mounted = await make_mounted()
    internal = f"http://127.0.0.1:{mounted.docserver.port}"
    gateway = f"http://127.0.0.1:{mounted.gateway.port}"
    location = location.replace("INTERNAL", internal)
    async with (
        aiohttp.ClientSession() as session,
        session.get(mounted.url(f"{PREFIX}/redirect"), params={"to": location}, allow_redirects=False) as r,
    ):
        assert r.status == 302
        assert r.headers["Location"] == public.replace("PUBLIC", gateway)


async def test_document_server_cookies_are_dropped(make_mounted: MakeMounted) -> None:
    """One origin for both: a Document Server cookie must not shadow or replace Confluence's."""
    mounted = await make_mounted()
    async with aiohttp.ClientSession() as session, session.get(mounted.url(f"{PREFIX}/cookie")) as r:
        assert r.status == 200 and await r.text() == "cookie set"
        assert r.headers.getall("Set-Cookie", []) == []
        assert len(session.cookie_jar) == 0


async def test_a_long_download_is_not_cut(make_mounted: MakeMounted) -> None:
    mounted = await make_mounted(timeout=1.0)  # headers within 1 s, pauses under 1 s, body ~2.4 s
    async with aiohttp.ClientSession() as session, session.get(mounted.url(f"{PREFIX}/slow")) as r:
        assert r.status == 200
        assert await r.read() == b"x" * 6000


async def test_unreachable_document_server_is_502_and_counted(make_mounted: MakeMounted) -> None:
    mounted = await make_mounted(docserver_port=free_port())
    async with aiohttp.ClientSession() as session:
        async with session.get(mounted.url(f"{PREFIX}/healthcheck")) as r:
            assert r.status == 502
            assert "127.0.0.1" not in await r.text()  # no internal address in the error page
        async with session.get(mounted.url("/metrics")) as r:
            text = await r.text()
    assert re.search(r'gateway_upstream_errors_total\{kind="connect",upstream="documentserver"\} 1\.0', text)
    assert re.search(r'gateway_upstream_errors_total\{kind="connect",upstream="confluence"\} 0\.0', text)


async def test_websocket_under_the_prefix(make_mounted: MakeMounted) -> None:
    """The editor's socket.io channel: `<prefix>/<version>/doc/<key>/c/?EIO=4&transport=websocket`."""
    mounted = await make_mounted()
    path = f"{PREFIX}/9.3.0-abc/doc/Khirz6zT_41/c/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(mounted.url(path), headers={**CREDENTIALS, **SPOOFED}) as ws:
            await ws.send_str('42["message",{"type":"auth"}]')
            assert (await ws.receive(timeout=5)).data == '42["message",{"type":"auth"}]'
            await ws.send_str("headers")
            told = json.loads((await ws.receive(timeout=5)).data)
            async with session.get(mounted.url("/metrics")) as r:
                assert 'gateway_websockets_open{upstream="documentserver"} 1.0' in await r.text()
        async with session.get(mounted.url("/metrics")) as r:
            assert 'gateway_websockets_open{upstream="documentserver"} 0.0' in await r.text()
    assert told["path_qs"] == "/9.3.0-abc/doc/Khirz6zT_41/c/?EIO=4&transport=websocket"
    headers = {k.lower(): v for k, v in told["headers"]}
    assert "cookie" not in headers and "authorization" not in headers
    assert headers["x-forwarded-host"] == f"127.0.0.1:{mounted.gateway.port}"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-prefix"] == PREFIX
