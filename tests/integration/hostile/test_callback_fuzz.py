"""Property: whatever JSON body and headers reach the callback route, the answer is a 4xx or a
correct one (`{"error": 0}` or `{"error": 1}`), never a 5xx; a correctly signed save always saves.

One gateway (and one small Document Server file server) for the whole property: the examples run
on its event loop, one request each, so a hundred examples take a few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.testing.documents import make_document
from gateway.testing.stack import Stack, free_port, running_stack
from tests.integration.hostile.hostile_helpers import close_loop
from tests.integration.saving import saving_helpers


@dataclass
class Live:
    loop: asyncio.AbstractEventLoop
    stack: Stack
    session: aiohttp.ClientSession
    callback_url: str
    key: str
    file_url: str

    @property
    def secret(self) -> str:
        return self.stack.settings.documentserver.jwt.secret.get_secret_value()


@pytest.fixture
def live() -> Iterator[Live]:
    loop = asyncio.new_event_loop()
    exits = contextlib.AsyncExitStack()

    async def start() -> Live:
        document = make_document("docx", "Saved by the property")

        async def files(request: web.Request) -> web.Response:
            return web.Response(body=document, content_type="application/octet-stream")

        app = web.Application()
        app.router.add_get("/cache/files/data/{id}/{file}/{friendly}", files)
        runner = web.AppRunner(app)
        await runner.setup()
        exits.push_async_callback(runner.cleanup)
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        stack = await exits.enter_async_context(
            running_stack(
                save_delay=0.2,
                retry_base_delay=0.05,
                settings={"documentserver": {"internal_url": f"http://127.0.0.1:{port}/"}},
            )
        )
        session = await exits.enter_async_context(aiohttp.ClientSession(skip_auto_headers=("Content-Type",)))
        config = await saving_helpers.editor_config(stack, saving_helpers.attachment(stack).id)
        file_url = (
            f"http://127.0.0.1:{port}/cache/files/data/k_1/output.docx/output.docx?md5=x&expires=9999999999"
        )
        return Live(
            loop, stack, session, config["editorConfig"]["callbackUrl"], config["document"]["key"], file_url
        )

    try:
        yield loop.run_until_complete(start())
    finally:
        close_loop(loop, exits)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)
STATUSES = st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 8, -1, 2**40]) | json_values
# Header names a client may set freely (not the framing ones the client library computes).
HEADER_NAMES = st.sampled_from(
    ["Authorization", "AuthorizationJwt", "Content-Type", "Content-Encoding", "Accept", "User-Agent",
     "Origin", "Cookie", "X-Forwarded-For", "Expect", "X-Random"]
)  # fmt: skip
HEADER_VALUES = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40) | st.sampled_from(
    ["application/json", "text/plain", "gzip", "deflate", "br", "Bearer x.y.z", "Bearer ", "100-continue"]
)
headers_strategy = st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=4)


@st.composite
def callback_bodies(draw: st.DrawFn) -> tuple[bytes, bool]:
    """Raw body bytes, and whether it is a correctly signed save that must succeed."""
    kind = draw(st.sampled_from(["any json", "callback-like", "signed", "signed save", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200)), False
    if kind == "any json":
        return json.dumps(draw(json_values)).encode(), False
    live_key = draw(st.shared(st.just("KEY"), key="key"))  # replaced by the live key in the test
    body: dict[str, Any] = {
        "key": draw(st.just(live_key) | st.text(max_size=20)),
        "status": draw(STATUSES),
        **draw(
            st.dictionaries(
                st.sampled_from(
                    [
                        "users",
                        "actions",
                        "history",
                        "url",
                        "lastsave",
                        "notmodified",
                        "forcesavetype",
                        "userdata",
                    ]
                ),
                json_values,
                max_size=4,
            )
        ),
    }
    if kind == "callback-like":
        return json.dumps(body).encode(), False
    if kind == "signed save":
        body = {"key": live_key, "status": draw(st.sampled_from([2, 6])), "url": "FILE", "filetype": "docx"}
        return json.dumps({"SIGN": body}).encode(), True
    body["url"] = draw(st.sampled_from(["FILE", "https://evil.example/x.docx", "not a url", ""]))
    body["filetype"] = "docx"
    return json.dumps({"SIGN": body}).encode(), False


def _materialise(live: Live, raw: bytes) -> bytes:
    """Put in the live key and file URL, and sign what asks for it with the real secret."""
    if not raw.startswith(b'{"SIGN": '):
        return raw.replace(b'"KEY"', json.dumps(live.key).encode())
    body = json.loads(raw)["SIGN"]
    body = {k: (live.key if v == "KEY" else live.file_url if v == "FILE" else v) for k, v in body.items()}
    now = int(time.time())
    return json.dumps(
        {**body, "token": jwt.encode({**body, "iat": now, "exp": now + 300}, live.secret)}
    ).encode()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=callback_bodies(), headers=headers_strategy)
def test_any_body_and_headers_give_a_4xx_or_a_correct_answer(
    live: Live, body: tuple[bytes, bool], headers: dict[str, str]
) -> None:
    raw, must_save = body
    data = _materialise(live, raw)

    sent = {"Content-Type": "application/json", **headers}  # what the Document Server sends, unless replaced

    async def post() -> tuple[int, bytes]:
        async with live.session.post(live.callback_url, data=data, headers=sent) as response:
            return response.status, await response.read()

    status, answer = live.loop.run_until_complete(post())
    assert status < 500, (status, answer[:200], headers)
    if status == 200:
        assert json.loads(answer) in ({"error": 0}, {"error": 1}), answer[:200]
    elif status != 417:  # an Expect other than 100-continue: answered by aiohttp before any route
        assert status >= 400 and json.loads(answer)["error"] == 1, (status, answer[:200])
    benign = not headers.keys() & {
        "Content-Type",
        "Content-Encoding",
        "Authorization",
        "AuthorizationJwt",
        "Expect",
    }
    if must_save and benign:
        assert (status, json.loads(answer)) == (200, {"error": 0})
