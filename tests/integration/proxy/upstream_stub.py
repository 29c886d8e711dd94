"""A small but real upstream for proxy tests: a Confluence-shaped aiohttp app on loopback.

It echoes what it received, streams big bodies, counts uploads, sets cookies, redirects, serves
gzip/br HTML, echoes WebSocket messages, delays and drops connections. Every request is counted
so smuggling tests can prove nothing reached it.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import brotli  # type: ignore[import-untyped]
from aiohttp import WSMsgType, web

__all__ = ["CTX", "HTML", "StubState", "create_stub_app"]

CTX = "/confluence"
HTML = (
    "<!DOCTYPE html><html><head><title>Attachments</title></head><body>"
    + "".join(f'<p class="attachment">file-{i}.docx</p>' for i in range(20000))
    + "</body></html>"
).encode()
_CHUNK = 64 * 1024


@dataclass
class StubState:
    hits: int = 0
    paths: list[str] = field(default_factory=list)
    healthy: bool = True
    state: str = "RUNNING"
    upload_bytes: int = 0
    ws_close_codes: list[int | None] = field(default_factory=list)
    body_released: asyncio.Event = field(default_factory=asyncio.Event)  # /headersfirst sends its body


STATE = web.AppKey("stub_state", StubState)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _count(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    state.hits += 1
    state.paths.append(request.raw_path)
    return await handler(request)


async def status(request: web.Request) -> web.Response:
    if not request.app[STATE].healthy:
        return web.json_response({"state": "ERROR"}, status=503)
    return web.json_response({"state": request.app[STATE].state})


async def echo(request: web.Request) -> web.Response:
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
    return web.json_response(
        {
            "method": request.method,
            "raw_path": request.raw_path,
            "headers": list(request.headers.items()),
            "body_bytes": size,
            "chunked": request.headers.get("Transfer-Encoding", "").lower() == "chunked",
            "peer_port": request.transport.get_extra_info("peername")[1] if request.transport else None,
        }
    )


async def big(request: web.Request) -> web.StreamResponse:
    size = int(request.query["size"])
    response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    if request.query.get("chunked") != "1":
        response.content_length = size
    await response.prepare(request)
    if request.method == "HEAD":
        return response
    block = b"x" * _CHUNK
    sent = 0
    try:
        while sent < size:
            part = block[: min(_CHUNK, size - sent)]
            await response.write(part)
            sent += len(part)
        await response.write_eof()
    except ConnectionResetError:
        # The gateway hung up (its client left): expected here, and not the gateway's log to judge.
        pass
    return response


async def upload(request: web.Request) -> web.Response:
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
    request.app[STATE].upload_bytes = size
    return web.json_response({"bytes": size})


async def set_cookie(request: web.Request) -> web.Response:
    user = request.query["user"]
    response = web.Response(text="ok")
    response.headers.add("Set-Cookie", f"JSESSIONID={user}; Path={CTX}; HttpOnly")
    response.headers.add("Set-Cookie", f"seraph.confluence={user}-remember; Path={CTX}")
    return response


async def whoami(request: web.Request) -> web.Response:
    await asyncio.sleep(float(request.query.get("delay", "0")))
    return web.Response(text=request.headers.get("Cookie", ""))


async def redirect(request: web.Request) -> web.Response:
    response = web.Response(status=302)
    for name in ("Location", "Content-Location"):
        if name.lower() in request.query:
            response.headers[name] = request.query[name.lower()]
    if "refresh" in request.query:
        response.headers["Refresh"] = request.query["refresh"]
    return response


def _encode(body: bytes, coding: str) -> bytes:
    if coding == "gzip":
        # mtime=0: the same body gives the same bytes, so tests that compare two responses
        # fetched a second apart do not see the gzip header's timestamp change.
        return gzip.compress(body, mtime=0)
    if coding == "br":
        return bytes(brotli.compress(body, quality=5))
    if coding == "deflate":
        return zlib.compress(body)
    return body


async def html(request: web.Request) -> web.StreamResponse:
    coding = request.query.get("enc", "identity")
    body = _encode(HTML, coding)
    if request.query.get("corrupt") == "1":
        body = body[:20] + b"\x00garbage" * 50 + body[20:]
    headers = {"Content-Type": "text/html;charset=UTF-8", "ETag": '"page-1"', "Vary": "Accept-Encoding"}
    if coding != "identity":
        headers["Content-Encoding"] = coding
    if request.query.get("nt") == "1":
        headers["Cache-Control"] = "no-transform"
    status = int(request.query.get("status", "200"))
    response = web.StreamResponse(status=status, headers=headers)
    if request.query.get("chunked") != "1":
        response.content_length = len(body)
    await response.prepare(request)
    if request.method == "HEAD":
        return response
    for i in range(0, len(body), 1000):  # many small writes: filters must cope with split input
        await response.write(body[i : i + 1000])
    await response.write_eof()
    return response


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(float(request.query.get("delay", "1")))
    return web.Response(text="slow done")


async def slow_body(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    response.content_length = 20
    await response.prepare(request)
    await response.write(b"0123456789")
    await asyncio.sleep(float(request.query.get("delay", "1")))
    await response.write(b"abcdefghij")
    await response.write_eof()
    return response


async def headers_first(request: web.Request) -> web.StreamResponse:
    """Headers now, the body only once the test has seen them (sets `body_released`)."""
    response = web.StreamResponse()
    response.content_length = 4
    await response.prepare(request)
    await request.app[STATE].body_released.wait()
    await response.write(b"body")
    await response.write_eof()
    return response


async def drop(request: web.Request) -> web.Response:
    assert request.transport is not None
    request.transport.abort()
    raise asyncio.CancelledError  # never answer


async def drop_mid(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    response.content_length = 100_000
    await response.prepare(request)
    await response.write(b"y" * 1000)
    assert request.transport is not None
    request.transport.abort()
    return response


async def big_headers(request: web.Request) -> web.Response:
    return web.Response(text=str(len(request.headers.get("Cookie", ""))), headers={"X-Big": "b" * 12000})


async def websocket_echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(protocols=("synchrony-v1", "other"), max_msg_size=0)
    await ws.prepare(request)
    async for message in ws:
        if message.type is WSMsgType.TEXT:
            if message.data.startswith("close:"):
                await ws.close(code=int(message.data[6:]), message=b"bye")
                break
            if message.data == "headers":
                await ws.send_str(json.dumps(dict(request.headers)))
                continue
            await ws.send_str(message.data)
        elif message.type is WSMsgType.BINARY:
            await ws.send_bytes(message.data)
    request.app[STATE].ws_close_codes.append(ws.close_code)
    return ws


async def websocket_refuse(request: web.Request) -> web.Response:
    return web.Response(status=403, text="no")


def create_stub_app() -> web.Application:
    app = web.Application(
        middlewares=[_count], handler_args={"max_field_size": 65536, "max_line_size": 65536}
    )
    app[STATE] = StubState()
    r = app.router
    r.add_get(f"{CTX}/status", status)
    r.add_route("*", f"{CTX}/echo{{tail:.*}}", echo)
    r.add_get(f"{CTX}/big", big)
    r.add_post(f"{CTX}/upload", upload)
    r.add_put(f"{CTX}/upload", upload)
    r.add_get(f"{CTX}/setcookie", set_cookie)
    r.add_get(f"{CTX}/whoami", whoami)
    r.add_get(f"{CTX}/redirect", redirect)
    r.add_get(f"{CTX}/html", html)
    r.add_get(f"{CTX}/slow", slow)
    r.add_get(f"{CTX}/slowbody", slow_body)
    r.add_get(f"{CTX}/headersfirst", headers_first)
    r.add_get(f"{CTX}/drop", drop)
    r.add_get(f"{CTX}/dropmid", drop_mid)
    r.add_get(f"{CTX}/bigheaders", big_headers)
    r.add_get("/synchrony/v1", websocket_echo)
    r.add_get(f"{CTX}/synchrony-proxy/v1", websocket_echo)
    r.add_get(f"{CTX}/ws-refused", websocket_refuse)
    return app
