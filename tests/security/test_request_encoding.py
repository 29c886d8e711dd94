"""Request bodies pass the proxy as sent: a gzip upload reaches Confluence still gzip, with its
Content-Encoding. (aiohttp decodes request bodies by default: the gateway forwarded the decoded
bytes still labelled gzip, so Confluence could not read them; found by the callback property,
where a body labelled gzip but not gzip was a 500 of the gateway's own route.)"""

from __future__ import annotations

import gzip

import aiohttp

from tests.integration.proxy.proxy_fixtures import MakeGateway
from tests.integration.proxy.upstream_stub import CTX


async def test_a_gzip_upload_reaches_the_upstream_as_sent(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    body = gzip.compress(b"x" * 100_000)
    async with (
        aiohttp.ClientSession() as session,
        session.post(gw.url(f"{CTX}/echo"), data=body, headers={"Content-Encoding": "gzip"}) as response,
    ):
        assert response.status == 200
        seen = await response.json()
    # The stub (plain aiohttp) decodes request bodies: 100,000 bytes means it got real gzip.
    # Before, it got the already decoded bytes labelled gzip, failed to decode them, and answered 500.
    assert seen["body_bytes"] == 100_000
    assert ["Content-Encoding", "gzip"] in seen["headers"]
