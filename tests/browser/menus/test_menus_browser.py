"""ONLYOFFICE items in Confluence's menus, in headless Chromium against the whole stack.

The attachment rows' actions dropdowns and the file preview's "More" menu (reference confluence.md
3.1, 3.5), server-rendered or built only when opened (the simulator's `lazy_menus`, modelling the
React/AJAX menus of newer DC builds; the file viewer's More menu is always built on open). Every
`/access` request the browser makes is counted: opening a menu must never ask again.
Screenshots go to test-output/browser-menus/.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, Locator, Request

from gateway.testing.confluence.common import CONFIG
from gateway.testing.stack import Stack
from tests.browser.browser_session import REFRESH_MACRO, SignedIn, editor_frame, sign_in

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
OUTPUT = ROOT / "test-output" / "browser-menus"
ACCESS_PATH = "/plugins/servlet/onlyoffice/access"
EVIL = "<img src=x onerror=alert(1)>.docx"
ITEMS = 'li[data-onlyoffice="menu"] > a'


class Tab:
    """A signed-in tab (script errors and dialogs in `errors`) that also records every /access request."""

    def __init__(self, session: SignedIn) -> None:
        self.context, self.page, self.errors = session.context, session.page, session.problems
        self.access: list[str] = []
        self.page.on("request", self._request)

    def _request(self, request: Request) -> None:
        if ACCESS_PATH in request.url:
            self.access.append(request.url)


async def _logged_in(browser: Browser, stack: Stack, user: str) -> Tab:
    return Tab(await sign_in(browser, stack, user))


def _attachments_url(stack: Stack, preview: str | None = None) -> str:
    url = f"{stack.public_url}/pages/viewpageattachments.action?pageId={stack.welcome_page_id()}"
    if preview is not None:
        path = f"/{stack.welcome_page_id()}/{stack.welcome_attachment_id(preview)}/{quote(preview, safe='')}"
        url += "&preview=" + quote(path, safe="")
    return url


async def _settled(tab: Tab) -> None:
    """The script has looked at the page (its first pass and any answer it waited for)."""
    await tab.page.locator(".onlyoffice-links").first.wait_for()
    await tab.page.wait_for_load_state("networkidle")
    await tab.page.wait_for_timeout(200)


async def _open_row_menu(tab: Tab, attachment_id: int) -> Locator:
    await tab.page.click(f"#attachment-{attachment_id} .attachment-dropdown-actions a.aui-dropdown2-trigger")
    menu = tab.page.locator(f"#attachment-actions-{attachment_id}")
    await menu.locator("li").first.wait_for(state="visible")
    return menu


async def _open_more_menu(tab: Tab) -> Locator:
    await tab.page.click("#cp-control-panel-more")
    menu = tab.page.locator("#cp-more-menu")
    await menu.locator("li").first.wait_for(state="visible")
    return menu


async def _item_texts(menu: Locator) -> list[str]:
    """Every item's text, Confluence's own and ours, in menu order."""
    return [text.strip() for text in await menu.locator("li > a").all_text_contents()]


async def _screenshot(tab: Tab, name: str) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / f"{name}.png"
    await tab.page.screenshot(path=str(path), full_page=True)
    return path


async def test_alice_gets_edit_items_in_row_dropdowns_and_the_preview_menu(
    browser: Browser, stack: Stack
) -> None:
    report = stack.welcome_attachment_id("report.docx")
    legacy = stack.welcome_attachment_id("legacy.doc")
    tab = await _logged_in(browser, stack, "alice")
    served = await tab.context.request.get(_attachments_url(stack))
    html = await served.text()
    # Server side: the rows' dropdowns are in the markup, so the gateway filled them.
    assert f'data-onlyoffice="menu" data-attachment-id="{report}"' in html
    await tab.page.goto(_attachments_url(stack, preview="report.docx"))
    await _settled(tab)
    asked = len(tab.access)
    assert asked <= 1  # at most the preview's button (the rows came with the server's links)

    menu = await _open_row_menu(tab, report)
    assert await _item_texts(menu) == ["Edit in ONLYOFFICE", "Download As", "Preview", "Properties"]
    edit = menu.locator(ITEMS).first
    assert await edit.get_attribute("class") == "onlyoffice-doceditor"
    assert await edit.get_attribute("href") == (
        f"/confluence/plugins/servlet/onlyoffice/doceditor?attachmentId={report}&lang=en_GB"
    )
    assert await edit.get_attribute("data-attachment-id") == str(report)
    await _screenshot(tab, "alice-row-dropdown")
    await tab.page.keyboard.press("Escape")  # the open menu (now with Download As) covers the next row
    menu = await _open_row_menu(tab, legacy)
    await menu.locator(ITEMS).first.wait_for()
    assert (await _item_texts(menu))[:3] == ["View in ONLYOFFICE", "Convert using ONLYOFFICE", "Download As"]

    more = await _open_more_menu(tab)
    await more.locator(ITEMS).first.wait_for()
    assert await _item_texts(more) == ["Edit in ONLYOFFICE", "Download As", "View attachments", "Download"]
    assert await more.locator(ITEMS).first.get_attribute("data-attachment-id") == str(report)
    assert (
        await tab.page.locator("#cp-control-panel-onlyoffice").get_attribute("data-onlyoffice-action")
        == "edit"
    )
    shot = await _screenshot(tab, "alice-preview-more-menu")
    assert shot.stat().st_size > 0

    # A click on the item opens the editor, in edit mode, in a new tab.
    async with tab.context.expect_page() as popup:
        await more.locator(ITEMS).first.click()
    editor = await popup.value
    frame = await editor_frame(editor)
    assert await frame.text_content("#oo-mode") == "edit"
    assert await frame.text_content("#oo-title") == "report.docx"
    assert len(tab.access) == asked  # opening menus asked nothing
    assert tab.errors == []
    await tab.context.close()


async def test_bob_gets_view_items(browser: Browser, stack: Stack) -> None:
    report = stack.welcome_attachment_id("report.docx")
    tab = await _logged_in(browser, stack, "bob")
    await tab.page.goto(_attachments_url(stack, preview="report.docx"))
    await _settled(tab)
    menu = await _open_row_menu(tab, report)
    await menu.locator(ITEMS).first.wait_for()
    # bob may not edit or delete; his Confluence locale is de_DE, so the labels are German.
    assert await _item_texts(menu) == [
        "In ONLYOFFICE anzeigen",
        "Herunterladen als",
        "Preview",
    ]
    assert await menu.locator(ITEMS).first.get_attribute("class") == "onlyoffice-docviewer"
    more = await _open_more_menu(tab)  # built on open: inject.js's items, German too
    await more.locator(ITEMS).first.wait_for()
    assert (await _item_texts(more))[0] == "In ONLYOFFICE anzeigen"
    assert await tab.page.locator('[data-onlyoffice-action="edit"]').count() == 0
    await _screenshot(tab, "bob-preview-more-menu")
    assert tab.errors == []
    await tab.context.close()


_OPEN_AND_READ = """async (selector) => {
    const trigger = document.querySelector(selector);
    const menu = document.getElementById(trigger.getAttribute('aria-owns'));
    trigger.click();
    await null;  // the observer's microtask, queued when the menu's list was added, runs first
    return Array.from(menu.querySelectorAll('li > a'), (a) => a.textContent.trim());
}"""


async def test_menus_built_on_open_get_items_without_asking_again(browser: Browser, stack: Stack) -> None:
    stack.confluence_app[CONFIG].lazy_menus = True
    report = stack.welcome_attachment_id("report.docx")
    budget = stack.welcome_attachment_id("budget.xlsx")
    evil = stack.store.add_attachment(
        stack.welcome_page_id(),
        EVIL,
        stack.store.data(stack.store.attachments[report]),
        "application/octet-stream",
        by="admin",
    ).id
    tab = await _logged_in(browser, stack, "alice")
    served = await (await tab.context.request.get(_attachments_url(stack))).text()
    assert 'data-onlyoffice="menu"' not in served  # nothing to fill in the markup: the script's job
    await tab.page.goto(_attachments_url(stack, preview="report.docx"))
    await _settled(tab)
    asked = len(tab.access)
    assert asked <= 1
    assert await tab.page.locator(f"#attachment-actions-{report} li").count() == 0  # not built yet
    # The items are there as soon as the menu's own are (the observer's microtask, before a paint).
    trigger = f"#attachment-{report} .attachment-dropdown-actions a.aui-dropdown2-trigger"
    assert await tab.page.evaluate(_OPEN_AND_READ, trigger) == [
        "Edit in ONLYOFFICE",
        "Download As",
        "Preview",
        "Properties",
    ]
    assert await tab.page.evaluate(_OPEN_AND_READ, "#cp-control-panel-more") == [
        "Edit in ONLYOFFICE",
        "Download As",
        "View attachments",
        "Download",
    ]
    await tab.page.keyboard.press("Escape")

    for _ in range(2):  # each open builds a fresh list; each gets the item from what is known
        menu = await _open_row_menu(tab, report)
        await menu.locator(ITEMS).first.wait_for()
        assert await _item_texts(menu) == ["Edit in ONLYOFFICE", "Download As", "Preview", "Properties"]
        await tab.page.keyboard.press("Escape")
        await menu.locator("li").first.wait_for(state="detached")
    menu = await _open_row_menu(tab, budget)
    await menu.locator(ITEMS).first.wait_for()
    assert (await _item_texts(menu))[0] == "Edit in ONLYOFFICE"
    menu = await _open_row_menu(tab, evil)
    await menu.locator(ITEMS).first.wait_for()
    assert await menu.locator(ITEMS).first.get_attribute("title") == f"Edit {EVIL} in ONLYOFFICE"
    assert await tab.page.locator("img[onerror]").count() == 0
    for _ in range(2):
        more = await _open_more_menu(tab)
        await more.locator(ITEMS).first.wait_for()
        assert await _item_texts(more) == [
            "Edit in ONLYOFFICE",
            "Download As",
            "View attachments",
            "Download",
        ]
        await _screenshot(tab, "lazy-preview-more-menu")
        await tab.page.keyboard.press("Escape")
    await tab.page.wait_for_timeout(300)
    assert len(tab.access) == asked
    assert await tab.page.locator(f'{ITEMS}[data-attachment-id="{report}"]').count() == 0  # closed
    assert tab.errors == []

    # The page tools menu (React in newer builds) is not an attachment's menu: left alone.
    await tab.page.goto(f"{stack.public_url}/display/DEMO/Welcome")
    await _settled(tab)
    await tab.page.click("#action-menu-link")
    await tab.page.locator("#view-attachments-link").wait_for(state="visible")
    await tab.page.wait_for_timeout(300)
    assert await tab.page.locator("#action-menu [data-onlyoffice]").count() == 0
    assert tab.errors == []
    await tab.context.close()


async def test_script_answers_are_reused_by_menus_opened_later(browser: Browser, stack: Stack) -> None:
    stack.confluence_app[CONFIG].lazy_menus = True
    report = stack.welcome_attachment_id("report.docx")
    tab = await _logged_in(browser, stack, "alice")
    await tab.page.goto(f"{stack.public_url}/display/DEMO/Welcome")
    await _settled(tab)
    before = len(tab.access)
    assert await tab.page.evaluate(REFRESH_MACRO, True) == 200  # without any server-inserted link
    table = tab.page.locator(".plugin_attachments_container")
    await table.locator(f'.onlyoffice-links[data-attachment-id="{report}"]').wait_for()
    await tab.page.wait_for_load_state("networkidle")
    assert len(tab.access) == before + 1  # one batched request for the whole re-rendered table
    for _ in range(2):
        menu = await _open_row_menu(tab, report)
        await menu.locator(ITEMS).first.wait_for()
        assert (await _item_texts(menu))[0] == "Edit in ONLYOFFICE"
        await tab.page.keyboard.press("Escape")
    await tab.page.wait_for_timeout(300)
    assert len(tab.access) == before + 1
    await _screenshot(tab, "rerendered-table")
    assert tab.errors == []
    await tab.context.close()
