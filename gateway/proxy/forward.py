"""Forward one HTTP request to Confluence and stream the answer back, neither body buffered whole.

The answer is relayed in pieces joined for at most 2 ms or 256 KiB (`coalesce.py`), the upload as
it arrives.

Failure mapping (nginx semantics): cannot connect / connection dropped before headers -> 502;
no response headers in time -> 504; the upload grows past the limit -> 413; the upload pauses
longer than `listen.body_timeout` -> 408. Once the response
headers went out a failure can only abort the client connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import AsyncIterator

import aiohttp
import brotli  # type: ignore[import-untyped]
from aiohttp import web

from gateway.proxy.coalesce import coalesced
from gateway.proxy.context import PROXY_KEY, SESSION_KEY, ProxyContext
from gateway.proxy.errors import error_page
from gateway.proxy.filters import start_pipeline
from gateway.proxy.headers import downstream_headers
from gateway.proxy.websocket import bridge_websocket, is_websocket_upgrade

__all__ = ["forward", "proxy_expect_handler", "proxy_handler", "request_target"]

log = logging.getLogger("gateway.proxy")


class UploadTooLarge(Exception):
    """The client sent more body bytes than proxy.max_upload_bytes."""


class _Upload:
    """Relays the request body chunk by chunk, counting bytes against the limit.

    When the body is fully sent the response-header deadline starts: a slow, large upload must
    not count against `confluence.response_timeout`.
    """

    def __init__(
        self,
        content: aiohttp.StreamReader,
        limit: int,
        on_done: asyncio.Timeout,
        response_timeout: float,
        ctx: ProxyContext,
    ) -> None:
        self._content = content
        self._limit = limit
        self._deadline = on_done
        self._response_timeout = response_timeout
        self._ctx = ctx
        self._pause_limit = ctx.settings.listen.body_timeout
        self.size = 0
        self.exceeded = False
        self.client_failed = False
        self.client_stalled = False
        self.waiting_for_headers = True

    async def stream(self) -> AsyncIterator[bytes]:
        counter = self._ctx.meters.uploaded
        chunks = self._content.iter_any()
        while True:
            try:
                async with asyncio.timeout(self._pause_limit):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                break
            except TimeoutError:
                self.client_stalled = True  # a body that trickles (or stopped) holds Confluence too
                raise
            except Exception:
                self.client_failed = True  # the browser went away or sent a broken body
                raise
            self.size += len(chunk)
            if self.size > self._limit:
                self.exceeded = True
                raise UploadTooLarge
            counter.inc(len(chunk))
            yield chunk
        if self.waiting_for_headers:  # Confluence may answer before reading the whole body
            self._deadline.reschedule(asyncio.get_running_loop().time() + self._response_timeout)


def _too_large() -> web.Response:
    response = error_page(413)
    response.force_close()  # the rest of the body is never read
    return response


async def proxy_expect_handler(request: web.Request) -> web.StreamResponse | None:
    """`Expect: 100-continue`: refuse an announced oversize upload before the client sends it."""
    limit = request.app[PROXY_KEY].settings.proxy.max_upload_bytes
    if request.content_length is not None and request.content_length > limit:
        return _too_large()
    if request.headers.get("Expect", "").lower() != "100-continue":
        return error_page(417)
    await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    request.writer.output_size = 0
    return None


def request_target(request: web.Request) -> str:
    """Path and query as sent; an absolute-form target (`GET http://host/x`) keeps only `/x`."""
    target = request.raw_path
    return target if target.startswith("/") else request.rel_url.raw_path_qs


async def proxy_handler(request: web.Request) -> web.StreamResponse:
    """The catch-all route: everything that is not health or a plugin route goes to Confluence."""
    return await forward(request, request.app[PROXY_KEY], request.app[SESSION_KEY])


async def forward(
    request: web.Request, ctx: ProxyContext, session: aiohttp.ClientSession
) -> web.StreamResponse:
    """Forward one request (HTTP or WebSocket) to the upstream `ctx` describes, over `session`.

    Separate from the route so a second upstream (e.g. the Document Server under a path of the
    public origin) is another context + session + route, not another code path.
    """
    if is_websocket_upgrade(request):
        return await bridge_websocket(request, ctx, session)
    limit = ctx.settings.proxy.max_upload_bytes
    if request.content_length is not None and request.content_length > limit:
        return _too_large()

    headers = ctx.upstream_headers(request)
    url = ctx.upstream.upstream_url(request_target(request))
    response_timeout = ctx.response_timeout
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    upload: _Upload | None = None
    try:
        async with asyncio.timeout(None) as deadline:
            data: AsyncIterator[bytes] | None = None
            if request.body_exists:
                if request.content_length is not None:
                    headers["Content-Length"] = str(request.content_length)
                upload = _Upload(request.content, limit, deadline, response_timeout, ctx)
                data = upload.stream()
            else:
                deadline.reschedule(loop.time() + response_timeout)
            try:
                upstream = await session.request(
                    request.method, url, headers=headers, data=data, allow_redirects=False
                )
            finally:
                if upload is not None:
                    upload.waiting_for_headers = False
    except Exception as error:
        if upload is not None and upload.exceeded:
            log.info("upload over %d bytes refused: %s %s", limit, request.method, request.path)
            return _too_large()
        if upload is not None and upload.client_stalled:
            log.info(
                "client upload paused over %ss: %s %s",
                ctx.settings.listen.body_timeout,
                request.method,
                request.path,
            )
            # Sent and closed here: left to aiohttp, the connection would linger up to 10 s more
            # waiting for the rest of a body that is not coming.
            response = error_page(408)
            response.force_close()
            await response.prepare(request)
            await response.write_eof()
            if request.transport is not None:
                request.transport.close()
            return response
        if upload is not None and upload.client_failed:
            log.info(
                "client upload broke off: %s %s (%s)", request.method, request.path, type(error).__name__
            )
            response = error_page(400)
            response.force_close()
            return response
        if isinstance(error, TimeoutError):
            ctx.meters.error("timeout")
            log.warning(
                "%s timeout: %s %s (%s)", ctx.name, request.method, request.path, type(error).__name__
            )
            return error_page(504)
        if isinstance(error, aiohttp.ClientError | OSError):
            ctx.meters.error("connect")
            log.warning(
                "%s failed: %s %s (%s: %s)",
                ctx.name,
                request.method,
                request.path,
                type(error).__name__,
                str(error)[:200],
            )
            return error_page(502)
        raise
    ctx.meters.latency.observe(time.monotonic() - started)
    try:
        return await _relay(request, upstream, ctx)
    finally:
        upstream.close()


class _Response(web.StreamResponse):
    """A StreamResponse whose headers can ride in the same send() as the first body bytes.

    aiohttp's StreamResponse sends its headers on prepare(), a syscall (and for a small response
    a TCP segment) of its own; web.Response buffers them. The relay buffers them only when the
    upstream's first body bytes are already here, so no browser waits longer for headers.
    """

    def buffer_headers(self) -> None:
        self._send_headers_immediately = False


async def _relay(
    request: web.Request, upstream: aiohttp.ClientResponse, ctx: ProxyContext
) -> web.StreamResponse:
    headers = downstream_headers(upstream.headers, ctx.upstream, mounted=ctx.mounted)
    pipeline = start_pipeline(request, upstream.status, headers, ctx.filters)
    response = _Response(status=upstream.status, reason=upstream.reason, headers=headers)
    body = upstream.content
    if pipeline is None and (body.total_bytes or body.is_eof()):
        response.buffer_headers()  # a filter may fail on the first chunk: then headers must be out
    await response.prepare(request)
    sent = 0  # counted once per response: Counter.inc takes a lock, per chunk it adds up
    try:
        async for chunk in coalesced(body):
            if pipeline is not None:
                chunk = await pipeline.feed(chunk)
            if chunk:
                await response.write(chunk)
                sent += len(chunk)
        if pipeline is not None:
            tail = await pipeline.finish()
            if tail:
                await response.write(tail)
                sent += len(tail)
    except ConnectionResetError:
        return response  # the browser went away; aiohttp finishes quietly
    except (aiohttp.ClientError, TimeoutError, zlib.error, brotli.error, ValueError) as error:
        ctx.meters.error("body")
        log.warning(
            "%s body failed mid-way: %s %s (%s)", ctx.name, request.method, request.path, type(error).__name__
        )
        response.force_close()
        if request.transport is not None:
            request.transport.close()  # the status is sent: only a broken connection tells the truth
        return response
    finally:
        if sent:
            ctx.meters.downloaded.inc(sent)
    await response.write_eof()
    return response
