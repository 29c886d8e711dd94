"""Header hygiene through the gateway: hop-by-hop, X-Forwarded-*, Location rewriting, Host checks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tests.integration.proxy.proxy_fixtures import Gateway, MakeGateway
from tests.integration.proxy.upstream_stub import CTX


async def _raw(gw: Gateway, head: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Send a hand-written request (aiohttp's client would normalise the headers we test)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    writer.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head_bytes, _, payload = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        out = b""
        while payload:
            size_line, _, payload = payload.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            out += payload[:size]
            payload = payload[size + 2 :]
        payload = out
    return int(lines[0].split()[1]), headers, payload


def _upstream_saw(body: bytes) -> dict[str, Any]:
    seen: dict[str, Any] = json.loads(body)
    seen["h"] = {k.lower(): v for k, v in seen["headers"]}
    return seen


async def test_hop_by_hop_and_connection_named_headers_stripped(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    status, _, body = await _raw(
        gw,
        f"GET {CTX}/echo HTTP/1.1\nHost: 127.0.0.1:{gw.port}\n"
        "Connection: close, X-Secret-Hop, Keep-Alive\nX-Secret-Hop: 1\nKeep-Alive: timeout=5\n"
        "TE: trailers\nProxy-Authorization: Basic eDp5\nProxy-Connection: keep-alive\nUpgrade: h2c\n"
        "X-Normal: yes\n",
    )
    assert status == 200
    seen = _upstream_saw(body)["h"]
    for name in ("x-secret-hop", "keep-alive", "te", "proxy-authorization", "proxy-connection", "upgrade"):
        assert name not in seen, name
    assert seen.get("connection", "keep-alive").lower() in ("keep-alive", "close")
    assert seen["x-normal"] == "yes"


async def test_client_cannot_strip_gateway_headers_via_connection(make_gateway: MakeGateway) -> None:
    """CVE-2024-45410 class: `Connection: close, X-Forwarded-For` must not remove what the gateway adds."""
    gw = await make_gateway()
    status, _, body = await _raw(
        gw,
        f"GET {CTX}/echo HTTP/1.1\nHost: 127.0.0.1:{gw.port}\n"
        "Connection: close, X-Forwarded-For, X-Forwarded-Host, X-Forwarded-Proto, Forwarded, "
        "Authorization, Cookie\n"
        "X-Forwarded-For: 6.6.6.6\nX-Forwarded-Host: evil.example\nAuthorization: Bearer user-token\n"
        "Cookie: JSESSIONID=abc\nForwarded: for=6.6.6.6\n",
    )
    assert status == 200
    seen = _upstream_saw(body)["h"]
    assert seen["x-forwarded-for"] == "127.0.0.1"  # untrusted peer: replaced, spoofed value gone
    assert seen["x-forwarded-host"] == f"127.0.0.1:{gw.port}"
    assert seen["x-forwarded-proto"] == "http"
    assert "forwarded" not in seen
    assert seen["authorization"] == "Bearer user-token"
    assert seen["cookie"] == "JSESSIONID=abc"


async def test_trusted_proxy_forwarded_for_is_appended(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(trusted_proxies=["127.0.0.0/8"])
    _status, _, body = await _raw(
        gw,
        f"GET {CTX}/echo HTTP/1.1\nHost: 127.0.0.1:{gw.port}\nConnection: close\n"
        "X-Forwarded-For: 203.0.113.9\nX-Forwarded-Proto: https\nX-Forwarded-Host: wiki.example.com\n",
    )
    seen = _upstream_saw(body)["h"]
    assert seen["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    assert seen["x-forwarded-proto"] == "https"
    assert seen["x-forwarded-host"] == "wiki.example.com"


async def test_response_hop_by_hop_stripped(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    async with aiohttp.ClientSession() as session, session.get(gw.url(f"{CTX}/echo")) as response:
        assert "Keep-Alive" not in response.headers
        assert response.headers.get("Transfer-Encoding") is None


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (
            "http://127.0.0.1:{up}/confluence/login.action?os_destination=%2Fx",
            "http://127.0.0.1:{gw}/confluence/login.action?os_destination=%2Fx",
        ),
        ("http://127.0.0.1:{up}/confluence/x#frag", "http://127.0.0.1:{gw}/confluence/x#frag"),
        ("https://foreign.example/confluence/x", "https://foreign.example/confluence/x"),
        (
            "http://127.0.0.1:{up}.evil.example/confluence/x",
            "http://127.0.0.1:{up}.evil.example/confluence/x",
        ),
        (
            "https://127.0.0.1:{up}/confluence/x",
            "https://127.0.0.1:{up}/confluence/x",
        ),  # other scheme: other origin
        ("/confluence/dashboard.action", "/confluence/dashboard.action"),
        ("//127.0.0.1:{up}/confluence/x", "//127.0.0.1:{up}/confluence/x"),
    ],
)
async def test_location_rewritten_only_for_upstream_origin(
    make_gateway: MakeGateway, location: str, expected: str
) -> None:
    gw = await make_gateway()
    up = gw.upstream.port
    location = location.format(up=up, gw=gw.port)
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            gw.url(f"{CTX}/redirect"),
            params={"location": location, "content-location": location, "refresh": f"0; url={location}"},
            allow_redirects=False,
        ) as response,
    ):
        assert response.status == 302
        want = expected.format(up=up, gw=gw.port)
        assert response.headers["Location"] == want
        assert response.headers["Content-Location"] == want
        assert response.headers["Refresh"] == f"0; url={want}"


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1:1", "", "confluence:8090"])
async def test_unknown_host_refused(make_gateway: MakeGateway, host: str) -> None:
    gw = await make_gateway()
    status, _, body = await _raw(gw, f"GET {CTX}/echo HTTP/1.1\nHost: {host}\nConnection: close\n")
    assert status == 421
    assert b"Misdirected" in body
    assert gw.stub.hits == 0


async def test_internal_host_accepted_and_health_needs_no_host(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    status, _, body = await _raw(
        gw, f"GET {CTX}/echo HTTP/1.1\nHost: localhost:{gw.port}\nConnection: close\n"
    )
    assert status == 200
    assert _upstream_saw(body)["h"]["host"] == f"127.0.0.1:{gw.port}"  # upstream still sees the public host
    status, _, body = await _raw(gw, "GET /livez HTTP/1.1\nHost: anything\nConnection: close\n")
    assert status == 200


async def test_absolute_form_target_forwards_only_the_path(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    status, _, body = await _raw(
        gw,
        f"GET http://evil.example{CTX}/echo/abs?x=%20 HTTP/1.1\n"
        f"Host: 127.0.0.1:{gw.port}\nConnection: close\n",
    )
    assert status == 200
    assert _upstream_saw(body)["raw_path"] == f"{CTX}/echo/abs?x=%20"


async def test_expect_continue_oversize_refused_before_body(make_gateway: MakeGateway) -> None:
    gw = await make_gateway(max_upload_bytes=1000)
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    writer.write(
        f"POST {CTX}/upload HTTP/1.1\r\nHost: 127.0.0.1:{gw.port}\r\nContent-Length: 5000\r\n"
        "Expect: 100-continue\r\n\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    writer.close()
    assert head.startswith(b"HTTP/1.1 413 ")  # no "100 Continue" first: the client never sends the body
    assert b"Connection: close" in head
    assert gw.stub.hits == 0


async def test_expect_continue_within_limit_is_forwarded(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.port)
    writer.write(
        f"POST {CTX}/upload HTTP/1.1\r\nHost: 127.0.0.1:{gw.port}\r\nContent-Length: 5\r\n"
        "Expect: 100-continue\r\nConnection: close\r\n\r\n".encode()
    )
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert interim.startswith(b"HTTP/1.1 100 Continue")
    writer.write(b"hello")
    rest = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    assert rest.startswith(b"HTTP/1.1 200")
    assert rest.endswith(b'{"bytes": 5}')
