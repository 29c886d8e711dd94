"""Download As links as an attacker holds them: a name the POST accepted never yields a link that
the file route then refuses as "made for someone else", and a link dies with the version it was
made for (a new upload must not be served under an old, checked decision)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from gateway.testing.documents.ooxml import make_docx
from gateway.testing.stack import Stack, running_stack
from gateway.testing.stack import demo_login as login
from tests.integration.download_as.dlas_helpers import download_as, page_token

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running_stack() as running:
        yield running


async def _fetch(url: str, user: str) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession(headers=login(user)) as session,
        session.get(url, allow_redirects=False) as response,
    ):
        return response.status, await response.read()


async def test_a_name_too_long_with_its_extension_is_refused_by_the_post(stack: Stack) -> None:
    report = stack.welcome_attachment_id("report.docx")
    async with aiohttp.ClientSession(headers=login("alice")) as alice:
        token = await page_token(alice, stack, report)
        status, body = await download_as(alice, stack, report, token, target="pdf", name="n" * 200)
        assert status == 400 and "200" in body["error"], body  # not a link that 403s later
        status, body = await download_as(alice, stack, report, token, target="pdf", name="n" * 196)
    assert status == 200 and body["fileName"] == "n" * 196 + ".pdf", body
    assert (await _fetch(body["url"], "alice"))[0] == 200


async def test_a_link_dies_with_its_version(stack: Stack) -> None:
    report = stack.welcome_attachment_id("report.docx")
    async with aiohttp.ClientSession(headers=login("alice")) as alice:
        token = await page_token(alice, stack, report)
        status, body = await download_as(alice, stack, report, token, target="pdf", name="report")
    assert status == 200, body
    attachment = stack.store.attachments[report]
    stack.store.add_version(attachment, make_docx("Replaced after the link was made"), DOCX, by="admin")
    status, page = await _fetch(body["url"], "alice")
    assert status == 410 and b"%PDF" not in page
