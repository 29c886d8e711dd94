"""The editor's attachment picker in headless Chromium: Insert image, Mail merge, Compare.

Alice opens report.docx's editor; the test fires the Document Server's events (through the
simulator's `window.__docsapi_fire`), picks in the gateway's dialog (by keyboard and by mouse),
and checks the recorded method calls as the Document Server would: the token verifies with its
secret, and the link serves the picked file's bytes with a Document Server JWT only.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page

from gateway.docserver.jwt import verify
from gateway.testing.confluence.seed import png_image
from gateway.testing.confluence.store import Attachment
from gateway.testing.editor_requests import ds_download
from gateway.testing.stack import Stack
from tests.browser.browser_session import SignedIn, editor_frame, sign_in
from tests.browser.browser_session import method_calls as _calls

pytestmark = pytest.mark.browser

HOSTILE = '"><img src=x onerror=alert(1)>.png'


def _welcome(stack: Stack, name: str) -> Attachment:
    found = stack.store.attachment_by_name(stack.welcome_page_id(), name)
    assert found is not None, name
    return found


async def _open_editor(browser: Browser, stack: Stack, document: Attachment) -> SignedIn:
    """Alice's editor on `document`, open; `problems` from then on (console errors included)."""
    session = await sign_in(browser, stack, "alice", console=True)
    session.problems.clear()
    await session.page.goto(
        f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={document.id}"
    )
    await editor_frame(session.page)
    return session


def _verified(stack: Stack, payload: dict[str, Any]) -> None:
    claims = verify(payload["token"], stack.settings.documentserver.jwt.secret.get_secret_value())
    assert {k: claims[k] for k in payload if k != "token"} == {
        k: v for k, v in payload.items() if k != "token"
    }


async def _buttons(tab: Page) -> list[str]:
    dialog = tab.locator("#onlyoffice-picker")
    await dialog.locator("li button").first.wait_for()
    texts: list[str] = await dialog.locator("li button").all_text_contents()
    return texts


async def test_alice_inserts_an_image_and_picks_mail_merge_recipients(browser: Browser, stack: Stack) -> None:
    report, budget = _welcome(stack, "report.docx"), _welcome(stack, "budget.xlsx")
    png = png_image(4, 3)
    stack.store.add_attachment(stack.welcome_page_id(), "photo.png", png, "image/png", by="alice")
    stack.store.add_attachment(stack.welcome_page_id(), HOSTILE, png_image(4, 3), "image/png", by="alice")
    session = await _open_editor(browser, stack, report)
    tab, problems = session.page, session.problems

    # Insert image, by keyboard: the first entry has the focus; Tab to photo.png, Enter.
    await tab.evaluate("window.__docsapi_fire('onRequestInsertImage', {c: 'add'})")
    names = await _buttons(tab)
    assert names == sorted(names, key=str.casefold) and {"diagram.png", "photo.png", HOSTILE} <= set(names)
    assert "report.docx" not in names
    assert await tab.evaluate("document.querySelectorAll('#onlyoffice-picker img').length") == 0
    assert await tab.evaluate("document.activeElement.textContent") == names[0]
    for _ in range(names.index("photo.png")):
        await tab.keyboard.press("Tab")
    assert await tab.evaluate("document.activeElement.textContent") == "photo.png"
    await tab.keyboard.press("Enter")
    (inserted,) = await _calls(tab, "insertImage", 1)
    assert inserted["c"] == "add" and inserted["images"][0]["fileType"] == "png"
    _verified(stack, inserted)
    assert await ds_download(stack, inserted["images"][0]["url"]) == (200, png)
    assert (await ds_download(stack, inserted["images"][0]["url"], signed=False))[0] == 403
    await tab.locator("#onlyoffice-picker").wait_for(state="detached")

    # Mail merge (7.5+ name), by mouse.
    await tab.evaluate("window.__docsapi_fire('onRequestSelectSpreadsheet', {c: 'mailmerge'})")
    assert await _buttons(tab) == ["budget.xlsx", "data.ods"]
    await tab.locator("#onlyoffice-picker li button", has_text="budget.xlsx").click()
    (recipients,) = await _calls(tab, "setRequestedSpreadsheet", 1)
    assert (recipients["c"], recipients["fileType"]) == ("mailmerge", "xlsx")
    _verified(stack, recipients)
    assert await ds_download(stack, recipients["url"]) == (200, stack.store.data(budget))

    # Compare (the older event name) answers with the older method.
    await tab.evaluate("window.__docsapi_fire('onRequestCompareFile')")
    await tab.locator("#onlyoffice-picker li button", has_text="notes.odt").click()
    (revised,) = await _calls(tab, "setRevisedFile", 1)
    assert revised["fileType"] == "odt"
    _verified(stack, revised)
    assert problems == []
    assert await tab.evaluate("window.__docsapi_errors") == []  # the simulator found every payload signed


async def test_the_picker_cancels_and_shows_errors(browser: Browser, stack: Stack) -> None:
    report = _welcome(stack, "report.docx")
    session = await _open_editor(browser, stack, report)
    tab, problems = session.page, session.problems

    # Escape closes it and nothing reaches the editor.
    await tab.evaluate("window.__docsapi_fire('onRequestSelectDocument', {c: 'compare'})")
    assert await _buttons(tab) == ["legacy.doc", "notes.odt", "report.docx"]
    await tab.keyboard.press("Escape")
    await tab.locator("#onlyoffice-picker").wait_for(state="detached")
    # So does Cancel.
    await tab.evaluate("window.__docsapi_fire('onRequestSelectDocument', {c: 'compare'})")
    await _buttons(tab)
    await tab.get_by_role("button", name="Cancel").click()
    await tab.locator("#onlyoffice-picker").wait_for(state="detached")
    assert (
        await tab.evaluate("window.__docsapi_calls.filter(c => c.method === 'setRequestedDocument').length")
        == 0
    )

    # Confluence stops showing the file after the list was shown: the dialog says so, nothing throws.
    await tab.evaluate("window.__docsapi_fire('onRequestSelectDocument', {c: 'compare'})")
    await _buttons(tab)
    stack.store.restrict(stack.welcome_page_id(), "read", users=("admin",))
    await tab.locator("#onlyoffice-picker li button", has_text="notes.odt").click()
    status = tab.locator("#onlyoffice-picker [role=status]")
    await status.filter(has_text="cannot be used").wait_for()
    assert "permission" in (await status.text_content() or "")
    assert await tab.locator("#onlyoffice-picker").is_visible()
    assert (
        await tab.evaluate("window.__docsapi_calls.filter(c => c.method === 'setRequestedDocument').length")
        == 0
    )
    assert len(problems) == 1 and "404" in problems[0], problems  # the refused fetch, nothing thrown


async def test_the_simulator_refuses_unsigned_method_payloads(browser: Browser, stack: Stack) -> None:
    """What the tests above rely on: the simulator's api.js records a signed method without a token."""
    report = _welcome(stack, "report.docx")
    tab = (await _open_editor(browser, stack, report)).page
    await tab.evaluate(
        "window.docEditor.insertImage({c: 'add', images: [{fileType: 'png', url: 'http://x/y.png'}]});"
        "window.docEditor.setRequestedSpreadsheet({c: 'mailmerge', fileType: 'xlsx', url: 'http://x/y', token: 'no'});"
        "window.docEditor.setHistoryData({version: 3, error: 'gone'});"
    )
    errors = await tab.evaluate("window.__docsapi_errors")
    assert len(errors) == 2 and "insertImage" in errors[0] and "setRequestedSpreadsheet" in errors[1], errors
