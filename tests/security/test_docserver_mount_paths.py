"""The Document Server mounted under a path of the gateway's origin, attacked through the path.

aiohttp routes on the decoded, dot-normalised path while the proxy forwards the raw target: the two
must never disagree about the upstream. A target that only decodes (or normalises) into the mount
prefix is not the Document Server's, and one under the prefix never reaches Confluence. Sent over a
raw socket, so no client library normalises the target first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.integration.proxy.docserver_mount import PREFIX, start_mounted_gateway
from tests.integration.proxy.upstream_stub import CTX, STATE

DS_SEEN = web.AppKey("ds_seen", list)
COOKIE = "JSESSIONID=alice-session"


async def _ds_record(request: web.Request) -> web.Response:
    request.app[DS_SEEN].append((request.raw_path, request.headers.get("Cookie")))
    return web.Response(text="document server")


@pytest.fixture
async def mounted(
    aiohttp_server: Callable[..., Any], stub: TestServer
) -> tuple[TestServer, TestServer, TestServer]:
    ds_app = web.Application()
    ds_app[DS_SEEN] = []
    ds_app.router.add_route("*", "/{tail:.*}", _ds_record)
    docserver: TestServer = await aiohttp_server(ds_app)
    assert stub.port is not None and docserver.port is not None
    gateway, _ = await start_mounted_gateway(aiohttp_server, stub.port, docserver.port)
    return gateway, docserver, stub


async def _raw_get(server: TestServer, target: str) -> bytes:
    port = server.port
    assert port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {COOKIE}\r\nConnection: close\r\n\r\n".encode()
    )
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


# Under the prefix as sent: the Document Server's, whatever the dot-segments or encodings after it.
UNDER_PREFIX = [
    f"{PREFIX}/..%2F..{CTX}/echo/x",
    f"{PREFIX}/..%2f..%2f{CTX[1:]}/echo/x",
    f"{PREFIX}/../{CTX[1:]}/echo/x",
    f"{PREFIX}/%2e%2e/{CTX[1:]}/echo/x",
]
# Not under the prefix as sent, though some decode or normalise into it.
NOT_UNDER_PREFIX = [
    f"{PREFIX}%2F..%2F{CTX[1:]}/echo/x",
    f"{CTX}/..%2F..{PREFIX}/x",
    f"{CTX}/../{PREFIX[1:]}/x",
    f"{CTX}/%2e%2e{PREFIX}/x",
    f"{CTX}/echo/..%2F..%2F..{PREFIX}/x",
    "/%64s-vpath/x",
    f"{PREFIX.replace('-', '%2D')}/x",
    f"{PREFIX}%2Fx",
    f"/./{PREFIX[1:]}/x",
    f"//{PREFIX[1:]}/x",
]


@pytest.mark.parametrize("target", UNDER_PREFIX)
async def test_a_target_under_the_prefix_never_reaches_confluence(
    mounted: tuple[TestServer, TestServer, TestServer], target: str
) -> None:
    gateway, docserver, stub = mounted
    data = await _raw_get(gateway, target)
    assert docserver.app is not None and stub.app is not None
    assert data.startswith(b"HTTP/1.1 200 "), data[:200]
    assert stub.app[STATE].hits == 0
    # Forwarded as sent, prefix stripped, and without the browser's Confluence credentials.
    assert docserver.app[DS_SEEN] == [(target[len(PREFIX) :], None)]


@pytest.mark.parametrize("target", NOT_UNDER_PREFIX)
async def test_a_path_that_only_decodes_into_the_prefix_does_not_reach_the_document_server(
    mounted: tuple[TestServer, TestServer, TestServer], target: str
) -> None:
    gateway, docserver, _ = mounted
    data = await _raw_get(gateway, target)
    assert docserver.app is not None
    assert data.startswith(b"HTTP/1.1 "), data[:200]
    assert b"Traceback" not in data
    assert docserver.app[DS_SEEN] == []


async def _raw(server: TestServer, method: str, target: str) -> bytes:
    port = server.port
    assert port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
    )
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


# The Document Server's nginx serves these to 127.0.0.1 only; through the mount every request comes
# from the gateway, which is 127.0.0.1 when both share a host (PUT .../inactive shuts a node down).
ADMIN = [
    ("GET", "/info/info.json"),
    ("GET", "/info"),
    ("PUT", "/internal/cluster/inactive"),
    ("DELETE", "/internal/cluster/inactive"),
    ("GET", "/9.3.0-abc/info/info.json"),
    ("GET", "/%69nfo/info.json"),
    ("GET", "/%2569nfo/info.json"),
    ("GET", "/INFO/info.json"),
    ("GET", "//info/info.json"),
    ("GET", "/./info/"),
    ("GET", "/web-apps/../info/info.json"),
    ("GET", "/web-apps/..%2Finternal/cluster/inactive"),
    ("GET", "/web-apps/%2e%2e/info/"),
]
NOT_ADMIN = ["/web-apps/apps/api/documents/api.js", "/cache/files/data/k/info/info.docx", "/information"]


@pytest.mark.parametrize(("method", "path"), ADMIN, ids=[f"{m} {p}" for m, p in ADMIN])
async def test_localhost_only_document_server_paths_are_not_exposed(
    mounted: tuple[TestServer, TestServer, TestServer], method: str, path: str
) -> None:
    gateway, docserver, _ = mounted
    data = await _raw(gateway, method, PREFIX + path)
    assert docserver.app is not None
    assert data.startswith(b"HTTP/1.1 404 "), data[:200]
    assert docserver.app[DS_SEEN] == []


async def test_other_document_server_paths_still_pass(
    mounted: tuple[TestServer, TestServer, TestServer],
) -> None:
    gateway, docserver, _ = mounted
    for path in NOT_ADMIN:
        assert (await _raw(gateway, "GET", PREFIX + path)).startswith(b"HTTP/1.1 200 "), path
    assert docserver.app is not None
    assert [seen for seen, _ in docserver.app[DS_SEEN]] == NOT_ADMIN
