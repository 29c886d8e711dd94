"""The simulator's pages look like Confluence 7.x/8.x where it matters, in headless Chromium.

Computed styles and layout boxes, not pixels: the AUI header in Confluence's header colour with the
Confluence logo text, the space sidebar left of the content, breadcrumbs above the page title,
Confluence's font stack, and the attachments table with the ONLYOFFICE links where the plugin's
`system.attachment` items go: next to `a.filename` in the row, and at the top of the row's actions
dropdown (reference confluence.md 3.1, onlyoffice-confluence-plugin.md section 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, FloatRect, Page

from gateway.testing.screenshot import take_screenshot
from gateway.testing.stack import Stack
from tests.browser.browser_session import sign_in

pytestmark = pytest.mark.browser

HEADER_BLUE = "rgb(0, 73, 176)"  # #0049B0, the default top bar of Confluence 7.x/8.x
LINK_BLUE = "rgb(0, 82, 204)"  # #0052CC, links
TEXT = "rgb(23, 43, 77)"  # #172B4D, body text
SUBTLE = "rgb(94, 108, 132)"  # #5E6C84, table headers and metadata
ITEMS = 'li[data-onlyoffice="menu"] > a'


async def _style(page: Page, selector: str, *properties: str) -> dict[str, str]:
    values: dict[str, str] = await page.eval_on_selector(
        selector,
        "(element, names) => Object.fromEntries(names.map(n => [n, getComputedStyle(element)[n]]))",
        list(properties),
    )
    return values


async def _box(page: Page, selector: str) -> FloatRect:
    box = await page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return box


async def _looks_like_confluence(page: Page) -> None:
    """What every page with a space shares: header, sidebar, title area, fonts."""
    header = await _style(page, "#header nav.aui-header", "backgroundColor", "height")
    assert header["backgroundColor"] == HEADER_BLUE
    assert 38 <= float(header["height"].removesuffix("px")) <= 48
    logo = page.locator("#logo.aui-header-logo a .aui-header-logo-text")
    assert (await logo.text_content()) == "Confluence"
    assert (await _style(page, "#logo a", "color"))["color"] == "rgb(255, 255, 255)"
    assert await page.locator("#header .aui-header-primary .aui-nav #space-directory-link").is_visible()
    assert await page.locator("#header .aui-header-secondary #quick-search-query").is_visible()

    body = await _style(page, "body", "fontFamily", "fontSize", "color")
    assert body["fontFamily"].startswith("-apple-system")
    assert '"Segoe UI"' in body["fontFamily"] and "Roboto" in body["fontFamily"]
    assert body["fontSize"] == "14px" and body["color"] == TEXT

    sidebar, main = await _box(page, ".ia-splitter-left .acs-side-bar"), await _box(page, "#main")
    assert sidebar["x"] + sidebar["width"] <= main["x"] + 1, "the sidebar is left of the content"
    assert (await page.locator(".acs-side-bar-space-info .name").text_content() or "").strip() == "Demo"
    assert await page.locator(".acs-side-bar .space-tools-section #space-tools-menu-trigger").is_visible()

    crumbs, title = (
        await _box(page, "#title-heading #breadcrumbs"),
        await _box(page, "#title-heading h1#title-text"),
    )
    assert crumbs["y"] + crumbs["height"] <= title["y"] + 1, "breadcrumbs above the title"
    heading = await _style(page, "#title-text", "fontSize", "fontWeight", "color")
    assert heading == {"fontSize": "24px", "fontWeight": "500", "color": TEXT}
    assert (await page.locator("#title-text").text_content() or "").strip() == "Welcome"


async def _links_beside_filename(page: Page, attachment_id: int, action: str) -> None:
    """The row's ONLYOFFICE links follow its a.filename in the filename cell, on the same line."""
    row = f'tr.attachment-row[data-attachment-id="{attachment_id}"]'
    placed = await page.eval_on_selector(
        row,
        """row => {
            const name = row.querySelector('td.filename-column > a.filename');
            const next = name && name.nextElementSibling;
            return next ? [next.className, next.closest('td').className] : null;
        }""",
    )
    assert placed == ["onlyoffice-links", "filename-column"]
    name = await _box(page, f"{row} a.filename")
    link = await _box(page, f'{row} .onlyoffice-links a[data-onlyoffice-action="{action}"]')
    assert link["x"] >= name["x"] + name["width"], "the link comes after the file name"
    assert abs(link["y"] - name["y"]) < 4, "on the file name's line"
    colour = await _style(page, f'{row} .onlyoffice-links a[data-onlyoffice-action="{action}"]', "color")
    assert colour["color"] == LINK_BLUE


async def test_the_page_view_looks_like_confluence(browser: Browser, stack: Stack) -> None:
    session = await sign_in(browser, stack, "alice")
    page = session.page
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{stack.public_url}/display/DEMO/Welcome")
    await page.wait_for_selector(".onlyoffice-links")
    await _looks_like_confluence(page)

    metadata, content = await _box(page, "#content .page-metadata"), await _box(page, "#main-content")
    assert metadata["y"] + metadata["height"] <= content["y"] + 1
    assert "Administrator" in (await page.locator(".page-metadata .author").text_content() or "")
    assert (
        await page.locator(
            "#main-content.wiki-content .plugin_attachments_container table.attachments"
        ).count()
        == 1
    )
    edit = await _style(page, "#navigation #editPageLink.aui-button", "height", "borderRadius")
    assert edit == {"height": "30px", "borderRadius": "3.01px"}
    await _links_beside_filename(page, stack.welcome_attachment_id("report.docx"), "edit")

    # The page tools menu: an AUI dropdown2 opening under its trigger, inside the window.
    await page.click("#action-menu-link")
    menu = page.locator("#action-menu")
    await menu.wait_for(state="visible")
    look = await _style(page, "#action-menu", "backgroundColor", "boxShadow", "position")
    assert look["backgroundColor"] == "rgb(255, 255, 255)" and look["boxShadow"] != "none"
    assert look["position"] == "absolute"
    trigger, opened = await _box(page, "#action-menu-link"), await _box(page, "#action-menu")
    assert opened["y"] >= trigger["y"] + trigger["height"] - 1 and opened["x"] + opened["width"] <= 1280
    assert session.problems == []
    await session.context.close()


async def test_the_attachments_page_looks_like_confluence_with_the_links_in_place(
    browser: Browser, stack: Stack
) -> None:
    session = await sign_in(browser, stack, "alice")
    page = session.page
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto(f"{stack.public_url}/pages/viewpageattachments.action?pageId={stack.welcome_page_id()}")
    await page.wait_for_selector("tr.attachment-row .onlyoffice-links")
    await _looks_like_confluence(page)

    header = await _style(
        page, "table.attachments.aui th.filename-column", "color", "fontWeight", "borderBottom"
    )
    assert header["color"] == SUBTLE and header["fontWeight"] == "600"
    assert header["borderBottom"].startswith("2px solid")
    assert (await _style(page, "table.attachments a.filename", "color"))["color"] == LINK_BLUE
    modified = await _style(page, "table.attachments td.modified-column", "color", "whiteSpace")
    assert modified == {"color": SUBTLE, "whiteSpace": "nowrap"}
    icon = await _style(
        page, "td.filename-column span.content-type-attachment-word", "width", "backgroundColor"
    )
    assert icon["width"] == "16px" and icon["backgroundColor"] != "rgba(0, 0, 0, 0)"

    report = stack.welcome_attachment_id("report.docx")
    legacy = stack.welcome_attachment_id("legacy.doc")
    await _links_beside_filename(page, report, "edit")
    await _links_beside_filename(page, legacy, "convert")
    # Every row keeps its cells in Confluence's order: toggle, file, modified (with the actions).
    cells: list[Any] = await page.eval_on_selector_all(
        "tr.attachment-row", "rows => rows.map(r => [...r.children].map(c => c.classList[0]))"
    )
    assert cells and all(
        c == ["attachment-summary-toggle", "filename-column", "attachment-created"] for c in cells
    )

    # The row's actions dropdown opens under its "…" trigger with the ONLYOFFICE items first.
    trigger = f"#attachment-{report} .attachment-dropdown-actions a.aui-dropdown2-trigger"
    await page.click(trigger)
    menu = page.locator(f"#attachment-actions-{report}")
    await menu.locator(ITEMS).first.wait_for(state="visible")
    first = menu.locator("li > a").first
    assert (await first.text_content()) == "Edit in ONLYOFFICE"
    assert await first.get_attribute("data-onlyoffice-action") == "edit"
    opened, button = await _box(page, f"#attachment-actions-{report}"), await _box(page, trigger)
    assert opened["y"] >= button["y"] + button["height"] - 1 and opened["x"] + opened["width"] <= 1280
    look = await _style(page, f"#attachment-actions-{report}", "backgroundColor", "boxShadow")
    assert look["backgroundColor"] == "rgb(255, 255, 255)" and look["boxShadow"] != "none"

    # The upload area under the table, with the plugin's "New document" control as an AUI button.
    table, upload = (
        await _box(page, "table.attachments"),
        await _box(page, ".plugin_attachments_upload_container"),
    )
    assert upload["y"] >= table["y"] + table["height"]
    create = await _style(page, ".plugin_attachments_upload_container a.onlyoffice-filecreate", "height")
    assert create["height"] == "30px"
    assert session.problems == []
    await session.context.close()


async def test_login_and_dashboard_have_the_header_but_no_space_sidebar(
    browser: Browser, stack: Stack
) -> None:
    session = await sign_in(browser, stack, "bob")
    page = session.page
    await page.goto(f"{stack.public_url}/index.action")
    assert (await _style(page, "#header nav.aui-header", "backgroundColor"))["backgroundColor"] == HEADER_BLUE
    assert await page.locator(".acs-side-bar").count() == 0
    await page.click("#user-menu-link")
    await page.locator("#logout-link").wait_for(state="visible")
    async with page.expect_navigation():
        await page.click("#logout-link")
    assert await page.locator("#loginform").is_visible()
    assert (await _style(page, "#header nav.aui-header", "backgroundColor"))["backgroundColor"] == HEADER_BLUE
    await session.context.close()


async def test_the_readme_screenshot_helper_writes_a_small_png(tmp_path: Path) -> None:
    out = await take_screenshot(tmp_path / "attachments-page.png")
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and 10_000 < len(data) < 300_000
