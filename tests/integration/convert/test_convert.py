"""'Convert using ONLYOFFICE' end to end: gateway, Confluence simulator, Document Server simulator."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from gateway.testing.documents import extract_text
from gateway.testing.stack import Stack, running_stack
from gateway.testing.stack import demo_login as login


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running_stack(save_delay=0.2, retry_base_delay=0.05) as running:
        yield running


def attachment_id(stack: Stack, name: str) -> str:
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None
    found = stack.store.attachment_by_name(page.id, name)
    assert found is not None
    return str(found.id)


async def page_csrf(session: aiohttp.ClientSession, stack: Stack, att: str) -> tuple[int, str]:
    async with session.get(
        f"{stack.public_url}/plugins/servlet/onlyoffice/convert?attachmentId={att}"
    ) as response:
        text = await response.text()
        found = re.search(r'data-csrf="([0-9a-f]+)"', text)
        return response.status, found.group(1) if found else ""


async def convert(
    session: aiohttp.ClientSession, stack: Stack, att: str, csrf: str, **headers: str
) -> dict[str, object]:
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/convert"
    for _ in range(50):
        async with session.post(url, json={"attachmentId": att, "csrf": csrf}, headers=headers) as response:
            body = await response.json()
            if response.status != 200 or body.get("done"):
                return {"status": response.status, **body}
    raise AssertionError("conversion never finished")


async def test_alice_converts_legacy_doc_to_docx_once(stack: Stack) -> None:
    source = attachment_id(stack, "legacy.doc")
    async with aiohttp.ClientSession(headers=login("alice")) as session:
        status, csrf = await page_csrf(session, stack, source)
        assert status == 200 and csrf
        first = await convert(session, stack, source, csrf)
        again = await convert(session, stack, source, csrf)
    assert first["status"] == 200 and first["title"] == "legacy.docx"
    assert again["attachmentId"] == first["attachmentId"]  # polling after the end adds nothing
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None
    created = stack.store.attachment_by_name(page.id, "legacy.docx")
    assert created is not None and str(created.id) == first["attachmentId"]
    source_text = extract_text("doc", stack.store.data(stack.store.attachments[int(source)]))
    assert extract_text("docx", stack.store.data(created)) == source_text
    assert "Converted from legacy.doc in ONLYOFFICE by Alice Example" in (created.current.comment or "")
    assert str(first["editorUrl"]).endswith(
        f"/plugins/servlet/onlyoffice/doceditor?attachmentId={created.id}"
    )


async def test_a_taken_name_gets_a_number(stack: Stack) -> None:
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None
    stack.store.add_attachment(page.id, "notes.docx", b"taken", "application/octet-stream", by="admin")
    source = attachment_id(stack, "notes.odt")
    async with aiohttp.ClientSession(headers=login("alice")) as session:
        _, csrf = await page_csrf(session, stack, source)
        result = await convert(session, stack, source, csrf)
    assert result["title"] == "notes (1).docx"


async def test_viewers_and_anonymous_cannot_convert(stack: Stack) -> None:
    source = attachment_id(stack, "legacy.doc")
    async with aiohttp.ClientSession(headers=login("bob")) as session:
        status, csrf = await page_csrf(session, stack, source)
        assert status == 403 and csrf == ""
    async with aiohttp.ClientSession(headers=login("alice")) as alice:
        _, alice_csrf = await page_csrf(alice, stack, source)
    async with aiohttp.ClientSession(headers=login("bob")) as session:
        refused = await convert(session, stack, source, alice_csrf)  # another user's token
        assert refused["status"] == 403
    async with aiohttp.ClientSession() as anonymous:
        status, _ = await page_csrf(anonymous, stack, source)
        assert status == 404


async def test_post_needs_the_page_token_and_same_origin(stack: Stack) -> None:
    source = attachment_id(stack, "legacy.doc")
    async with aiohttp.ClientSession(headers=login("alice")) as session:
        _, csrf = await page_csrf(session, stack, source)
        assert (await convert(session, stack, source, "0" * 64))["status"] == 403
        assert (await convert(session, stack, source, "ünïcödé"))["status"] == 403
        assert (await convert(session, stack, source, csrf, Origin="https://evil.example"))["status"] == 403
        other = attachment_id(stack, "old.ppt")
        assert (await convert(session, stack, other, csrf))["status"] == 403  # token is per attachment
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None and stack.store.attachment_by_name(page.id, "legacy.docx") is None
