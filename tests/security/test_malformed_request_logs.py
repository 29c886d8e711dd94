"""A request the HTTP parser refuses is one INFO line in the log, without the bytes it carried.

aiohttp logs such requests with a traceback and the first 100 bytes of the offending line: for an
oversized Cookie that is the session itself, with no header name left for the redactor to see.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp.test_utils import TestServer

from tests.integration.proxy.proxy_fixtures import gateway_process
from tests.integration.proxy.upstream_stub import CTX

_SESSION = "JSESSIONID=5ecre7" + "a1b2c3d4" * 6000  # over proxy.max_header_bytes (32 KiB)


async def _raw(port: int, head: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.encode())
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


async def test_refused_requests_are_logged_in_one_line_without_their_bytes(
    tmp_path: Path, stub: TestServer
) -> None:
    assert stub.port is not None
    async with gateway_process(tmp_path, stub.port) as gateway:
        host = f"Host: 127.0.0.1:{gateway.port}\r\n"
        too_long = await _raw(gateway.port, f"GET {CTX}/echo/a HTTP/1.1\r\n{host}Cookie: {_SESSION}\r\n\r\n")
        too_many = await _raw(
            gateway.port, f"GET {CTX}/echo/b HTTP/1.1\r\n{host}" + "X-A: b\r\n" * 300 + "\r\n"
        )
        garbage = await _raw(
            gateway.port, "GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
        )
        await asyncio.sleep(0.3)  # the log line is written after the answer
        log = gateway.log()
    for answer in (too_long, too_many, garbage):
        assert answer.startswith((b"HTTP/1.0 400 ", b"HTTP/1.1 400 ")), answer[:80]
    assert "5ecre7" not in log and "a1b2c3d4" not in log
    assert "Traceback" not in log and " ERROR " not in log
    assert "refused a malformed request (LineTooLong, 400)" in log
    assert log.count("refused a malformed request") == 3, log
