"""Helpers for the attachment picker tests."""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
from yarl import URL

from gateway.docserver.jwt import bearer_value, sign_header_payload
from gateway.testing.confluence.store import Attachment
from gateway.testing.stack import Stack, demo_login

__all__ = ["PATH", "attachment", "ds_get", "editor_token", "list_url", "pick", "picker_list"]

PATH = "/plugins/servlet/onlyoffice/attachments"
_TOKEN = re.compile(r'id="onlyoffice-pickers" hidden data-url="([^"]*)" data-token="([0-9a-f]*)"')


def attachment(stack: Stack, name: str, page_title: str = "Welcome") -> Attachment:
    page = stack.store.page_by_title("DEMO", page_title)
    assert page is not None
    found = stack.store.attachment_by_name(page.id, name)
    assert found is not None, name
    return found


def list_url(stack: Stack, attachment_id: int | str | None, purpose: str | None) -> str:
    query: dict[str, str] = {}
    if attachment_id is not None:
        query["attachmentId"] = str(attachment_id)
    if purpose is not None:
        query["purpose"] = purpose
    return str(URL(f"{stack.public_url}{PATH}").with_query(query))


async def _request(
    method: str, url: str, user: str | None, *, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
        session.request(
            method,
            url,
            headers={**demo_login(user), **(headers or {})},
            data=None if body is None else (body if isinstance(body, bytes) else json.dumps(body)),
            allow_redirects=False,
        ) as response,
    ):
        return response.status, dict(response.headers), await response.read()


def _decoded(status: int, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
    assert b"Traceback" not in body
    assert headers["Content-Type"].startswith("application/json"), (status, body[:300])
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    return status, json.loads(body)


async def picker_list(
    stack: Stack, attachment_id: int | str | None, purpose: str | None, user: str | None
) -> tuple[int, Any]:
    return _decoded(*await _request("GET", list_url(stack, attachment_id, purpose), user))


async def editor_token(stack: Stack, attachment_id: int | str, user: str) -> tuple[str, str]:
    """The editor page's picker URL and CSRF token, as its script reads them ("" when not offered)."""
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={attachment_id}"
    status, _, body = await _request("GET", url, user)
    found = _TOKEN.search(body.decode())
    assert status == 200 and found is not None, (status, body[:300])
    return found.group(1).replace("&amp;", "&"), found.group(2)


async def pick(
    stack: Stack, user: str | None, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """POST like the picker: `{attachmentId, token, purpose, pick, c}`."""
    return _decoded(
        *await _request(
            "POST",
            f"{stack.public_url}{PATH}",
            user,
            body=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
    )


async def ds_get(stack: Stack, url: str, *, signed: bool = True) -> tuple[int, bytes]:
    """GET `url` as the Document Server does (its JWT signed for that URL), or without it."""
    secret = stack.settings.documentserver.jwt.secret.get_secret_value()
    headers = (
        {stack.settings.documentserver.jwt.header: bearer_value(sign_header_payload({"url": url}, secret))}
        if signed
        else {}
    )
    status, _, body = await _request("GET", url, None, headers=headers)
    return status, body
