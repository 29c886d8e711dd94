"""Response filters through the real gateway: decode -> filter -> re-encode, streaming."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field

import aiohttp
import brotli  # type: ignore[import-untyped]
import pytest
from aiohttp import web
from multidict import CIMultiDict

from gateway.proxy.plugin import BodyTransform, Plugin, PluginContext, ResponseFilter
from tests.integration.proxy.proxy_fixtures import MakeGateway
from tests.integration.proxy.upstream_stub import CTX, HTML

NEEDLE = b'class="attachment">'
MARK = b'class="attachment" data-oo="1">'


class _Replace:
    """Streams a byte replacement, holding back a tail that could be the start of a split needle."""

    def __init__(self) -> None:
        self._pending = b""
        self.fed = 0

    async def feed(self, chunk: bytes) -> bytes:
        self.fed += 1
        data = (self._pending + chunk).replace(NEEDLE, MARK)
        keep = len(NEEDLE) - 1
        self._pending = data[-keep:]
        return data[:-keep]

    async def finish(self) -> bytes:
        out, self._pending = self._pending, b""
        return out


@dataclass
class MarkAttachments:
    """The tiny test filter: GET text/html on /confluence/html only."""

    name: str = "mark-attachments"
    vary: tuple[str, ...] = ("Cookie",)
    transforms: list[_Replace] = field(default_factory=list)

    def start(self, request: web.Request, status: int, headers: CIMultiDict[str]) -> BodyTransform | None:
        if not request.path.endswith("/html") or not headers.get("Content-Type", "").startswith("text/html"):
            return None
        headers["X-Filtered"] = "1"
        transform = _Replace()
        self.transforms.append(transform)
        return transform


class Footer:
    """A second filter, proving order: it sees the first filter's output."""

    name = "footer"
    vary: tuple[str, ...] = ()

    def start(self, request: web.Request, status: int, headers: CIMultiDict[str]) -> BodyTransform | None:
        if not request.path.endswith("/html"):
            return None

        class _Tail:
            async def feed(self, chunk: bytes) -> bytes:
                return chunk

            async def finish(self) -> bytes:
                return b"<!-- footer -->"

        return _Tail()


@dataclass
class FilterPlugin:
    filters: tuple[ResponseFilter, ...]
    name: str = "test-filters"

    def setup(self, context: PluginContext) -> None:
        for response_filter in self.filters:
            context.add_filter(response_filter)


EXPECTED = HTML.replace(NEEDLE, MARK) + b"<!-- footer -->"
DECODE = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "deflate": zlib.decompress,
    "identity": lambda body: body,
}


async def _get(url: str) -> tuple[int, CIMultiDict[str], bytes]:
    async with aiohttp.ClientSession(auto_decompress=False) as session, session.get(url) as response:
        return response.status, CIMultiDict(response.headers), await response.read()


def _plugins(marker: MarkAttachments) -> tuple[Plugin, ...]:
    return (FilterPlugin((marker, Footer())),)


@pytest.mark.parametrize("coding", ["gzip", "br", "deflate", "identity"])
@pytest.mark.parametrize("chunked", ["0", "1"])
async def test_filter_rewrites_html_in_its_own_encoding(
    make_gateway: MakeGateway, coding: str, chunked: str
) -> None:
    marker = MarkAttachments()
    gw = await make_gateway(plugins=_plugins(marker))
    status, headers, body = await _get(gw.url(f"{CTX}/html?enc={coding}&chunked={chunked}"))
    assert status == 200
    assert headers.get("Content-Encoding", "identity") == coding
    assert "Content-Length" not in headers
    assert headers["ETag"] == 'W/"page-1"'
    assert headers["X-Filtered"] == "1"
    vary = [v.strip() for v in headers["Vary"].split(",")]
    assert "Cookie" in vary and vary.count("Accept-Encoding") == 1
    assert DECODE[coding](body) == EXPECTED
    assert marker.transforms[0].fed > 1  # streamed in several pieces, never as one body


@pytest.mark.parametrize(
    "query",
    ["enc=gzip&nt=1", "enc=br&status=206", "enc=gzip&status=204", "enc=identity&status=404"],
)
async def test_ineligible_responses_are_byte_identical(make_gateway: MakeGateway, query: str) -> None:
    marker = MarkAttachments()
    gw = await make_gateway(plugins=_plugins(marker))
    plain = await make_gateway()
    filtered = await _get(gw.url(f"{CTX}/html?{query}"))
    direct = await _get(plain.url(f"{CTX}/html?{query}"))
    assert filtered[0] == direct[0]
    assert filtered[2] == direct[2]
    assert filtered[1].get("ETag") == direct[1].get("ETag")
    assert "X-Filtered" not in filtered[1]
    assert marker.transforms == []


async def test_non_matching_paths_and_head_are_untouched(make_gateway: MakeGateway) -> None:
    marker = MarkAttachments()
    gw = await make_gateway(plugins=_plugins(marker))
    _status, headers, body = await _get(gw.url(f"{CTX}/big?size=70000"))
    assert body == b"x" * 70000 and headers["Content-Length"] == "70000"
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.head(gw.url(f"{CTX}/html?enc=gzip")) as response,
    ):
        assert response.headers["ETag"] == '"page-1"'
        assert "X-Filtered" not in response.headers
    assert marker.transforms == []


async def test_corrupt_compressed_body_aborts_instead_of_serving_garbage(make_gateway: MakeGateway) -> None:
    """A filtered gzip body that does not decode ends the connection (headers are already sent)."""
    marker = MarkAttachments()
    gw = await make_gateway(plugins=_plugins(marker))
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.get(gw.url(f"{CTX}/html?enc=gzip&corrupt=1")) as response,
    ):
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
