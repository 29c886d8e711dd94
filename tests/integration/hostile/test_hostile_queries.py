"""Query strings of the gateway's own routes: beyond `proxy.max_query_bytes` 414, beyond
`proxy.max_query_params` 400, each in its route's style; odd encodings are the route's own 4xx;
Confluence's paths are passed through as before."""

from __future__ import annotations

import aiohttp
import pytest

from gateway.testing.stack import Stack, demo_login
from tests.integration.hostile.hostile_helpers import SERVLET

PAGES = ["doceditor", "convert", "download-as", "download-as/file", "create"]
SCRIPTS = ["history", "history/data", "attachments", "access"]
DOCSERVER = ["download"]


async def _get(stack: Stack, path_qs: str, method: str = "GET", **headers: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession(headers=demo_login("alice")) as session,
        session.request(method, f"{stack.public_url}{path_qs}", headers=headers, allow_redirects=False) as r,
    ):
        return r.status, r.content_type, await r.text()


async def test_long_and_crowded_query_strings_are_refused_in_each_routes_style(stack: Stack) -> None:
    long = "lang=de&attachmentId=1&pad=" + "x" * stack.settings.proxy.max_query_bytes
    crowded = "lang=de&" + "&".join(f"p{n}=1" for n in range(stack.settings.proxy.max_query_params))
    for query, status in ((long, 414), (crowded, 400)):
        for route in PAGES:
            got, media_type, text = await _get(stack, f"{SERVLET}/{route}?{query}")
            assert (got, media_type) == (status, "text/html"), route
            assert '<html lang="de">' in text and "Adresse ungültig" in text, route
        for route in SCRIPTS:
            got, media_type, text = await _get(stack, f"{SERVLET}/{route}?{query}")
            assert (got, media_type) == (status, "application/json"), route
            assert "query string" in text
        for method, route in (("GET", "download"), ("POST", "callback")):
            got, media_type, text = await _get(stack, f"{SERVLET}/{route}?{query}", method)
            assert (got, media_type) == (status, "application/json"), route
            assert text.startswith('{"error": 1, "message": "the query string'), route


async def test_a_query_at_the_caps_reaches_the_route(stack: Stack) -> None:
    proxy = stack.settings.proxy
    at_length = "attachmentId=x&pad=" + "x" * (proxy.max_query_bytes - len("attachmentId=x&pad="))
    assert len(at_length) == proxy.max_query_bytes
    at_count = "attachmentId=x&" + "&".join(f"p{n}=1" for n in range(proxy.max_query_params - 1))
    for query in (at_length, at_count):
        status, _, text = await _get(stack, f"{SERVLET}/doceditor?{query}")
        assert status == 400 and "Address not valid" not in text  # the editor's own "no document"


@pytest.mark.parametrize(
    "query",
    [
        "attachmentId=%FF%FE",
        "attachmentId=%00",
        "attachmentId=%E2%80%AE1",
        "attachmentId=1%0D%0ASet-Cookie:%20x=1",
        "attachmentId=%",
        "attachmentId=%zz&pageId=%C0%80&token=%F0%9F&purpose=%ED%A0%80",
        "attachmentId=99999999999999999999999999999999999999999999",
        "attachmentId=1&attachmentId=2&lang=%FF&lang=x" + "-a" * 200,
        "actionData=" + "%5B" * 4000 + "&attachmentId=1",
        "token=" + "eyJ" * 3000,
    ],
)
async def test_odd_query_values_are_a_4xx_never_a_5xx(stack: Stack, query: str) -> None:
    for route in [*PAGES, *SCRIPTS, *DOCSERVER]:
        status, _, _ = await _get(stack, f"{SERVLET}/{route}?{query}")
        assert status < 500, (route, status)
    status, _, _ = await _get(stack, f"{SERVLET}/callback?{query}", "POST")
    assert 400 <= status < 500


async def test_confluence_paths_keep_their_long_queries(stack: Stack) -> None:
    """The caps are the gateway's own routes': a proxied page gets its query whole, as before."""
    # 100 parameters, 6.5 KiB (the Confluence simulator's own request line limit is 8190 bytes)
    query = "&".join(f"p{n}=" + "y" * 60 for n in range(100))
    status, _, text = await _get(stack, f"/display/DEMO/Welcome?{query}")
    assert status == 200 and "Welcome" in text
