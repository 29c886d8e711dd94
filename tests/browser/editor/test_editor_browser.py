"""The whole product in headless Chromium: log in through the gateway, click the link, edit.

The stack (Confluence simulator, Document Server simulator, gateway) runs in the test's own event
loop on loopback; Playwright's async API shares it. Screenshots go to test-output/browser-editor/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from gateway.testing.stack import Stack
from tests.browser.browser_session import REFRESH_MACRO, editor_frame, sign_in, watch_problems

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
OUTPUT = ROOT / "test-output" / "browser-editor"
EVIL = "<img src=x onerror=alert(1)>.docx"


async def _screenshot(tab: Page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    await tab.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


async def _config(tab: Page) -> dict[str, Any]:
    text = await tab.text_content("#onlyoffice-config")
    assert text
    value: dict[str, Any] = json.loads(text)
    return value


async def _open_by_link(
    context: BrowserContext, tab: Page, stack: Stack, name: str, label: str
) -> tuple[Page, list[str]]:
    """Click the link in the attachments table; the editor opens in a new tab, watched for problems."""
    await tab.goto(f"{stack.public_url}/pages/viewpageattachments.action?pageId={stack.welcome_page_id()}")
    link = tab.locator(
        f'a[data-attachment-id="{stack.welcome_attachment_id(name)}"][data-onlyoffice-action]', has_text=label
    ).first
    await link.wait_for()
    async with context.expect_page() as popup:
        await link.click()
    editor = await popup.value
    problems = watch_problems(editor)
    await editor.wait_for_load_state()
    return editor, problems


async def test_alice_logs_in_and_sees_welcome_and_attachments(browser: Browser, stack: Stack) -> None:
    """Issue 3's first browser check: the proxied Confluence works for a logged-in user."""
    session = await sign_in(browser, stack, "alice")
    context, tab = session.context, session.page
    await tab.goto(f"{stack.public_url}/display/DEMO/Welcome")
    assert "Welcome" in await tab.title()
    await tab.locator(".onlyoffice-links").first.wait_for()
    await _screenshot(tab, "alice-welcome")
    await tab.goto(f"{stack.public_url}/pages/viewpageattachments.action?pageId={stack.welcome_page_id()}")
    await tab.locator('.onlyoffice-links a[data-onlyoffice-action="edit"]').first.wait_for()
    assert await tab.locator("tr.attachment-row").count() >= 8
    await _screenshot(tab, "alice-attachments")
    assert session.problems == []
    await context.close()


async def test_alice_edits_bob_views_same_key_for_admin(browser: Browser, stack: Stack) -> None:
    alice_session = await sign_in(browser, stack, "alice")
    alice_context, alice_tab = alice_session.context, alice_session.page
    editor, editor_problems = await _open_by_link(
        alice_context, alice_tab, stack, "report.docx", "Edit in ONLYOFFICE"
    )
    frame = await editor_frame(editor)
    assert await frame.text_content("#oo-mode") == "edit"
    assert await frame.text_content("#oo-title") == "report.docx"
    alice_name = stack.store.users["alice"].display_name
    await frame.wait_for_function(
        "name => document.getElementById('oo-users').textContent.includes(name)", arg=alice_name
    )
    await _screenshot(editor, "alice-editor")
    alice_key = (await _config(editor))["document"]["key"]

    admin_session = await sign_in(browser, stack, "admin")
    admin_context, admin_tab = admin_session.context, admin_session.page
    admin_editor, admin_problems = await _open_by_link(
        admin_context, admin_tab, stack, "report.docx", "Edit in ONLYOFFICE"
    )
    admin_frame = await editor_frame(admin_editor)
    assert await admin_frame.text_content("#oo-mode") == "edit"
    assert (await _config(admin_editor))["document"]["key"] == alice_key
    admin_name = stack.store.users["admin"].display_name
    # Co-editing: both see each other in the simulator's session.
    await admin_frame.wait_for_function(
        "names => names.every(n => document.getElementById('oo-users').textContent.includes(n))",
        arg=[alice_name, admin_name],
    )
    session = stack.docserver.sessions[alice_key]
    assert {p.user_name for p in session.participants.values()} >= {alice_name, admin_name}

    bob_session = await sign_in(browser, stack, "bob")
    bob_context, bob_tab = bob_session.context, bob_session.page
    assert await bob_tab.locator("text=In ONLYOFFICE bearbeiten").count() == 0
    bob_editor, bob_problems = await _open_by_link(  # bob's Confluence locale is de_DE
        bob_context, bob_tab, stack, "report.docx", "In ONLYOFFICE anzeigen"
    )
    bob_frame = await editor_frame(bob_editor)
    assert await bob_frame.text_content("#oo-mode") == "view"
    bob_config = await _config(bob_editor)
    assert bob_config["editorConfig"]["mode"] == "view"
    assert bob_config["editorConfig"]["lang"] == "de-DE"  # his Confluence locale, not the browser's
    await _screenshot(bob_editor, "bob-viewer")
    assert editor_problems == admin_problems == bob_problems == []
    for page in (editor, admin_editor, bob_editor):
        assert await page.evaluate("window.__docsapi_errors || []") == []
    for context in (alice_context, admin_context, bob_context):
        await context.close()


async def test_hostile_filename_stays_text_in_browser(browser: Browser, stack: Stack) -> None:
    report = stack.store.attachment_by_name(stack.welcome_page_id(), "report.docx")
    assert report is not None
    evil = stack.store.add_attachment(
        stack.welcome_page_id(), EVIL, stack.store.data(report), "application/octet-stream", by="admin"
    )
    session = await sign_in(browser, stack, "alice")
    context, tab = session.context, session.page
    await tab.goto(f"{stack.public_url}/pages/viewpageattachments.action?pageId={stack.welcome_page_id()}")
    link = tab.locator(f'.onlyoffice-links a[data-attachment-id="{evil.id}"][data-onlyoffice-action="edit"]')
    await link.wait_for()
    assert await link.get_attribute("title") == f"Edit {EVIL} in ONLYOFFICE"
    async with context.expect_page() as popup:
        await link.click()
    editor = await popup.value
    editor_problems = watch_problems(editor)
    frame = await editor_frame(editor)
    assert await frame.text_content("#oo-title") == EVIL
    assert await editor.title() == f"{EVIL} - ONLYOFFICE"
    assert await frame.query_selector("img[onerror]") is None
    assert await editor.query_selector("img[onerror]") is None
    await _screenshot(editor, "evil-title")
    assert session.problems == []  # includes any alert() dialog
    assert editor_problems == []
    await context.close()


async def test_unreachable_document_server_shows_a_message(browser: Browser, stack: Stack) -> None:
    session = await sign_in(browser, stack, "alice")
    context, tab = session.context, session.page
    await context.route("**/web-apps/apps/api/documents/api.js*", lambda route: route.abort())
    await tab.goto(
        f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={stack.welcome_attachment_id('report.docx')}"
    )
    message = tab.locator("#onlyoffice-message")
    await message.wait_for(state="visible")
    assert "cannot be reached" in (await message.text_content() or "")
    await _screenshot(tab, "docserver-unreachable")
    await context.close()


@pytest.mark.parametrize("strip", [False, True], ids=["server-injected", "script-injected"])
async def test_macro_re_render_keeps_the_links(browser: Browser, stack: Stack, strip: bool) -> None:
    session = await sign_in(browser, stack, "alice")
    context, tab = session.context, session.page
    await tab.goto(f"{stack.public_url}/display/DEMO/Welcome")
    await tab.locator(".plugin_attachments_container .onlyoffice-links").first.wait_for()
    report = stack.store.attachment_by_name(stack.welcome_page_id(), "report.docx")
    assert report is not None
    added = stack.store.add_attachment(
        stack.welcome_page_id(),
        "uploaded.docx",
        stack.store.data(report),
        "application/octet-stream",
        by="alice",
    )
    assert await tab.evaluate(REFRESH_MACRO, strip) == 200
    table = tab.locator(".plugin_attachments_container")
    await table.locator(
        f'.onlyoffice-links a[data-attachment-id="{added.id}"][data-onlyoffice-action="edit"]'
    ).wait_for()
    for name in ("report.docx", "budget.xlsx"):
        edit = table.locator(
            f'.onlyoffice-links a[data-attachment-id="{stack.welcome_attachment_id(name)}"][data-onlyoffice-action="edit"]'
        )
        assert await edit.count() == 1, name
    legacy = table.locator(
        f'.onlyoffice-links[data-attachment-id="{stack.welcome_attachment_id("legacy.doc")}"] a'
    )
    assert sorted(await legacy.all_text_contents()) == [
        "Convert using ONLYOFFICE",
        "Download As",
        "View in ONLYOFFICE",
    ]
    await _screenshot(tab, f"macro-re-render-{'script' if strip else 'server'}")
    assert session.problems == []
    await context.close()


async def test_anonymous_editor_link_goes_through_login_and_back(browser: Browser, stack: Stack) -> None:
    context = await browser.new_context()
    tab = await context.new_page()
    report = stack.welcome_attachment_id("report.docx")
    await tab.goto(f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={report}")
    assert "/login.action" in tab.url
    await tab.fill("[name=os_username]", "alice")
    await tab.fill("[name=os_password]", "alice")
    async with tab.expect_navigation():
        await tab.press("[name=os_password]", "Enter")
    assert "/plugins/servlet/onlyoffice/doceditor" in tab.url, tab.url
    frame = await editor_frame(tab)
    assert await frame.text_content("#oo-mode") == "edit"
    await context.close()


@pytest.mark.parametrize(("user", "mode"), [("alice", "edit"), ("bob", "view")])
async def test_file_preview_gets_an_onlyoffice_button(
    browser: Browser, stack: Stack, user: str, mode: str
) -> None:
    session = await sign_in(browser, stack, user)
    context, tab = session.context, session.page
    page_id, report = stack.welcome_page_id(), stack.welcome_attachment_id("report.docx")
    await tab.goto(
        f"{stack.public_url}/pages/viewpageattachments.action?pageId={page_id}&preview=/{page_id}/{report}/report.docx"
    )
    button = tab.locator("#cp-control-panel-onlyoffice")
    await button.wait_for()
    assert await button.get_attribute("data-onlyoffice-action") == mode
    assert await button.get_attribute("data-attachment-id") == str(report)
    async with context.expect_page() as popup:
        await button.click()
    frame = await editor_frame(await popup.value)
    assert await frame.text_content("#oo-mode") == mode
    await _screenshot(tab, f"preview-{user}")
    assert session.problems == []
    await context.close()
