"""The conversion page in headless Chromium: a refused file shows the gateway's message, as text, at once.

Launches Debian's /usr/bin/chromium with the recipe of tests/browser/conftest.py (not importable here).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Request, Response, async_playwright

from gateway.testing.documents import make_protected, media_type
from gateway.testing.stack import running_stack

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MESSAGE = (
    "The document could not be converted: The file is password protected; "
    "remove the password in an office application and upload it again."
)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def test_a_protected_file_shows_the_message_and_stops_polling(browser: Browser) -> None:
    async with running_stack() as stack:
        page = stack.store.page_by_title("DEMO", "Welcome")
        assert page is not None
        name = "<img src=x onerror=alert(1)>.doc"  # the title is shown too: it must stay text
        source = stack.store.add_attachment(
            page.id, name, make_protected("doc", "Salaries"), media_type("doc"), by="admin"
        )
        tab = await (await browser.new_context()).new_page()
        problems: list[str] = []
        tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        tab.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
        polls: list[Request] = []
        tab.on("request", lambda request: polls.append(request) if request.method == "POST" else None)
        refusals: list[Response] = []
        tab.on("response", lambda response: refusals.append(response) if response.status == 422 else None)
        await tab.goto(f"{stack.public_url}/login.action")
        await tab.locator("[name=os_username]").fill("alice")
        await tab.locator("[name=os_password]").fill("alice")
        async with tab.expect_navigation():
            await tab.locator("[name=os_password]").press("Enter")
        polls.clear()
        await tab.goto(f"{stack.public_url}/plugins/servlet/onlyoffice/convert?attachmentId={source.id}")
        assert await tab.locator("h1").text_content() == f"Converting {name} to DOCX…"
        status = tab.locator("#onlyoffice-convert-status")
        await status.filter(has_text="password protected").wait_for(timeout=15000)
        assert await status.text_content() == MESSAGE
        answered = len(polls)
        await tab.wait_for_timeout(2500)  # longer than the page's 1 s / 2 s retry pauses
        assert len(polls) == answered and len(refusals) == 1  # a 422 is final: not asked again
        assert await tab.locator("img").count() == 0 and problems == []
        assert stack.store.attachment_by_name(page.id, "_img src=x onerror=alert(1)_.docx") is None
