"""HTTP forwarding through a real gateway to a real stub upstream, on loopback sockets."""

from __future__ import annotations

import asyncio
import gzip
import random

import aiohttp
import brotli  # type: ignore[import-untyped]
from multidict import CIMultiDictProxy

from tests.integration.proxy.proxy_fixtures import MakeGateway
from tests.integration.proxy.upstream_stub import CTX, HTML


async def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, CIMultiDictProxy[str], bytes]:
    async with (
        aiohttp.ClientSession(auto_decompress=False, max_field_size=65536) as session,
        session.get(url, allow_redirects=False, headers=headers) as response,
    ):
        return response.status, response.headers, await response.read()


async def test_request_reaches_upstream_with_path_query_and_forwarded_headers(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway()
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            gw.url(f"{CTX}/echo/a%2Fb/%E2%82%AC?x=1&y=%20"), headers={"X-Custom": "kept"}
        ) as response,
    ):
        assert response.status == 200
        seen = await response.json()
    headers = {k.lower(): v for k, v in seen["headers"]}
    assert seen["raw_path"] == f"{CTX}/echo/a%2Fb/%E2%82%AC?x=1&y=%20"
    assert headers["x-custom"] == "kept"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == f"127.0.0.1:{gw.port}"
    assert headers["host"] == f"127.0.0.1:{gw.port}"  # the public host: Confluence builds public URLs
    assert headers["user-agent"].startswith("Python/")  # the client's own User-Agent, passed through


async def test_no_auto_headers_added(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    writer.write(
        f"GET {CTX}/echo HTTP/1.1\r\nHost: 127.0.0.1:{gw.port}\r\nConnection: close\r\n\r\n".encode()
    )
    data = await reader.read()
    writer.close()
    body = data.split(b"\r\n\r\n", 1)[1]
    names = {name.lower() for name, _ in __import__("json").loads(body)["headers"]}
    assert {"user-agent", "accept-encoding", "accept", "content-type"}.isdisjoint(names)


async def test_post_body_streams_with_content_length(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    payload = random.randbytes(300_000)
    async with (
        aiohttp.ClientSession() as session,
        session.post(gw.url(f"{CTX}/echo"), data=payload) as response,
    ):
        seen = await response.json()
    assert seen["body_bytes"] == len(payload)
    assert not seen["chunked"]
    assert dict((k.lower(), v) for k, v in seen["headers"])["content-length"] == str(len(payload))


async def test_chunked_upload_forwarded(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()

    async def body() -> object:
        for _ in range(10):
            yield b"z" * 10_000

    async with (
        aiohttp.ClientSession() as session,
        session.put(gw.url(f"{CTX}/upload"), data=body()) as response,
    ):
        assert (await response.json()) == {"bytes": 100_000}


async def test_download_content_length_kept_and_body_identical(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    status, headers, body = await _get(gw.url(f"{CTX}/big?size=1000000"))
    assert status == 200
    assert headers["Content-Length"] == "1000000"
    assert body == b"x" * 1_000_000


async def test_compressed_bodies_pass_through_untouched(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    for coding, expected in (("gzip", gzip.decompress), ("br", brotli.decompress)):
        status, headers, body = await _get(gw.url(f"{CTX}/html?enc={coding}"))
        assert status == 200
        assert headers["Content-Encoding"] == coding
        assert headers["ETag"] == '"page-1"'
        assert expected(body) == HTML


async def test_head_keeps_content_length(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    async with aiohttp.ClientSession() as session, session.head(gw.url(f"{CTX}/big?size=12345")) as response:
        assert response.status == 200
        assert response.headers.get("Content-Length") == "12345"
        assert await response.read() == b""


async def test_redirects_not_followed_and_multiple_set_cookie_kept(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    status, headers, _ = await _get(gw.url(f"{CTX}/redirect?location=/confluence/login.action"))
    assert status == 302
    assert headers["Location"] == "/confluence/login.action"
    status, headers, _ = await _get(gw.url(f"{CTX}/setcookie?user=alice"))
    assert headers.getall("Set-Cookie") == [
        f"JSESSIONID=alice; Path={CTX}; HttpOnly",
        f"seraph.confluence=alice-remember; Path={CTX}",
    ]


async def test_large_cookie_header_accepted(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    cookie = "JSESSIONID=abc; crowd.token_key=" + "k" * (16 * 1024)
    status, headers, body = await _get(gw.url(f"{CTX}/bigheaders"), headers={"Cookie": cookie})
    assert status == 200
    assert body == str(len(cookie)).encode()
    assert len(headers["X-Big"]) == 12000  # large upstream response header too


async def test_cookies_never_mixed_between_users(make_gateway: MakeGateway) -> None:
    """Two users, many interleaved requests over one pooled upstream session: each sees only its own."""
    gw = await make_gateway()
    jars = {user: aiohttp.CookieJar(unsafe=True) for user in ("alice", "bob")}
    sessions = {user: aiohttp.ClientSession(cookie_jar=jar) for user, jar in jars.items()}
    try:
        for user, session in sessions.items():
            async with session.get(gw.url(f"{CTX}/setcookie?user={user}")) as response:
                assert response.status == 200

        async def ask(user: str) -> None:
            delay = random.choice(("0", "0.01", "0.02"))
            async with sessions[user].get(gw.url(f"{CTX}/whoami?delay={delay}")) as response:
                cookie = await response.text()
            assert f"JSESSIONID={user}" in cookie
            other = "bob" if user == "alice" else "alice"
            assert other not in cookie

        await asyncio.gather(*(ask(random.choice(("alice", "bob"))) for _ in range(200)))
        # A third, cookie-less client never inherits anyone's cookies from the shared session.
        status, _, body = await _get(gw.url(f"{CTX}/whoami"))
        assert status == 200 and body == b""
    finally:
        for session in sessions.values():
            await session.close()


async def test_upload_over_limit_announced_is_413_without_contacting_upstream(
    make_gateway: MakeGateway,
) -> None:
    gw = await make_gateway(max_upload_bytes=100_000)
    async with (
        aiohttp.ClientSession() as session,
        session.post(gw.url(f"{CTX}/upload"), data=b"a" * 200_000) as response,
    ):
        assert response.status == 413
        assert "Content Too Large" in await response.text()
    assert gw.stub.paths == []


async def test_chunked_upload_over_limit_is_413(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(max_upload_bytes=100_000)

    async def body() -> object:
        for _ in range(40):
            yield b"z" * 10_000

    async with aiohttp.ClientSession() as session:
        try:
            async with session.post(gw.url(f"{CTX}/upload"), data=body()) as response:
                assert response.status == 413
        except aiohttp.ClientOSError:
            pass  # the gateway may close while the client is still sending; then check the upstream
    assert gw.stub.upload_bytes < 200_000


async def test_upload_exactly_at_limit_passes(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(max_upload_bytes=100_000)
    async with (
        aiohttp.ClientSession() as session,
        session.post(gw.url(f"{CTX}/upload"), data=b"a" * 100_000) as response,
    ):
        assert (await response.json()) == {"bytes": 100_000}


async def test_upstream_connections_are_pooled(make_gateway: MakeGateway) -> None:
    """One long-lived session: sequential requests reuse one keep-alive connection to Confluence."""
    gw = await make_gateway()
    ports = set()
    async with aiohttp.ClientSession() as session:
        for _ in range(5):
            async with session.get(gw.url(f"{CTX}/echo")) as response:
                ports.add((await response.json())["peer_port"])
            async with session.get(gw.url(f"{CTX}/big?size=300000")) as response:
                await response.read()
    assert len(ports) == 1


async def test_response_headers_are_not_held_back_until_the_body_comes(make_gateway: MakeGateway) -> None:
    """Headers sent before any body byte reach the browser before any body byte exists.

    The gateway sends headers together with the first body chunk only when that chunk is already
    there; here it is not, and the upstream sends it only once the client has seen the headers.
    """
    gw = await make_gateway()
    async with aiohttp.ClientSession() as session:
        async with asyncio.timeout(10):
            response = await session.get(gw.url(f"{CTX}/headersfirst"))
        async with response:
            assert response.status == 200
            assert response.headers["Content-Length"] == "4"
            gw.stub.body_released.set()
            assert await response.read() == b"body"


async def test_a_body_in_two_parts_reaches_the_browser_part_by_part(make_gateway: MakeGateway) -> None:
    """The relay joins what arrives together (gateway/proxy/coalesce.py), never what an upstream
    sends with a pause between: the first part is the browser's long before the second exists."""
    gw = await make_gateway()
    async with (
        aiohttp.ClientSession() as session,
        session.get(gw.url(f"{CTX}/slowbody?delay=1.5")) as response,
    ):
        started = asyncio.get_running_loop().time()
        first = await response.content.readany()
        waited = asyncio.get_running_loop().time() - started
        rest = await response.read()
    assert first == b"0123456789"
    assert waited < 1.0
    assert rest == b"abcdefghij"
