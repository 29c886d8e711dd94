"""New document end to end: gateway, Confluence simulator, Document Server simulator."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import openpyxl
import pytest

from gateway.docserver.jwt import bearer_value, sign_header_payload
from gateway.testing.documents import extract_text
from gateway.testing.stack import Stack, running_stack
from gateway.testing.stack import demo_login as login
from tests.integration.create.create_helpers import attachment_names, create, form, welcome_id

CONFIG = re.compile(r'<script type="application/json" id="onlyoffice-config">(.*?)</script>', re.S)
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pdf": "application/pdf",
}
DEFAULTS = {"docx": "Document", "xlsx": "Spreadsheet", "pptx": "Presentation", "pdf": "PDF form"}


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running_stack() as running:
        yield running


async def editor_config(session: aiohttp.ClientSession, location: str) -> dict[str, Any]:
    async with session.get(location) as response:
        assert response.status == 200
        found = CONFIG.search(await response.text())
    assert found
    value: dict[str, Any] = json.loads(found.group(1))
    return value


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pptx", "pdf"])
async def test_alice_creates_each_kind_and_it_opens_for_editing(stack: Stack, kind: str) -> None:
    page = welcome_id(stack)
    async with aiohttp.ClientSession(headers=login("alice")) as session:
        status, csrf, text = await form(session, stack, page)
        assert status == 200 and csrf
        assert f'value="{kind}"' in text
        status, location, _ = await create(session, stack, page, csrf, kind)
        assert status == 303, location
        created = stack.store.attachment_by_name(int(page), f"{DEFAULTS[kind]}.{kind}")
        assert created is not None
        assert (
            location == f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={created.id}"
        )
        assert created.current.media_type == MEDIA_TYPES[kind]
        assert created.current.comment == "Created in ONLYOFFICE by Alice Example"
        assert extract_text(kind, stack.store.data(created)).strip() == ""
        config = await editor_config(session, location)
        assert config["editorConfig"]["mode"] == "edit"
        assert config["document"]["title"] == f"{DEFAULTS[kind]}.{kind}"
        assert config["document"]["permissions"]["edit"] is True
        # The Document Server can fetch the blank through the signed download link.
        url = config["document"]["url"]
        secret = stack.settings.documentserver.jwt.secret.get_secret_value()
        signed = {
            stack.settings.documentserver.jwt.header: bearer_value(sign_header_payload({"url": url}, secret))
        }
        async with aiohttp.ClientSession() as docserver, docserver.get(url, headers=signed) as download:
            assert download.status == 200
            assert await download.read() == stack.store.data(created)

        status, location, _ = await create(session, stack, page, csrf, kind)
        assert status == 303
    again = stack.store.attachment_by_name(int(page), f"{DEFAULTS[kind]} (1).{kind}")
    assert again is not None and location.endswith(f"attachmentId={again.id}")


async def test_names_are_cleaned_and_numbered(stack: Stack) -> None:
    page = welcome_id(stack)
    async with aiohttp.ClientSession(headers=login("alice")) as session:
        _, csrf, _ = await form(session, stack, page)
        assert (await create(session, stack, page, csrf, "docx", "  Plan: Q3 */? \u202e  "))[0] == 303
        assert (await create(session, stack, page, csrf, "xlsx", "budget.XLSX"))[0] == 303
        assert (await create(session, stack, page, csrf, "docx", "minutes"))[0] == 303
        assert (await create(session, stack, page, csrf, "docx", "minutes"))[0] == 303
        assert (await create(session, stack, page, csrf, "docx", "report"))[0] == 303  # the seed has one
        assert (await create(session, stack, page, csrf, "pptx", 'a<b>c|d"e\\f'))[0] == 303
        assert (await create(session, stack, page, csrf, "pptx", "x" * 500))[0] == 303
    names = attachment_names(stack, page)
    # budget.xlsx is in the seed: the typed extension is not repeated, the name is numbered
    assert {"Plan_ Q3 ___.docx", "budget (1).xlsx", "minutes.docx", "minutes (1).docx"} <= names
    assert {"report (1).docx", "a_b_c_d_e_f.pptx"} <= names
    assert not any(name.endswith((".xlsx.xlsx", ".XLSX.xlsx")) for name in names)
    assert "x" * 200 + ".pptx" in names


async def test_hostile_names_are_escaped_in_the_form_and_editor(stack: Stack) -> None:
    page = stack.store.add_page("DEMO", '<img src=x onerror=alert(1)> "Plans"', body="x", by="admin")
    async with aiohttp.ClientSession(headers=login("alice")) as session:
        status, csrf, text = await form(session, stack, str(page.id))
        assert status == 200
        assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
        status, location, _ = await create(
            session, stack, str(page.id), csrf, "docx", "<script>alert(1)</script>"
        )
        assert status == 303
        async with session.get(location) as response:
            body = await response.text()
    assert "_script_alert(1)__script_.docx" in attachment_names(stack, str(page.id))
    assert "<script>alert" not in body


async def test_bob_may_only_view_and_gets_403(stack: Stack) -> None:
    page = welcome_id(stack)
    async with aiohttp.ClientSession(headers=login("bob")) as session:
        status, csrf, text = await form(session, stack, page)
        assert status == 403 and csrf == ""
        assert "Traceback" not in text
        forged = await create(session, stack, page, "0" * 64)
        assert forged[0] == 403
    async with aiohttp.ClientSession(headers=login("alice")) as alice:
        _, alice_csrf, _ = await form(alice, stack, page)
    async with aiohttp.ClientSession(headers=login("bob")) as session:
        assert (await create(session, stack, page, alice_csrf))[0] == 403  # another user's token
    assert "Document.docx" not in attachment_names(stack, page)


async def test_anonymous_is_sent_to_log_in_and_cannot_post(stack: Stack) -> None:
    page = welcome_id(stack)
    async with aiohttp.ClientSession() as session:
        status, _, _ = await form(session, stack, page)
        assert status == 302
        async with session.get(
            f"{stack.public_url}/plugins/servlet/onlyoffice/create?pageId={page}", allow_redirects=False
        ) as response:
            location = response.headers["Location"]
        assert location.startswith(f"{stack.public_url}/login.action?")
        assert "os_destination=/plugins/servlet/onlyoffice/create?pageId%3D" in location
        assert (await create(session, stack, page, "0" * 64))[0] == 403
    assert "Document.docx" not in attachment_names(stack, page)


async def test_csrf_failures_create_nothing(stack: Stack) -> None:
    page = welcome_id(stack)
    other = stack.store.add_page("DEMO", "Other", body="x", by="admin")
    before = attachment_names(stack, page)
    async with aiohttp.ClientSession(headers=login("alice")) as session:
        _, csrf, _ = await form(session, stack, page)
        assert (await create(session, stack, page, ""))[0] == 403  # missing
        assert (await create(session, stack, page, "0" * 64))[0] == 403  # forged
        assert (await create(session, stack, page, "é" * 64))[0] == 403  # not even ASCII
        assert (await create(session, stack, page, csrf, Origin="https://evil.example"))[0] == 403
        assert (await create(session, stack, page, csrf, Origin="null"))[0] == 403
        assert (await create(session, stack, page, csrf, **{"Sec-Fetch-Site": "cross-site"}))[0] == 403
        assert (await create(session, stack, str(other.id), csrf))[0] == 403  # token is per page
        async with session.post(
            f"{stack.public_url}/plugins/servlet/onlyoffice/create",
            json={"pageId": page, "csrf": csrf, "type": "docx"},
        ) as response:
            assert response.status == 400  # not a form
        ok = await create(
            session, stack, page, csrf, Origin=stack.gateway_origin, **{"Sec-Fetch-Site": "same-origin"}
        )
        assert ok[0] == 303
    assert attachment_names(stack, page) - before == {"Document.docx"}
    assert attachment_names(stack, str(other.id)) == set()


async def test_bad_input_gets_clear_errors(stack: Stack) -> None:
    page = welcome_id(stack)
    async with aiohttp.ClientSession(headers=login("alice")) as session:
        for bad in ("", "abc", "-1", "\u0661", "9" * 20):
            status, _, text = await form(session, stack, bad)
            assert status == 400 and "Traceback" not in text
        status, _, _ = await form(session, stack, "99999999")
        assert status == 404
        _, csrf, _ = await form(session, stack, page)
        status, _, text = await create(session, stack, page, csrf, "exe")
        assert status == 400 and "Traceback" not in text
        url = f"{stack.public_url}/plugins/servlet/onlyoffice/create"
        huge = {"pageId": page, "csrf": csrf, "type": "docx", "name": "x" * (2 * 1024 * 1024)}
        async with session.post(url, data=huge) as response:
            assert response.status == 413
        multipart = aiohttp.FormData({"pageId": page, "csrf": csrf, "type": "docx"})
        multipart.add_field("name", b"<b>file</b>", filename="evil.html", content_type="text/html")
        async with session.post(url, data=multipart, allow_redirects=False) as response:
            assert response.status == 303  # a file where the name belongs counts as no name
    names = attachment_names(stack, page)
    assert not any(name.endswith(".exe") for name in names)
    assert "Document.docx" in names and not any("file" in name for name in names)


async def test_the_confluence_locale_reaches_the_editor(stack: Stack) -> None:
    """The "New document" link carries the Confluence locale; the form passes it on to the editor
    it redirects to (the editor then opens in German, not in the browser's language)."""
    page = welcome_id(stack)
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/create?pageId={page}&lang=de_DE"
    async with aiohttp.ClientSession(headers=login("alice")) as session:
        async with session.get(url, headers={"Accept-Language": "fr"}) as response:
            text = await response.text()
        assert 'action="http' in text and "create?lang=de-DE" in text
        found = re.search(r'name="csrf" value="([0-9a-f]{64})"', text)
        assert found is not None
        async with session.post(
            f"{stack.public_url}/plugins/servlet/onlyoffice/create?lang=de-DE",
            data={"pageId": page, "csrf": found.group(1), "type": "docx", "name": "Plan"},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
            assert response.headers["Location"].endswith("&lang=de-DE")


async def test_a_new_spreadsheet_is_in_the_users_language(stack: Stack) -> None:
    """The plugin copies locale templates: a German user's unnamed spreadsheet is "Tabelle.xlsx"
    with its sheet "Tabelle1", whatever the browser's language."""
    page = welcome_id(stack)
    async with aiohttp.ClientSession(headers=login("alice")) as session:
        status, csrf, _ = await form(session, stack, page)
        assert status == 200
        async with session.post(
            f"{stack.public_url}/plugins/servlet/onlyoffice/create?lang=de-DE",
            data={"pageId": page, "csrf": csrf, "type": "xlsx", "name": ""},
            headers={"Accept-Language": "fr"},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
    created = stack.store.attachment_by_name(int(page), "Tabelle.xlsx")
    assert created is not None
    workbook = openpyxl.load_workbook(io.BytesIO(stack.store.data(created)))
    assert workbook.sheetnames == ["Tabelle1"]
