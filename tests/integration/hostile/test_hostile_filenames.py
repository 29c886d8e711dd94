"""File names that reach a Content-Disposition header or a stored title: CR/LF, NUL, U+202E, path
separators and overlong names are refused or cleaned, never a broken header, never a 5xx."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
import pytest

from gateway.confluence.client import UserCredentials
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.onlyoffice.keys import document_key
from gateway.onlyoffice.signed_links import LinkClaims, make_link_token, page_token
from gateway.testing.documents import make_document
from gateway.testing.stack import Stack, demo_login
from tests.integration.hostile.hostile_helpers import SERVLET

HOSTILE_NAMES = [
    "report\r\nSet-Cookie: stolen=1",
    "report\nX-Injected: 1",
    "report\x00.exe",
    "invoice\u202efdp.exe",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "x" * 5000,
    "\u2066hidden\u2069",
]


async def _download_as(stack: Stack, body: dict[str, Any]) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession(headers=demo_login("alice")) as session,
        session.post(f"{stack.public_url}{SERVLET}/download-as", json=body) as response,
    ):
        return response.status, await response.json()


@pytest.mark.parametrize("name", HOSTILE_NAMES)
async def test_download_as_refuses_hostile_names_with_a_reason(stack: Stack, name: str) -> None:
    report = str(stack.welcome_attachment_id("report.docx"))
    context = stack.gateway_app[ONLYOFFICE_CONTEXT]
    token = page_token(context, UserCredentials.from_headers(demo_login("alice")), "download-as", report)
    body = {"attachmentId": report, "token": token, "fileName": name, "targetFileType": "pdf"}
    status, answer = await _download_as(stack, body)
    assert status == 400 and answer["error"].startswith("A file name"), answer


async def test_a_download_link_signed_with_a_hostile_name_is_refused_not_broken(stack: Stack) -> None:
    """Even a link the gateway signed (say, by an older version) cannot put these into a header."""
    context = stack.gateway_app[ONLYOFFICE_CONTEXT]
    report = stack.store.attachments[stack.welcome_attachment_id("report.docx")]
    holder = UserCredentials.from_headers(demo_login("alice")).fingerprint()
    key = document_key(str(context.public_url), str(report.id), report.current.number)
    async with aiohttp.ClientSession(headers=demo_login("alice")) as session:
        for name in HOSTILE_NAMES:
            claims = LinkClaims(
                action="download-as",
                attachment_id=str(report.id),
                key=key,
                version=report.current.number,
                target="pdf",
                filename=name + ".pdf",
                holder=holder,
            )
            url = f"{stack.public_url}{SERVLET}/download-as/file"
            query = {"attachmentId": str(report.id), "token": make_link_token(claims, context.link_secret)}
            async with session.get(url, params=query) as response:
                assert response.status == 403 and response.content_type == "text/html", name
                assert "Content-Disposition" not in response.headers


async def test_a_converted_file_of_a_hostile_title_gets_a_clean_name(stack: Stack) -> None:
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None
    title = "bad\r\nname\u202e\x00 " + "y" * 300 + ".doc"
    source = stack.store.add_attachment(
        page.id, title, make_document("doc", "Hostile title"), "application/msword", by="admin"
    )
    async with aiohttp.ClientSession(headers=demo_login("alice")) as session:
        async with session.get(f"{stack.public_url}{SERVLET}/convert?attachmentId={source.id}") as r:
            assert r.status == 200
            found = re.search(r'data-csrf="([0-9a-f]+)"', await r.text())
        assert found is not None
        for _ in range(100):
            body = {"attachmentId": str(source.id), "csrf": found.group(1)}
            async with session.post(f"{stack.public_url}{SERVLET}/convert", json=body) as r:
                answer = await r.json()
                assert r.status == 200, answer
                if answer.get("done"):
                    break
            await asyncio.sleep(0.05)
    name = answer["title"]
    # The stem is capped at 200 characters; Confluence keeps 255, room for the extension and " (n)".
    assert name == "badname " + "y" * (200 - len("badname ")) + ".docx"
    assert not re.search("[\x00-\x1f\u202e]", name)
