"""Helpers for the ONLYOFFICE integration tests."""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
from yarl import URL

from gateway.testing.stack import Stack
from gateway.testing.stack import demo_login as basic

__all__ = [
    "basic",
    "editor_config",
    "get",
    "link_actions",
    "welcome",
]

_LINK = re.compile(
    r'<a class="[^"]*" href="[^"]*\?attachmentId=(\d+)(?:&amp;lang=[\w-]+)?"[^>]*data-onlyoffice-action="(\w+)"'
)
_CONFIG = re.compile(r'<script type="application/json" id="onlyoffice-config">(.*?)</script>', re.S)


async def get(
    url: str, user: str | None = None, *, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One GET without following redirects: status, headers, decoded body."""
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
        session.get(url, headers={**basic(user), **(headers or {})}, allow_redirects=False) as response,
    ):
        return response.status, dict(response.headers), await response.read()


def welcome(stack: Stack) -> Any:
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None
    return page


def attachment_id(stack: Stack, name: str) -> int:
    found = stack.store.attachment_by_name(welcome(stack).id, name)
    assert found is not None, name
    return found.id


def link_actions(body: bytes) -> dict[str, set[str]]:
    """{attachment id: {"edit", "view", "convert", "download"}} from the injected anchors."""
    found: dict[str, set[str]] = {}
    for attachment, action in _LINK.findall(body.decode()):
        found.setdefault(attachment, set()).add(action)
    return found


def editor_config(body: bytes) -> dict[str, Any]:
    match = _CONFIG.search(body.decode())
    assert match is not None, body[:500]
    value: dict[str, Any] = json.loads(match.group(1))
    return value


def editor_url(stack: Stack, attachment: int | str, **query: str) -> str:
    return str(
        URL(f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor").with_query(
            attachmentId=str(attachment), **query
        )
    )
