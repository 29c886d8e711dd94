"""bob's Confluence locale is de_DE: what inject.js builds in the browser is German too.

A table re-rendered by AJAX (`rendermacro.action`, a fragment without `ajs-user-locale`, so the
server labels it in English) and row menus built only when opened (the simulator's `lazy_menus`)
get the German labels the gateway gave the script with the page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser

from gateway.testing.confluence.common import CONFIG
from gateway.testing.stack import Stack
from tests.browser.browser_session import REFRESH_MACRO, sign_in

pytestmark = pytest.mark.browser

OUTPUT = Path(__file__).resolve().parents[3] / "test-output" / "browser-menus"


@pytest.mark.parametrize("strip", [False, True], ids=["server-injected", "script-injected"])
async def test_bob_sees_german_after_a_re_render_and_in_menus_built_on_open(
    browser: Browser, stack: Stack, strip: bool
) -> None:
    stack.confluence_app[CONFIG].lazy_menus = True
    session = await sign_in(browser, stack, "bob")
    tab = session.page
    await tab.goto(f"{stack.public_url}/display/DEMO/Welcome")
    table = tab.locator(".plugin_attachments_container")
    await table.locator(".onlyoffice-links").first.wait_for()
    added = stack.store.add_attachment(
        stack.welcome_page_id(),
        "hochgeladen.docx",
        stack.store.data(stack.store.attachments[stack.welcome_attachment_id("report.docx")]),
        "application/octet-stream",
        by="alice",
    ).id
    assert await tab.evaluate(REFRESH_MACRO, strip) == 200
    view = table.locator(f'.onlyoffice-links a[data-attachment-id="{added}"][data-onlyoffice-action="view"]')
    await view.wait_for()
    await tab.wait_for_function(
        '(id) => document.querySelector(`.onlyoffice-links a[data-attachment-id="${id}"]`)'
        ".textContent === 'In ONLYOFFICE anzeigen'",
        arg=str(added),
    )
    assert await view.get_attribute("title") == "hochgeladen.docx in ONLYOFFICE anzeigen"
    assert (await view.get_attribute("href") or "").endswith(f"attachmentId={added}&lang=de_DE")
    legacy = table.locator(
        f'.onlyoffice-links[data-attachment-id="{stack.welcome_attachment_id("legacy.doc")}"] a'
    )
    await tab.wait_for_function(
        "() => !Array.from(document.querySelectorAll('.plugin_attachments_container .onlyoffice-links a'))"
        ".some((a) => /ONLYOFFICE$|^Download As$/.test(a.textContent))"
    )
    assert sorted(await legacy.all_text_contents()) == ["Herunterladen als", "In ONLYOFFICE anzeigen"]
    # A row's menu, built only now that it opens: the script's items, German.
    await tab.goto(f"{stack.public_url}/pages/viewpageattachments.action?pageId={stack.welcome_page_id()}")
    await tab.locator(".onlyoffice-links").first.wait_for()
    await tab.click(f"#attachment-{added} .attachment-dropdown-actions a.aui-dropdown2-trigger")
    items = tab.locator(f'#attachment-actions-{added} li[data-onlyoffice="menu"] > a')
    await items.first.wait_for()
    assert [t.strip() for t in await items.all_text_contents()] == [
        "In ONLYOFFICE anzeigen",
        "Herunterladen als",
    ]
    assert await items.first.get_attribute("title") == "hochgeladen.docx in ONLYOFFICE anzeigen"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    await tab.screenshot(
        path=str(OUTPUT / f"bob-german-{'script' if strip else 'server'}.png"), full_page=True
    )
    assert session.problems == []
    await session.context.close()
