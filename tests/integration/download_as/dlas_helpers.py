"""Helpers for the Download As tests."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp

from gateway.testing.stack import Stack

__all__ = ["PATH", "download_as", "page", "page_token"]

PATH = "/plugins/servlet/onlyoffice/download-as"
_TOKEN = re.compile(r'data-token="([0-9a-f]+)"')


async def page(session: aiohttp.ClientSession, stack: Stack, attachment: int | str) -> tuple[int, str]:
    """GET the Download As page (no redirects followed): status and HTML."""
    async with session.get(
        f"{stack.public_url}{PATH}?attachmentId={attachment}", allow_redirects=False
    ) as response:
        return response.status, await response.text()


async def page_token(session: aiohttp.ClientSession, stack: Stack, attachment: int | str) -> str:
    status, html = await page(session, stack, attachment)
    found = _TOKEN.search(html)
    assert status == 200 and found is not None, (status, html[:300])
    return found.group(1)


async def download_as(
    session: aiohttp.ClientSession,
    stack: Stack,
    attachment: int | str,
    token: str,
    target: str = "pdf",
    name: str = "report",
    **headers: str,
) -> tuple[int, dict[str, Any]]:
    """POST like the page's script, every poll until an error or the end: the last status and body."""
    body = {"attachmentId": str(attachment), "token": token, "fileName": name, "targetFileType": target}
    for _ in range(100):
        async with session.post(f"{stack.public_url}{PATH}", json=body, headers=headers) as response:
            answer: dict[str, Any] = await response.json()
            if response.status != 200 or answer.get("done"):
                return response.status, answer
            assert answer == {"done": False, "percent": 0}
            await asyncio.sleep(0.05)
    raise AssertionError("the conversion never finished")
