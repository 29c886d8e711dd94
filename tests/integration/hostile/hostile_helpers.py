"""Hostile request bodies and how the gateway must answer them."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
from dataclasses import dataclass
from typing import Any

import aiohttp

__all__ = ["JSON", "SERVLET", "HostileBody", "close_loop", "hostile_bodies", "post_raw"]

SERVLET = "/plugins/servlet/onlyoffice"
JSON = "application/json"


def close_loop(loop: asyncio.AbstractEventLoop, exits: contextlib.AsyncExitStack) -> None:
    """End a property's own loop (hypothesis drives its examples synchronously): what `exits`
    holds is closed, then, as asyncio.run does, handlers still winding down are cancelled and awaited."""
    loop.run_until_complete(exits.aclose())

    async def drain() -> None:
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    loop.run_until_complete(drain())
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


@dataclass(frozen=True)
class HostileBody:
    name: str
    data: bytes
    content_type: str | None
    status: int
    message: str  # a part of the error message the answer must carry
    headers: tuple[tuple[str, str], ...] = ()


def hostile_bodies(max_bytes: int) -> list[HostileBody]:
    """Every kind of bad JSON body the issue names, for a route reading at most `max_bytes`."""
    return [
        HostileBody("100,000 nested arrays", b"[" * 100_000 + b"]" * 100_000, JSON, 400, "nested deeper"),
        HostileBody(
            "50,000 nested objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000, JSON, 400, "nested deeper"
        ),
        HostileBody(
            "65 nested arrays in a field", b'{"a":' + b"[" * 65 + b"]" * 65 + b"}", JSON, 400, "nested"
        ),
        HostileBody("a 100,000-digit integer", b'{"status":' + b"9" * 100_000 + b"}", JSON, 400, "digits"),
        HostileBody("a 5,000-digit float", b'{"a":0.' + b"1" * 5_000 + b"}", JSON, 400, "digits"),
        HostileBody("invalid UTF-8", b'{"key":"\xff\xfe\xc3"}', JSON, 400, "UTF-8"),
        HostileBody("a lone surrogate", b'{"key":"\\ud800x"}', JSON, 400, "surrogate"),
        HostileBody("NaN", b'{"a":NaN}', JSON, 400, "not valid JSON"),
        HostileBody("unbalanced brackets", b'{"a":[}' + b"[" * 50_000, JSON, 400, "not valid JSON"),
        HostileBody("truncated", b'{"a": "b', JSON, 400, "not valid JSON"),
        HostileBody("an array", b"[1, 2]", JSON, 400, "not a JSON object"),
        HostileBody("a form", b"a=1&b=2", "application/x-www-form-urlencoded", 415, "application/json"),
        HostileBody(
            "multipart", b"--x\r\n\r\n--x--\r\n", "multipart/form-data; boundary=x", 415, "application/json"
        ),
        HostileBody(
            "JSON in UTF-16", '{"a":1}'.encode("utf-16"), "application/json; charset=utf-16", 415, "UTF-8"
        ),
        # Found by the callback property: a body labelled gzip but not gzip was a 500.
        HostileBody(
            "not gzip but labelled so", b'{"a":1}', JSON, 415, "compressed", (("Content-Encoding", "gzip"),)
        ),
        HostileBody(
            "real gzip", gzip.compress(b'{"a":1}'), JSON, 415, "compressed", (("Content-Encoding", "GZIP"),)
        ),
        HostileBody("brotli", b"\x00\x01", JSON, 415, "compressed", (("Content-Encoding", "br"),)),
        HostileBody(
            "one byte over the cap",
            json.dumps({"padding": "x" * (max_bytes - 15)}).encode() + b" ",
            JSON,
            413,
            "larger than",
        ),
    ]


async def post_raw(
    url: str, data: bytes, content_type: str | None, headers: dict[str, str] | None = None
) -> tuple[int, str, Any]:
    """POST exactly these bytes (no Content-Type at all when None): status, Content-Type, JSON body."""
    sent = dict(headers or {})
    if content_type is not None:
        sent["Content-Type"] = content_type
    async with (
        aiohttp.ClientSession(skip_auto_headers=("Content-Type",)) as client,
        client.post(url, data=data, headers=sent) as response,
    ):
        text = await response.text()
        try:
            return response.status, response.content_type, json.loads(text)
        except ValueError:
            return response.status, response.content_type, text
