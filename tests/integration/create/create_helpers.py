"""Helpers for the New document tests: logins, the demo page, the form and its token."""

from __future__ import annotations

import re
from html import unescape

import aiohttp

from gateway.testing.stack import Stack

TOKEN = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def welcome_id(stack: Stack) -> str:
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None
    return str(page.id)


async def form(session: aiohttp.ClientSession, stack: Stack, page_id: str) -> tuple[int, str, str]:
    """GET the form: (status, csrf token or "", page text)."""
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/create?pageId={page_id}"
    async with session.get(url, allow_redirects=False) as response:
        text = await response.text()
        found = TOKEN.search(text)
        return response.status, found.group(1) if found else "", text


async def create(
    session: aiohttp.ClientSession,
    stack: Stack,
    page_id: str,
    csrf: str,
    kind: str = "docx",
    name: str = "",
    **headers: str,
) -> tuple[int, str, str]:
    """POST the form: (status, Location or "", body)."""
    data = {"pageId": page_id, "csrf": csrf, "type": kind, "name": name}
    async with session.post(
        f"{stack.public_url}/plugins/servlet/onlyoffice/create",
        data=data,
        headers=headers,
        allow_redirects=False,
    ) as response:
        return response.status, response.headers.get("Location", ""), unescape(await response.text())


def attachment_names(stack: Stack, page_id: str) -> set[str]:
    return {a.title for a in stack.store.attachments.values() if a.page_id == int(page_id)}
