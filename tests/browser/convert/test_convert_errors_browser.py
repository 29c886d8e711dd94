"""The conversion page in headless Chromium: a refused file shows the gateway's message, as text, at once."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Request, Response

from gateway.testing.documents import make_protected, media_type
from gateway.testing.stack import running_stack
from tests.browser.browser_session import sign_in

pytestmark = pytest.mark.browser

MESSAGE = (
    "The document could not be converted: The file is password protected; "
    "remove the password in an office application and upload it again."
)


async def test_a_protected_file_shows_the_message_and_stops_polling(browser: Browser) -> None:
    async with running_stack() as stack:
        page = stack.store.page_by_title("DEMO", "Welcome")
        assert page is not None
        name = "<img src=x onerror=alert(1)>.doc"  # the title is shown too: it must stay text
        source = stack.store.add_attachment(
            page.id, name, make_protected("doc", "Salaries"), media_type("doc"), by="admin"
        )
        session = await sign_in(browser, stack, "alice")
        tab, problems = session.page, session.problems
        polls: list[Request] = []
        tab.on("request", lambda request: polls.append(request) if request.method == "POST" else None)
        refusals: list[Response] = []
        tab.on("response", lambda response: refusals.append(response) if response.status == 422 else None)
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
