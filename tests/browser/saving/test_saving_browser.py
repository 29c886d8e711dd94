"""Alice edits report.docx in a real browser through the gateway; the saved version holds her text."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser

from gateway.testing.documents import extract_text
from gateway.testing.stack import running_stack
from tests.browser.browser_session import sign_in

pytestmark = pytest.mark.browser

OUTPUT = Path(__file__).resolve().parents[3] / "test-output"


async def test_alice_edits_closes_and_the_attachments_page_shows_the_new_version(browser: Browser) -> None:
    async with running_stack(save_delay=0.2, retry_base_delay=0.05) as stack:
        page_id = stack.store.page_by_title("DEMO", "Welcome").id  # type: ignore[union-attr]
        att = stack.store.attachment_by_name(page_id, "report.docx")
        assert att is not None and len(att.versions) == 1
        session = await sign_in(browser, stack, "alice")
        page = session.page

        await page.goto(f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={att.id}")
        frame = page.frame_locator("iframe[name=frameEditor]")
        await frame.locator("#oo-title", has_text="report.docx").wait_for()
        await frame.locator("#oo-users", has_text="Alice Example").wait_for()
        assert (await frame.locator("#oo-mode").inner_text()).strip() == "edit"
        await frame.locator("#oo-input").fill("Alice typed this in Chromium")
        await frame.locator("#oo-append").click()
        await frame.locator("#oo-text", has_text="Alice typed this in Chromium").wait_for()
        await frame.locator("#oo-close").click()
        # Closing goes back to the attachments page; the Document Server saves after its delay.
        await page.wait_for_url("**/pages/viewpageattachments.action?pageId=*")
        await stack.docserver.drain()
        assert len(att.versions) == 2

        await page.goto(f"{stack.public_url}/pages/viewpageattachments.action?pageId={page_id}")
        history = page.locator(f".attachment-summary-{att.id} table.attachment-history")
        rows = await history.locator("tr").all_text_contents()
        assert any("Edited in ONLYOFFICE by Alice Example" in row for row in rows), rows
        assert any(row.strip().startswith("2") for row in rows), rows
        link = await page.locator(f"#attachment-{att.id} a.filename").get_attribute("href")
        assert link is not None
        response = await page.request.get(link if link.startswith("http") else stack.gateway_origin + link)
        assert response.status == 200
        assert "Alice typed this in Chromium" in extract_text("docx", await response.body())
        # Show the version history of report.docx (collapsed by default) for the screenshot.
        await page.evaluate(
            "id => document.querySelector('.attachment-summary-' + id).classList.remove('hidden')", att.id
        )
        OUTPUT.mkdir(exist_ok=True)
        await page.screenshot(path=str(OUTPUT / "saving-attachments-after-edit.png"), full_page=True)
        assert session.problems == []
