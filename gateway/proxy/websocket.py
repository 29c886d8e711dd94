"""WebSocket bridge (Confluence Synchrony: `/synchrony`, `<ctx>/synchrony-proxy`, or any Upgrade).

Message-level bridging (Home Assistant ingress pattern): the upstream handshake is done first so
the browser gets the subprotocol Confluence chose, or Confluence's own refusal status. Then two
pumps forward TEXT/BINARY/PING/PONG/CLOSE unchanged, close codes included, until either side ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
from aiohttp import WSCloseCode, WSMsgType, web

from gateway.proxy.context import ProxyContext
from gateway.proxy.errors import error_page
from gateway.proxy.headers import connection_tokens

__all__ = ["bridge_websocket", "is_websocket_upgrade"]

log = logging.getLogger("gateway.websocket")

# Codes that must never be sent in a close frame (RFC 6455 7.4.1).
_UNSENDABLE = {1005, 1006, 1015}

_WsPeer = web.WebSocketResponse | aiohttp.ClientWebSocketResponse


def is_websocket_upgrade(request: web.Request) -> bool:
    return (
        request.method == "GET"
        and request.headers.get("Upgrade", "").strip().lower() == "websocket"
        and "upgrade" in connection_tokens(request.headers)
    )


def _requested_protocols(request: web.Request) -> list[str]:
    protocols: list[str] = []
    for value in request.headers.getall("Sec-WebSocket-Protocol", ()):
        protocols.extend(p.strip() for p in value.split(",") if p.strip())
    return protocols


async def _pump(source: _WsPeer, target: _WsPeer) -> tuple[int, str]:
    """Copy messages until a CLOSE (or the connection ends); return the close code and reason."""
    while True:
        message = await source.receive()
        if message.type is WSMsgType.TEXT:
            await target.send_str(message.data)
        elif message.type is WSMsgType.BINARY:
            await target.send_bytes(message.data)
        elif message.type is WSMsgType.PING:
            await target.ping(message.data)
        elif message.type is WSMsgType.PONG:
            await target.pong(message.data)
        elif message.type is WSMsgType.CLOSE:
            code = message.data if message.data not in _UNSENDABLE else WSCloseCode.OK
            return code, message.extra or ""
        else:  # CLOSING, CLOSED, ERROR: the connection ended without a close frame
            code = source.close_code
            if code is None or code in _UNSENDABLE:
                code = (
                    WSCloseCode.INTERNAL_ERROR if message.type is WSMsgType.ERROR else WSCloseCode.GOING_AWAY
                )
            return code, ""


async def bridge_websocket(
    request: web.Request, ctx: ProxyContext, session: aiohttp.ClientSession
) -> web.StreamResponse:
    proxy = ctx.settings.proxy
    headers = ctx.upstream_headers(request, websocket=True)
    target = request.raw_path if request.raw_path.startswith("/") else request.rel_url.raw_path_qs
    url = ctx.upstream.upstream_ws_url(target)
    try:
        async with asyncio.timeout(ctx.response_timeout):
            upstream = await session.ws_connect(
                url,
                headers=headers,
                protocols=_requested_protocols(request),
                autoclose=False,
                autoping=False,
                heartbeat=proxy.websocket_heartbeat,
                max_msg_size=proxy.websocket_max_message_bytes,
                compress=0,
            )
    except aiohttp.WSServerHandshakeError as error:
        log.info("websocket refused by %s: %s -> HTTP %s", ctx.name, request.path, error.status)
        status = error.status if 400 <= error.status < 600 else 502
        return error_page(status) if status >= 500 else web.Response(status=status)
    except TimeoutError:
        return error_page(504)
    except (aiohttp.ClientError, OSError) as error:
        log.warning("websocket to %s failed: %s (%s)", ctx.name, request.path, type(error).__name__)
        return error_page(502)

    client = web.WebSocketResponse(
        protocols=[upstream.protocol] if upstream.protocol else (),
        autoclose=False,
        autoping=False,
        heartbeat=proxy.websocket_heartbeat,
        max_msg_size=proxy.websocket_max_message_bytes,
        compress=False,
    )
    try:
        await client.prepare(request)
    except Exception:
        await upstream.close()
        raise
    ctx.meters.websockets_open.inc()
    ctx.websockets.add(client)
    try:
        await _bridge(client, upstream)
    finally:
        ctx.meters.websockets_open.dec()
        if not upstream.closed:
            # Only reached when the bridge was cut short (client connection lost, handler
            # cancelled): the upstream must not take that for a normal 1000 close.
            with contextlib.suppress(Exception):
                await upstream.close(code=WSCloseCode.GOING_AWAY)
    return client


async def _bridge(client: web.WebSocketResponse, upstream: aiohttp.ClientWebSocketResponse) -> None:
    to_upstream = asyncio.create_task(_pump(client, upstream))
    to_client = asyncio.create_task(_pump(upstream, client))
    try:
        done, _ = await asyncio.wait({to_upstream, to_client}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        to_upstream.cancel()
        to_client.cancel()
        raise
    first = done.pop()
    source_peer: _WsPeer
    other_peer: _WsPeer
    if first is to_upstream:
        other, source_peer, other_peer = to_client, client, upstream
    else:
        other, source_peer, other_peer = to_upstream, upstream, client
    try:
        code, reason = first.result()
    except Exception as error:  # a send failed: the receiving side is gone
        log.info("websocket bridge ended: %s", type(error).__name__)
        code, reason = WSCloseCode.GOING_AWAY, ""
    log.debug("websocket: %s side ended with %s", "client" if first is to_upstream else "upstream", code)
    other.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await other
    # Pass the close on with the same code, and answer the side that closed first.
    for peer in (other_peer, source_peer):
        with contextlib.suppress(Exception):
            await peer.close(code=code, message=reason.encode())
