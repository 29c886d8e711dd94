"""Property: whatever query string reaches the plugin's GET routes (the editor, download, access,
history, history/data, convert, download-as, download-as/file, create, attachments) — any keys and
values, unicode, NUL, percent-encoding gone wrong, very long, repeated keys — as alice, bob or
nobody, the answer is never a 5xx, never shows a traceback, and is HTML or JSON.

One stack for the whole property (as in test_callback_fuzz.py): the examples run on its event
loop, one request each.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from yarl import URL

from gateway.testing.stack import Stack, demo_login, running_stack
from tests.integration.hostile.hostile_helpers import SERVLET, close_loop
from tests.integration.saving import saving_helpers

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

ROUTES = ["doceditor", "download", "access", "history", "history/data", "convert", "download-as",
          "download-as/file", "create", "attachments", "users"]  # fmt: skip
NAMES = ["attachmentId", "pageId", "lang", "token", "key", "version", "type", "purpose", "filename",
         "fileExt", "actionData", "mode", "attachmentid", "ATTACHMENTID", "", "c", "search", "from",
         "count", "id"]  # fmt: skip
MEDIA_TYPES = ("text/html", "application/json")


@dataclass
class Live:
    loop: asyncio.AbstractEventLoop
    stack: Stack
    session: aiohttp.ClientSession
    ids: list[str]  # real attachment and page ids, so that values reach past the id checks

    def url(self, route: str, query: str) -> URL:
        return URL(f"{self.stack.public_url}{SERVLET}/{route}?{query}", encoded=True)


@pytest.fixture
def live() -> Iterator[Live]:
    loop = asyncio.new_event_loop()
    exits = contextlib.AsyncExitStack()

    async def start() -> Live:
        stack = await exits.enter_async_context(running_stack())
        session = await exits.enter_async_context(aiohttp.ClientSession())
        report = saving_helpers.attachment(stack)
        sheet = saving_helpers.attachment(stack, "budget.xlsx")
        return Live(loop, stack, session, [str(report.id), str(sheet.id), str(report.page_id)])

    try:
        yield loop.run_until_complete(start())
    finally:
        close_loop(loop, exits)


# Any code point but lone surrogates (not encodable in a URL), NUL and controls included.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
values = (
    any_text
    | st.sampled_from(["ID0", "ID1", "ID2", "1", "0", "-1", "99999999999999999999", "de", "pt_BR", "edit",
                       "view", "pdf", "docx", "", "null", "[]", "{}", '{"a":1}', "eyJ0eXAiOiJKV1QifQ.e30.x"])
    | st.integers(min_value=1, max_value=6).map(lambda n: "x" * 10**n)
)  # fmt: skip
# Raw pieces sent as they are, unencoded: broken percent-escapes, separators, overlong UTF-8.
RAW = ["%", "%z", "%zz", "%FF", "%C0%80", "%ED%A0%80", "%00", "%0D%0A", "+", "=", "&", ";", "==", "%25",
       "%E2%80%AE", "%F0%9F", "\xe9", "%2F..%2F"]  # fmt: skip


@st.composite
def queries(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        if draw(st.integers(0, 4)) == 0:
            parts.append("".join(draw(st.lists(st.sampled_from(RAW), min_size=1, max_size=4))))
            continue
        key = draw(st.sampled_from(NAMES) | any_text)
        parts.append(quote(key, safe="") + "=" + quote(draw(values), safe=""))
    repeats = draw(st.integers(0, 3))  # repeated keys
    if parts and repeats:
        parts += [draw(st.sampled_from(parts)) for _ in range(repeats)]
    # Often a query the route accepts, so that the odd parameters reach past its first check.
    parts += draw(
        st.sampled_from(
            [
                [],
                ["attachmentId=ID0"],
                ["attachmentId=ID1"],
                ["pageId=ID2"],
                ["attachmentId=ID0", "pageId=ID2"],
                ["attachmentId=ID1", "mode=view"],
            ]
        )
    )
    return "&".join(draw(st.permutations(parts)))


def _real_ids(live: Live, query: str) -> str:
    for number, value in enumerate(live.ids):
        query = query.replace(f"ID{number}", value)
    return query


@FUZZ
@given(route=st.sampled_from(ROUTES), user=st.sampled_from(["alice", "bob", None]), query=queries())
def test_any_query_string_gives_html_or_json_and_never_a_5xx(
    live: Live, route: str, user: str | None, query: str
) -> None:
    url = live.url(route, _real_ids(live, query))

    async def get() -> tuple[int, str, bytes, str | None]:
        async with live.session.get(url, headers=demo_login(user), allow_redirects=False) as response:
            return (
                response.status,
                response.content_type,
                await response.read(),
                response.headers.get("Location"),
            )

    status, media_type, body, location = live.loop.run_until_complete(get())
    event(f"{route}: {status}")
    assert status < 500, (status, body[:300])
    assert b"Traceback" not in body and b'File "' not in body, body[:300]
    target = url.raw_path_qs
    if len(target) > live.stack.settings.proxy.max_header_bytes or not target.isascii():
        # A request line beyond the header limit, or with raw non-ASCII, is refused by aiohttp's
        # parser before any route (its own plain-text 400); the gateway's query cap (414, in the
        # route's style) is lower than that limit.
        assert status == 400, status
    elif 300 <= status < 400:  # to the login page, or the create form: never off the gateway
        assert location is not None and location.startswith(live.stack.public_url + "/"), location
    elif status != 200 or route == "doceditor":  # 200 of download, download-as/file: the file itself
        assert media_type in MEDIA_TYPES, (status, media_type, body[:200])


# Examples that found bugs, kept as regular tests: the download route refused in text/plain (now
# the Document Server's JSON error shape), and nobody's editor link with a long query (within the
# 16 KiB cap) was redirected to a login URL beyond 8 KiB (the query encoded once more), which the
# client could not even read and Confluence (Tomcat, 8 KiB) would refuse.
@pytest.mark.parametrize(
    ("route", "query", "status", "media_type"),
    [
        ("download", "", 403, "application/json"),
        ("download", "token=eyJ0eXAiOiJKV1QifQ.e30.x", 403, "application/json"),
        ("doceditor", "attachmentId=ID0&pad=" + "%25" * 3000, 302, None),
        ("doceditor", "attachmentId=ID0&lang=de&mode=view", 302, None),
    ],
)
def test_examples_that_found_bugs(
    live: Live, route: str, query: str, status: int, media_type: str | None
) -> None:
    async def get() -> tuple[int, str, bytes, str]:
        async with live.session.get(
            live.url(route, _real_ids(live, query)), allow_redirects=False
        ) as response:
            return (
                response.status,
                response.content_type,
                await response.read(),
                response.headers.get("Location", ""),
            )

    got, got_type, body, location = live.loop.run_until_complete(get())
    assert got == status, (got, body[:200])
    if media_type is not None:
        assert got_type == media_type and json.loads(body)["error"] == 1
    else:
        back = URL(location).query["os_destination"]
        assert len(location) < 8190 and URL(location).path == "/confluence/login.action"
        assert back == "/plugins/servlet/onlyoffice/doceditor" + (
            "?" + _real_ids(live, query) if "pad" not in query else ""
        )
