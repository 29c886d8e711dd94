"""Helpers for the saving tests: editor configs through the gateway, waiting, reading versions.

A uniquely named module (not conftest) so its name never clashes with another test folder's helpers.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import re
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from gateway.testing.confluence import Attachment
from gateway.testing.documents import extract_text
from gateway.testing.stack import Stack

__all__ = [
    "FAST",
    "attachment",
    "basic",
    "callbacks",
    "editor_config",
    "metric_value",
    "open_editor",
    "text_of",
    "wait_for",
]

# Short Document Server timings: 0.2 s save delay, retries after 0.05/0.1/0.2 s.
FAST: dict[str, Any] = {"save_delay": 0.2, "retry_base_delay": 0.05}
_CONFIG = re.compile(r'<script type="application/json" id="onlyoffice-config">(.*?)</script>', re.S)


def attachment(stack: Stack, title: str = "report.docx") -> Attachment:
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None
    found = stack.store.attachment_by_name(page.id, title)
    assert found is not None, title
    return found


def text_of(stack: Stack, att: Attachment, number: int | None = None) -> str:
    """The text inside a stored version, read back from its bytes."""
    number = att.current.number if number is None else number
    extension = att.title.rsplit(".", 1)[-1]
    return extract_text(extension, stack.store.data(att, number))


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def editor_config(
    stack: Stack, attachment_id: int | str, user: str = "alice", password: str | None = None
) -> dict[str, Any]:
    """The signed editor config the gateway's doceditor page gives `user` (HTTP Basic through it)."""
    auth = {"Authorization": basic(user, password if password is not None else user)}
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor"
    async with (
        aiohttp.ClientSession() as client,
        client.get(
            url, params={"attachmentId": str(attachment_id)}, headers=auth, allow_redirects=False
        ) as r,
    ):
        body = await r.text()
        assert r.status == 200, (r.status, body[:500])
    match = _CONFIG.search(body)
    assert match is not None, body[:500]
    config: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return config


async def open_editor(
    stack: Stack, attachment_id: int | str, user: str = "alice"
) -> tuple[dict[str, Any], Any]:
    """Open the editor as `user` in the Document Server simulator: (config, participant)."""
    config = await editor_config(stack, attachment_id, user)
    opened = await stack.docserver.open(config, base_url=stack.docserver_url)
    return config, opened.participant


def callbacks(stack: Stack, status: int | None = None, key: str | None = None) -> list[Any]:
    return [
        a
        for a in stack.docserver.callback_log
        if (status is None or a.status == status) and (key is None or a.key == key)
    ]


async def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def metric_value(stack: Stack, name: str, **labels: str) -> float:
    """A sample from the gateway's /metrics (0 when absent)."""
    async with aiohttp.ClientSession() as client, client.get(f"{stack.gateway_origin}/metrics") as r:
        text = await r.text()
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        head, _, value = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', head))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(value)
    return total
