"""No answer tells a scanner which Python and aiohttp the gateway runs (nginx's `server_tokens off`).

aiohttp's default `Server: Python/3.11 aiohttp/3.x` reached every answer of the gateway's own and
every proxied answer whose upstream sent no Server header, and the parser's 400s too.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

from gateway.proxy.headers import SERVER_NAME
from tests.integration.proxy.proxy_fixtures import gateway_process
from tests.integration.proxy.upstream_stub import CTX


async def _raw_head(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


async def test_no_answer_names_the_gateways_software_or_version(tmp_path: Path, stub: TestServer) -> None:
    assert stub.port is not None
    async with gateway_process(tmp_path, stub.port) as gateway, aiohttp.ClientSession() as session:
        answers = {}
        for path in ("/livez", "/readyz", "/metrics"):
            async with session.get(gateway.url(path)) as response:
                answers[path] = response.headers.getall("Server", [])
        # The gateway's own refusal (a host it does not serve: 421).
        async with session.get(gateway.url(f"{CTX}/echo/x"), headers={"Host": "evil.example"}) as refused:
            assert refused.status == 421
            answers["421"] = refused.headers.getall("Server", [])
        malformed = await _raw_head(
            gateway.port, b"GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
        )
        async with session.get(gateway.url(f"{CTX}/echo/x")) as proxied:
            proxied_server = proxied.headers.getall("Server", [])
        async with session.get(stub.make_url(f"{CTX}/echo/x")) as direct:
            direct_server = direct.headers.getall("Server", [])
    assert answers == {key: [SERVER_NAME] for key in answers}
    head = malformed.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    assert head.startswith(("HTTP/1.0 400 ", "HTTP/1.1 400 ")), head
    assert f"\r\nServer: {SERVER_NAME}\r\n" in head + "\r\n", head
    assert "aiohttp" not in head and "Python" not in head
    # What Confluence says of itself is Confluence's to say: passed on as it came.
    assert proxied_server == direct_server
