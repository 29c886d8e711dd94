"""Helpers for the version-history tests."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from yarl import URL

from gateway.docserver.jwt import bearer_value, sign_header_payload
from gateway.testing.confluence.store import Attachment
from gateway.testing.stack import Stack
from gateway.testing.stack import demo_login as basic

__all__ = [
    "basic",
    "ds_headers",
    "get",
    "get_json",
    "history_data_url",
    "history_url",
    "report",
    "upload_version",
]


async def get(
    url: str, user: str | None = None, *, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One GET without following redirects: status, headers, body."""
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
        session.get(url, headers={**basic(user), **(headers or {})}, allow_redirects=False) as response,
    ):
        return response.status, dict(response.headers), await response.read()


async def get_json(url: str, user: str | None = None) -> tuple[int, dict[str, str], Any]:
    status, headers, body = await get(url, user)
    assert b"Traceback" not in body
    assert headers["Content-Type"].startswith("application/json"), (status, body[:300])
    assert headers["Cache-Control"] == "no-store"
    return status, headers, json.loads(body)


def report(stack: Stack, name: str = "report.docx") -> Attachment:
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None
    found = stack.store.attachment_by_name(page.id, name)
    assert found is not None, name
    return found


def history_url(stack: Stack, attachment: int | str | None, **query: str) -> str:
    url = URL(f"{stack.public_url}/plugins/servlet/onlyoffice/history")
    params = {"attachmentId": str(attachment)} if attachment is not None else {}
    return str(url.with_query({**params, **query}))


def history_data_url(stack: Stack, attachment: int | str | None, version: int | str | None) -> str:
    url = URL(f"{stack.public_url}/plugins/servlet/onlyoffice/history/data")
    params: dict[str, str] = {}
    if attachment is not None:
        params["attachmentId"] = str(attachment)
    if version is not None:
        params["version"] = str(version)
    return str(url.with_query(params))


def ds_headers(stack: Stack, url: str) -> dict[str, str]:
    """What the Document Server sends when it downloads `url`: its JWT signed for that URL."""
    secret = stack.settings.documentserver.jwt.secret.get_secret_value()
    return {stack.settings.documentserver.jwt.header: bearer_value(sign_header_payload({"url": url}, secret))}


async def upload_version(stack: Stack, attachment: Attachment, user: str, data: bytes) -> None:
    """A new version uploaded through the gateway with Confluence's REST API, as `user`."""
    url = f"{stack.public_url}/rest/api/content/{attachment.page_id}/child/attachment/{attachment.id}/data"
    with aiohttp.MultipartWriter("form-data") as writer:
        part = writer.append(data, {"Content-Type": "application/octet-stream"})
        part.set_content_disposition("form-data", name="file", filename=attachment.title)
        writer.append(f"upload by {user}").set_content_disposition("form-data", name="comment")
    headers = {**basic(user), "X-Atlassian-Token": "no-check", "Content-Type": writer.headers["Content-Type"]}
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
        session.post(url, data=writer, headers=headers) as response,
    ):
        assert response.status == 200, await response.text()
