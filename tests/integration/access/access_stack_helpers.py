"""Helpers for the access tests."""

from __future__ import annotations

import re

import aiohttp

from gateway.testing.confluence import REST_CALLS, Page
from gateway.testing.confluence.seed import media_type_of
from gateway.testing.stack import Stack
from gateway.testing.stack import demo_login as basic

__all__ = ["add_files", "basic", "get", "link_actions", "recent_rest", "rest_calls", "welcome"]

_LINK = re.compile(
    r'<a class="[^"]*" href="[^"]*\?attachmentId=(\d+)(?:&amp;lang=[\w-]+)?"[^>]*data-onlyoffice-action="(\w+)"'
)
# A mix the rules and the format table treat differently: editable, convertible, viewable, neither.
_NAMES = ("doc{}.docx", "sheet{}.xlsx", "old{}.doc", "form{}.pdf", "notes{}.txt", "pic{}.png")


async def get(url: str, user: str | None = None) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
        session.get(url, headers=basic(user), allow_redirects=False) as response,
    ):
        return response.status, await response.read()


def welcome(stack: Stack) -> Page:
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None
    return page


def add_files(stack: Stack, page_id: int, count: int, *, prefix: str = "") -> list[int]:
    """`count` small attachments of mixed types on the page, created with the store directly."""
    ids = []
    for index in range(count):
        name = prefix + _NAMES[index % len(_NAMES)].format(index)
        data = b"x" * (10 + index)
        ids.append(stack.store.add_attachment(page_id, name, data, media_type_of(name), by="admin").id)
    return ids


def rest_calls(stack: Stack) -> int:
    return stack.confluence_app[REST_CALLS].total


def recent_rest(stack: Stack, since: int) -> list[tuple[str, str]]:
    calls = stack.confluence_app[REST_CALLS]
    return list(calls.recent)[len(calls.recent) - (calls.total - since) :]


def link_actions(body: bytes) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for attachment, action in _LINK.findall(body.decode()):
        found.setdefault(attachment, set()).add(action)
    return found
