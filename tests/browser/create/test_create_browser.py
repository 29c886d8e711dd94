"""New document in headless Chromium: from the attachments page, through the form, into the editor.

The stack runs in the test's event loop on loopback; `browser` comes from tests/browser/conftest.py.
Screenshots go to test-output/browser-create/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from gateway.testing.stack import Stack, running_stack

pytestmark = pytest.mark.browser

OUTPUT = Path(__file__).resolve().parents[3] / "test-output" / "browser-create"
HOSTILE = '<img src=x onerror=alert(1)> "Q3" plan'


async def _sign_in(browser: Browser, stack: Stack, user: str) -> tuple[Page, list[str]]:
    """A fresh profile that logged in with Confluence's own form, through the gateway."""
    problems: list[str] = []
    tab = await (await browser.new_context()).new_page()
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    tab.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
    await tab.goto(f"{stack.public_url}/login.action")
    await tab.locator("[name=os_username]").fill(user)
    await tab.locator("[name=os_password]").fill(user)
    async with tab.expect_navigation():
        await tab.locator("[name=os_password]").press("Enter")
    return tab, problems


async def _simulator_mode(tab: Page) -> str:
    """The mode the Document Server simulator's editor (in the doceditor page's iframe) opened in."""
    await tab.locator("iframe").first.wait_for(state="attached")
    for _ in range(100):
        for frame in tab.frames[1:]:
            mode = await frame.evaluate("(document.getElementById('oo-mode') || {}).textContent || ''")
            if mode:
                return str(mode)
        await tab.wait_for_timeout(100)
    raise AssertionError("the simulator's editor did not open")


async def test_alice_creates_a_spreadsheet_from_the_attachments_page(browser: Browser) -> None:
    async with running_stack() as stack:
        page = stack.store.page_by_title("DEMO", "Welcome")
        assert page is not None
        tab, problems = await _sign_in(browser, stack, "alice")
        await tab.goto(f"{stack.public_url}/pages/viewpageattachments.action?pageId={page.id}")
        control = tab.locator("a.onlyoffice-filecreate")
        await control.wait_for()
        assert await control.count() == 1 and await control.text_content() == "New document"
        OUTPUT.mkdir(parents=True, exist_ok=True)
        await tab.screenshot(path=str(OUTPUT / "attachments-page.png"), full_page=True)
        async with tab.expect_navigation():
            await control.click()
        assert await tab.locator("h1").text_content() == "New document"
        await tab.get_by_label("Spreadsheet").check()
        await tab.locator("#onlyoffice-create-name").fill(HOSTILE)
        await tab.screenshot(path=str(OUTPUT / "form.png"), full_page=True)
        async with tab.expect_navigation(url="**/doceditor?attachmentId=*"):
            await tab.locator("#onlyoffice-create-submit").click()
        assert await _simulator_mode(tab) == "edit"
        name = "_img src=x onerror=alert(1)_ _Q3_ plan.xlsx"
        created = stack.store.attachment_by_name(page.id, name)
        assert created is not None and tab.url.endswith(f"attachmentId={created.id}")
        title = tab.frames[1].locator("#oo-title")
        assert await title.text_content() == name
        await tab.screenshot(path=str(OUTPUT / "editor.png"), full_page=True)
        await tab.goto(f"{stack.public_url}/pages/viewpageattachments.action?pageId={page.id}")
        row = tab.locator(f'tr.attachment-row[data-attachment-id="{created.id}"]')
        await row.locator('.onlyoffice-links a[data-onlyoffice-action="edit"]').wait_for()
        assert problems == []
