"""Save As and links between files in headless Chromium, on the editor page.

Alice opens report.docx's editor; the test fires the Document Server's events through the
simulator's `window.__docsapi_fire` (a Save As with a link its conversion service made, a
reference-data request) and checks what the page does: the dialog stores the copy in Confluence
with the link's bytes, and `setReferenceData` gets an answer the Document Server accepts.
"""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import Browser, Page

from gateway.docserver.jwt import verify
from gateway.testing.editor_requests import converted_file_link
from gateway.testing.stack import Stack
from tests.browser.browser_session import editor_frame, method_calls, sign_in

pytestmark = pytest.mark.browser


async def _open_editor(browser: Browser, stack: Stack, user: str) -> tuple[Page, list[str]]:
    session = await sign_in(browser, stack, user, console=True)
    report = stack.welcome_attachment_id("report.docx")
    session.problems.clear()  # from here on: what the editor page logs
    await session.page.goto(f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={report}")
    await editor_frame(session.page)
    return session.page, session.problems


async def test_alice_saves_a_copy_through_the_dialog(browser: Browser, stack: Stack) -> None:
    link = await converted_file_link(stack, stack.welcome_attachment_id("report.docx"), "pdf")
    async with aiohttp.ClientSession() as client, client.get(link) as response:
        expected = await response.read()
    tab, problems = await _open_editor(browser, stack, "alice")
    dialog = tab.locator("#onlyoffice-save-as")
    assert not await dialog.is_visible()
    await tab.evaluate(
        "(url) => window.__docsapi_fire('onRequestSaveAs', {fileType: 'pdf', title: 'report.pdf', url: url})",
        link,
    )
    await dialog.wait_for(state="visible")
    name = dialog.locator("input[name=name]")
    assert await name.input_value() == "report.pdf"
    await name.fill("R&D <notes> copy")  # refused: "<" and ">" cannot be in a file name
    await dialog.locator("button[value=save]").click()
    status = dialog.locator(".onlyoffice-dialog-status")
    await tab.wait_for_function(
        "() => document.querySelector('.onlyoffice-dialog-status').textContent.startsWith('Not saved')"
    )
    assert "cannot contain" in (await status.text_content() or "")
    await name.fill("R&D 'notes' copy")
    await dialog.locator("button[value=save]").click()
    saved = status.locator("a")
    await saved.wait_for()
    assert await status.text_content() == "Saved as R&D 'notes' copy.pdf"
    created = stack.store.attachment_by_name(stack.welcome_page_id(), "R&D 'notes' copy.pdf")
    assert created is not None and stack.store.data(created) == expected
    assert await saved.get_attribute("href") == (
        f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={created.id}"
    )
    assert all("400" in p for p in problems), problems  # the refused name's POST, nothing thrown
    await dialog.locator("button[value=cancel]").click()
    assert not await dialog.is_visible()


async def test_bob_is_not_offered_save_as(browser: Browser, stack: Stack) -> None:
    link = await converted_file_link(stack, stack.welcome_attachment_id("report.docx"), "pdf")
    tab, problems = await _open_editor(browser, stack, "bob")
    await tab.evaluate(
        "(url) => window.__docsapi_fire('onRequestSaveAs', {fileType: 'pdf', title: 'report.pdf', url: url})",
        link,
    )
    assert not await tab.locator("#onlyoffice-save-as").is_visible()
    assert problems == []


async def test_the_editor_gets_the_linked_file(browser: Browser, stack: Stack) -> None:
    tab, problems = await _open_editor(browser, stack, "alice")
    budget = stack.welcome_attachment_id("budget.xlsx")
    await tab.evaluate(
        "([key, instance]) => window.__docsapi_fire('onRequestReferenceData', "
        "{referenceData: {fileKey: key, instanceId: instance}, path: 'budget.xlsx', link: ''})",
        [str(budget), stack.public_url],
    )
    (data,) = await method_calls(tab, "setReferenceData", 1)
    assert data["fileType"] == "xlsx" and data["path"] == "budget.xlsx"
    assert data["referenceData"] == {"fileKey": str(budget), "instanceId": stack.public_url}
    claims = verify(data["token"], stack.settings.documentserver.jwt.secret.get_secret_value())
    assert (claims["url"], claims["key"], claims["referenceData"]) == (
        data["url"],
        data["key"],
        data["referenceData"],
    )
    assert problems == []
    await tab.evaluate("window.__docsapi_fire('onRequestReferenceData', {path: 'missing.xlsx'})")
    failed = (await method_calls(tab, "setReferenceData", 2))[1]
    assert set(failed) == {"error"} and failed["error"]
    assert len(problems) == 1 and "404" in problems[0], problems


async def test_alice_renames_the_document_from_the_editor(browser: Browser, stack: Stack) -> None:
    """Rename (protocol §1.3): the attachment is renamed in Confluence, and the Document Server's
    `meta` command tells the open editor, whose page then shows the new title."""
    tab, problems = await _open_editor(browser, stack, "alice")
    report = stack.store.attachments[stack.welcome_attachment_id("report.docx")]
    await tab.evaluate("window.__docsapi_fire('onRequestRename', 'Budget 2027')")
    # A function, not an expression: Playwright evals expressions, which the page's CSP refuses.
    await tab.wait_for_function("() => document.title === 'Budget 2027.docx - ONLYOFFICE'", timeout=10_000)
    assert report.title == "Budget 2027.docx"
    assert problems == []
    # A name the page already has: the editor page says why, nothing changes.
    taken = next(a for a in stack.store.attachments_of(report.page_id) if a.id != report.id)
    stack.store.add_attachment(report.page_id, "Taken.docx", b"x", taken.current.media_type, by="admin")
    await tab.evaluate("window.__docsapi_fire('onRequestRename', 'Taken')")
    message = tab.locator("#onlyoffice-message")
    await message.wait_for(state="visible", timeout=10_000)
    assert "already has an attachment named Taken.docx" in await message.inner_text()
    assert report.title == "Budget 2027.docx"


async def test_open_source_opens_the_linked_file_in_its_own_editor(browser: Browser, stack: Stack) -> None:
    """onRequestOpen (protocol §1.3): the linked file opens in a new editor tab, found by id when the
    link was made here, by name on the page otherwise; an unknown one is said, no tab left open."""
    tab, problems = await _open_editor(browser, stack, "alice")
    budget = stack.welcome_attachment_id("budget.xlsx")
    expected = f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={budget}"
    for data in (
        {"referenceData": {"fileKey": str(budget), "instanceId": stack.public_url}, "windowName": "src1"},
        {"path": "budget.xlsx", "windowName": "src2"},
    ):
        async with tab.context.expect_page() as opened:
            await tab.evaluate("(data) => window.__docsapi_fire('onRequestOpen', data)", data)
        source = await opened.value
        await source.wait_for_url(expected, timeout=10_000)
        await editor_frame(source)
        await source.close()
    assert problems == []
    async with tab.context.expect_page() as opened:
        await tab.evaluate("window.__docsapi_fire('onRequestOpen', {path: 'missing.xlsx', windowName: 'x'})")
    gone = await opened.value
    await gone.wait_for_event("close", timeout=10_000)
    message = tab.locator("#onlyoffice-message")
    await message.wait_for(state="visible", timeout=10_000)
    assert "not attached to this page" in await message.inner_text()


async def test_change_source_picks_another_spreadsheet(browser: Browser, stack: Stack) -> None:
    """onRequestReferenceSource: the picker lists the page's spreadsheets; the one picked goes to the
    signed setReferenceSource, as the Document Server needs it to re-link."""
    page = stack.welcome_page_id()
    other = stack.store.add_attachment(page, "forecast.xlsx", b"x", "application/vnd.ms-excel", by="admin")
    tab, problems = await _open_editor(browser, stack, "alice")
    await tab.evaluate("window.__docsapi_fire('onRequestReferenceSource', {path: 'budget.xlsx'})")
    picker = tab.locator("#onlyoffice-picker")
    await picker.wait_for(state="visible", timeout=10_000)
    await picker.locator(f'button[data-attachment-id="{other.id}"]').click()
    (data,) = await method_calls(tab, "setReferenceSource", 1)
    assert data["path"] == "forecast.xlsx" and data["fileType"] == "xlsx"
    assert data["referenceData"] == {"fileKey": str(other.id), "instanceId": stack.public_url}
    claims = verify(data["token"], stack.settings.documentserver.jwt.secret.get_secret_value())
    assert claims["url"] == data["url"] and claims["referenceData"] == data["referenceData"]
    assert not await picker.is_visible()
    assert problems == []


async def test_alice_saves_a_copy_to_another_page(browser: Browser, stack: Stack) -> None:
    """The dialog's "Or on another page" searches pages alice may attach to; the copy goes there."""
    stack.store.add_space("TEAM", "Team")
    stack.store.grant("TEAM", "user:admin", "admin")
    stack.store.grant("TEAM", "user:alice", "view", "edit", "attach")
    target = stack.store.add_page("TEAM", "Minutes 2027", by="admin")
    link = await converted_file_link(stack, stack.welcome_attachment_id("report.docx"), "pdf")
    tab, problems = await _open_editor(browser, stack, "alice")
    await tab.evaluate(
        "(url) => window.__docsapi_fire('onRequestSaveAs', {fileType: 'pdf', title: 'report.pdf', url: url})",
        link,
    )
    dialog = tab.locator("#onlyoffice-save-as")
    await dialog.wait_for(state="visible")
    await dialog.locator("input[name=page_search]").fill("nothing like it")
    await dialog.locator(".onlyoffice-save-as-pages").get_by_text("No page with that title").wait_for()
    await dialog.locator("input[name=page_search]").fill("minutes")
    choice = dialog.locator(f'input[name=target][value="{target.id}"]')
    await choice.wait_for()
    assert "Minutes 2027 (TEAM)" in (await dialog.locator(".onlyoffice-save-as-pages").inner_text())
    await choice.check()
    await dialog.locator("input[name=name]").fill("Minutes copy")
    await dialog.locator("button[value=save]").click()
    await dialog.locator(".onlyoffice-dialog-status a").wait_for()
    assert stack.store.attachment_by_name(target.id, "Minutes copy.pdf") is not None
    assert stack.store.attachment_by_name(stack.welcome_page_id(), "Minutes copy.pdf") is None
    assert problems == []
