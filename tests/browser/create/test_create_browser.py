"""New document in headless Chromium: from the attachments page, through the form, into the editor.

The stack runs in the test's event loop on loopback; `browser` comes from tests/browser/conftest.py.
Screenshots go to test-output/browser-create/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser

from gateway.testing.stack import running_stack
from tests.browser.browser_session import editor_frame, sign_in

pytestmark = pytest.mark.browser

OUTPUT = Path(__file__).resolve().parents[3] / "test-output" / "browser-create"
HOSTILE = '<img src=x onerror=alert(1)> "Q3" plan'


async def test_alice_creates_a_spreadsheet_from_the_attachments_page(browser: Browser) -> None:
    async with running_stack() as stack:
        page = stack.store.page_by_title("DEMO", "Welcome")
        assert page is not None
        session = await sign_in(browser, stack, "alice")
        tab = session.page
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
        assert await (await editor_frame(tab)).text_content("#oo-mode") == "edit"
        name = "_img src=x onerror=alert(1)_ _Q3_ plan.xlsx"
        created = stack.store.attachment_by_name(page.id, name)
        assert (
            created is not None and f"attachmentId={created.id}&lang=" in tab.url
        )  # her Confluence locale too
        title = tab.frames[1].locator("#oo-title")
        assert await title.text_content() == name
        await tab.screenshot(path=str(OUTPUT / "editor.png"), full_page=True)
        await tab.goto(f"{stack.public_url}/pages/viewpageattachments.action?pageId={page.id}")
        row = tab.locator(f'tr.attachment-row[data-attachment-id="{created.id}"]')
        await row.locator('.onlyoffice-links a[data-onlyoffice-action="edit"]').wait_for()
        assert session.problems == []
