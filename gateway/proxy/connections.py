"""Client connections: how long one may sit idle or dawdle, and how many one worker holds.

A slow client (slowloris: a header byte every few seconds; or a body that trickles in) costs an
event-loop server little CPU, but holds a socket and buffers for as long as it likes: without
limits a few hundred of them use up a worker's file descriptors, and then the kernel refuses
everyone. The limits, as nginx has them (its defaults in brackets):

- `listen.idle_timeout` (75 s; nginx `client_header_timeout` 60 s, `keepalive_timeout` 75 s): a
  connection that has not completed a request's headers within this time of opening, or of its
  previous response, is closed. aiohttp's keep-alive timer does this: it runs from the connection's
  start and from each response's end, and fires unless a whole request head has arrived, so an
  idle keep-alive connection and headers sent byte by byte end alike.
- `listen.body_timeout` (60 s; nginx `client_body_timeout` 60 s): the longest pause between two
  reads of a request body the proxy relays; the request is answered 408 and the connection closed.
- `listen.max_connections` (4096 per worker; nginx `worker_connections` 512-1024): one more is
  answered 503 and closed before a byte of its request is read. The process's soft limit on open
  files is raised to fit when the hard limit allows; when it cannot be, the log says so.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import cast

from aiohttp import web

from gateway.settings import Settings

__all__ = ["CappedTCPSite", "handler_limits", "raise_open_files_limit"]

log = logging.getLogger("gateway.connections")

# Written before the request is read: a client that sent its request already gets a proper answer,
# one that has not sees the status and the close, and retries later.
_BUSY_BODY = b"The gateway is at its connection limit; try again in a moment.\n"
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: " + str(len(_BUSY_BODY)).encode() + b"\r\n"
    b"Retry-After: 5\r\n"
    b"Connection: close\r\n\r\n" + _BUSY_BODY
)
_LINGER = 2.0  # seconds a refused connection is read (and dropped) before it is closed
_REFUSAL_LOG_INTERVAL = 10.0  # seconds: a flood of refusals is one line per interval, with its count
# Besides client connections a worker holds upstream connections, the state file, logs, pipes.
_SPARE_FILES = 256
_BACKLOG = 511  # nginx's listen backlog on Linux; aiohttp's 128 drops SYNs under a burst


def handler_limits(settings: Settings) -> dict[str, float]:
    """aiohttp request-handler arguments for the client-side timeouts (`web.Application` handler_args)."""
    return {"keepalive_timeout": settings.listen.idle_timeout}


def raise_open_files_limit(settings: Settings) -> None:
    """Raise the soft RLIMIT_NOFILE to what `listen.max_connections` needs, up to the hard limit."""
    needed = settings.listen.max_connections + settings.proxy.upstream_connections + _SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (OSError, ValueError) as error:
            log.warning("cannot raise the open-files limit from %d to %d: %s", soft, target, error)
            target = soft
    if target < needed:
        log.warning(
            "open-files limit %d is below the %d that listen.max_connections=%d needs: raise it "
            "(systemd LimitNOFILE=, ulimit -n) or lower listen.max_connections",
            target,
            needed,
            settings.listen.max_connections,
        )


class _Refused(asyncio.Protocol):
    """A connection over the cap: told 503, then closed once the client has read it.

    Closing a socket with unread request bytes in it makes the kernel send a reset, which can
    reach the client before the 503 does; so the answer is followed by our half of the close and
    whatever the client still sends is read and dropped, for at most `_LINGER` seconds.
    """

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's is not an asyncio.Transport subclass
        self._transport = transport
        transport.write(_BUSY)
        if transport.can_write_eof():
            transport.write_eof()
        asyncio.get_running_loop().call_later(_LINGER, transport.close)

    def data_received(self, data: bytes) -> None:
        pass  # the request is not read: it is dropped

    def eof_received(self) -> bool:
        return False  # the client closed its side too: close the transport now


class CappedTCPSite(web.BaseSite):
    """aiohttp's TCPSite, with at most `max_connections` client connections open at once."""

    __slots__ = ("_host", "_logged_at", "_max_connections", "_port", "_reuse_port", "_unlogged", "refused")

    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, *, max_connections: int, reuse_port: bool
    ) -> None:
        super().__init__(runner, backlog=_BACKLOG)
        self._host = host
        self._port = port
        self._reuse_port = reuse_port
        self._max_connections = max_connections
        self.refused = 0  # connections answered 503 since start
        self._unlogged = 0
        self._logged_at = float("-inf")

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        self._server = await asyncio.get_running_loop().create_server(
            self._connection,
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=True,
            reuse_port=self._reuse_port,
        )

    def _connection(self) -> asyncio.BaseProtocol:
        """The protocol for an accepted connection: aiohttp's handler, or a refusal over the cap."""
        server = self._runner.server
        assert server is not None
        if len(server.connections) < self._max_connections:
            return server()
        self.refused += 1
        self._unlogged += 1
        now = time.monotonic()
        if now - self._logged_at >= _REFUSAL_LOG_INTERVAL:
            log.warning(
                "connection limit reached (listen.max_connections=%d): %d connection(s) answered 503",
                self._max_connections,
                self._unlogged,
            )
            self._logged_at, self._unlogged = now, 0
        return _Refused()
