"""Download As in headless Chromium: from the attachments row to a PDF on the user's disk."""

from __future__ import annotations

import pypdf
import pytest
from playwright.async_api import Browser

from gateway.testing.stack import Stack
from tests.browser.browser_session import sign_in, watch_problems

pytestmark = pytest.mark.browser


async def test_alice_downloads_report_docx_as_pdf_from_the_row(browser: Browser, stack: Stack) -> None:
    report = stack.welcome_attachment_id("report.docx")
    before = len(stack.store.attachments)
    session = await sign_in(browser, stack, "alice")
    await session.page.goto(
        f"{stack.public_url}/pages/viewpageattachments.action?pageId={stack.welcome_page_id()}"
    )
    link = session.page.locator(
        f'.onlyoffice-links[data-attachment-id="{report}"] a[data-onlyoffice-action="download"]'
    )
    assert await link.text_content() == "Download As"
    async with session.context.expect_page() as opened:
        await link.click()
    dialog = await opened.value
    problems = watch_problems(dialog, console=True)  # script errors, CSP reports, failed polls
    await dialog.wait_for_load_state()
    assert await dialog.input_value("#onlyoffice-download-as-name") == "report"
    await dialog.select_option("#onlyoffice-download-as-type", "pdf")
    await dialog.fill("#onlyoffice-download-as-name", "Quarterly report (PDF)")
    async with dialog.expect_download(timeout=30000) as started:
        await dialog.click("#onlyoffice-download-as-submit")
    download = await started.value
    assert download.suggested_filename == "Quarterly report (PDF).pdf"
    saved = await download.path()
    text = "".join(page.extract_text() for page in pypdf.PdfReader(saved).pages)
    assert "Quarterly report" in text and "Revenue grew 12% this quarter." in text
    assert await dialog.text_content("#onlyoffice-download-as-status") == (
        "Downloading Quarterly report (PDF).pdf"
    )
    assert len(stack.store.attachments) == before  # nothing was stored in Confluence
    assert problems == [] and session.problems == []
    await session.context.close()
