"""inject.js in headless Chromium against a small aiohttp server: fixture pages and a fake /access.

The server plays Confluence (pages, a rendermacro re-render) and the gateway route the script
calls (`/plugins/servlet/onlyoffice/access`, with the documented contract); every access call is
recorded so the tests can count them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page

from gateway.onlyoffice.links.inject import AttachmentLinks, inject_links, scan_page
from gateway.onlyoffice.links.inject_script import join_inject_script
from tests.unit.inject.fixtures.make_fixtures import attachments_container, embedded_file, page
from tests.unit.inject.inject_helpers import fixture_page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
OUTPUT = ROOT / "test-output" / "browser-inject"
CTX = "/confluence"
SCRIPT_URL = f"{CTX}/plugins/servlet/onlyoffice/static/inject.js"
ACCESS_CALLS: web.AppKey[list[list[str]]] = web.AppKey("access_calls", list)


def decision(attachment_id: str) -> dict[str, Any] | None:
    """Fake rules: ids ending in 0 or 5 get nothing, odd ids view, even ids edit + convert."""
    number = int(attachment_id)
    if number % 5 == 0:
        return None
    if number % 2:
        return {"mode": "view", "convert": None}
    return {"mode": "edit", "convert": "docx"}


def links_for(ids: list[str]) -> dict[str, AttachmentLinks]:
    found = {}
    for attachment_id in ids:
        value = decision(attachment_id)
        if value is not None:
            found[attachment_id] = AttachmentLinks(mode=value["mode"], convert=value["convert"])
    return found


def with_script(document: bytes) -> bytes:
    """The page as the gateway sends it when it adds only the script (links left to the browser)."""
    return inject_links(document, {}, context_path=CTX, script_url=SCRIPT_URL, script="always")


def server_injected(document: bytes) -> bytes:
    scan = scan_page(document)
    return inject_links(
        document, links_for(scan.attachment_ids), context_path=CTX, script_url=SCRIPT_URL, scan=scan
    )


def empty_macro_page() -> bytes:
    body = '<h2>Attachments</h2>\n<div id="macro-slot">' + attachments_container([], "65601") + "</div>"
    return page("Macro", body, sidebar=3).encode()


def rerendered_table() -> str:
    rows = [
        (300001, "new report.docx"),
        (300002, "sheet.xlsx"),
        (300003, "<b>bold</b>.pptx"),
        (300004, "x.docx"),
    ]
    return attachments_container(rows, "65601")


async def make_app() -> web.Application:
    app = web.Application()
    app[ACCESS_CALLS] = []
    pages = {
        "attachments": with_script(fixture_page("attachments-page.html")),
        "injected": server_injected(fixture_page("attachments-page.html")),
        "view": with_script(fixture_page("page-view.html")),
        "view-injected": server_injected(fixture_page("page-view.html")),
        "macro": with_script(empty_macro_page()),
        "broken": with_script(
            page("Broken", "<p>" + embedded_file(666666, "x.docx", "65601") + "</p>", sidebar=1).encode()
        ),
        "evil-context": with_script(fixture_page("page-view.html")).replace(
            b'<meta name="ajs-context-path" content="/confluence">',
            b'<meta name="ajs-context-path" content="javascript:alert(1)//">',
        ),
        "twice": with_script(fixture_page("page-view.html")).replace(
            b"</body>", b'<script src="' + SCRIPT_URL.encode() + b'"></script></body>'
        ),
    }

    async def show(request: web.Request) -> web.Response:
        return web.Response(body=pages[request.match_info["name"]], content_type="text/html", charset="utf-8")

    script_body = join_inject_script()  # what the gateway serves: the parts joined

    async def script(request: web.Request) -> web.Response:
        return web.Response(body=script_body, headers={"Content-Type": "text/javascript"})

    async def access(request: web.Request) -> web.Response:
        ids = request.query.getall("attachmentId", [])
        request.app[ACCESS_CALLS].append(ids)
        await asyncio.sleep(0.05)
        if "666666" in ids:
            return web.Response(status=500, text="<html>Internal error</html>", content_type="text/html")
        return web.json_response({attachment_id: decision(attachment_id) for attachment_id in ids})

    async def rendermacro(request: web.Request) -> web.Response:
        return web.Response(text=rerendered_table(), content_type="text/html")

    app.router.add_get(CTX + "/page/{name}", show)
    app.router.add_get(SCRIPT_URL, script)
    app.router.add_get(CTX + "/plugins/servlet/onlyoffice/access", access)
    app.router.add_get(CTX + "/pages/plugins/attachments/rendermacro.action", rendermacro)
    return app


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    test_server = TestServer(await make_app(), host="127.0.0.1")
    await test_server.start_server()
    yield test_server
    await test_server.close()


async def open_page(browser: Browser, server: TestServer, name: str, query: str = "") -> Page:
    tab = await browser.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("dialog", lambda dialog: errors.append("dialog: " + dialog.message))
    tab.errors = errors  # type: ignore[attr-defined]
    await tab.goto(str(server.make_url(f"{CTX}/page/{name}{query}")))
    return tab


async def links_by_id(tab: Page) -> dict[str, list[str]]:
    return await tab.evaluate(  # type: ignore[no-any-return]
        """() => {
            const found = {};
            document.querySelectorAll('.onlyoffice-links').forEach((span) => {
                const id = span.getAttribute('data-attachment-id');
                found[id] = (found[id] || []).concat(
                    Array.from(span.querySelectorAll('a')).map((a) => a.className + '|' + a.textContent));
            });
            return found;
        }"""
    )


def calls(server: TestServer) -> list[list[str]]:
    return server.app[ACCESS_CALLS]


async def test_adds_links_to_rows_with_one_batched_call(browser: Browser, server: TestServer) -> None:
    tab = await open_page(browser, server, "attachments")
    await tab.wait_for_selector('.onlyoffice-links[data-attachment-id="100001"]')
    await tab.wait_for_timeout(300)
    ids = scan_page(fixture_page("attachments-page.html")).attachment_ids
    assert calls(server) == [ids]  # one call, all 100 ids
    found = await links_by_id(tab)
    assert set(found) == {att for att in ids if decision(att) is not None}
    assert found["100001"] == ["onlyoffice-docviewer|View in ONLYOFFICE"]
    assert found["100002"] == [
        "onlyoffice-doceditor|Edit in ONLYOFFICE",
        "onlyoffice-docconvert|Convert using ONLYOFFICE",
    ]
    href = await tab.get_attribute(
        '.onlyoffice-links[data-attachment-id="100002"] a.onlyoffice-doceditor', "href"
    )
    assert href == f"{CTX}/plugins/servlet/onlyoffice/doceditor?attachmentId=100002&lang=en_GB"
    assert tab.errors == []  # type: ignore[attr-defined]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    await tab.set_viewport_size({"width": 1100, "height": 900})
    await tab.locator("table.attachments").scroll_into_view_if_needed()
    await tab.screenshot(path=str(OUTPUT / "attachments-page-js-links.png"))


async def test_hostile_filenames_stay_text(browser: Browser, server: TestServer) -> None:
    tab = await open_page(browser, server, "attachments")
    await tab.wait_for_selector('.onlyoffice-links[data-attachment-id="100098"]')
    titles = await tab.evaluate(
        """() => ['100098', '100099'].map((id) =>
            document.querySelector(`.onlyoffice-links[data-attachment-id="${id}"] a`).getAttribute('title'))"""
    )
    assert titles == [
        "Edit <img src=x onerror=alert(1)>.docx in ONLYOFFICE",
        "View \"quoted' &amp;.docx in ONLYOFFICE",
    ]
    assert await tab.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert tab.errors == []  # type: ignore[attr-defined]


async def test_server_injected_links_are_not_duplicated(browser: Browser, server: TestServer) -> None:
    tab = await open_page(browser, server, "injected")
    await tab.wait_for_timeout(400)
    found = await links_by_id(tab)
    ids = scan_page(fixture_page("attachments-page.html")).attachment_ids
    assert set(found) == {att for att in ids if decision(att) is not None}
    assert all(len(labels) <= 2 for labels in found.values())
    assert await tab.evaluate("() => document.querySelectorAll('.onlyoffice-links').length") == len(found)
    # Rows the server decided "nothing" for carry no marker (their bytes stay untouched), so the
    # script asks once about exactly those, and adds nothing.
    assert calls(server) == [[att for att in ids if decision(att) is None]]
    assert await tab.evaluate("() => document.querySelectorAll('script[data-onlyoffice]').length") == 1


async def test_script_builds_the_same_markup_as_the_server(browser: Browser, server: TestServer) -> None:
    markup = """() => Array.from(document.querySelectorAll('.onlyoffice-links'))
        .map((span) => JSON.stringify([span.previousSibling.textContent.slice(-1), span.outerHTML]))"""
    for name in ("attachments", "view"):
        by_script = await open_page(browser, server, name)
        await by_script.wait_for_selector(".onlyoffice-links")
        await by_script.wait_for_timeout(300)
        by_server = await open_page(browser, server, "injected" if name == "attachments" else "view-injected")
        assert await by_script.evaluate(markup) == await by_server.evaluate(markup)


async def test_rendermacro_rerender_gets_links_in_one_call(browser: Browser, server: TestServer) -> None:
    tab = await open_page(browser, server, "macro")
    await tab.wait_for_timeout(300)
    assert calls(server) == []  # an empty macro: nothing to ask
    # What the attachments plugin does after an upload: fetch rendermacro.action, replace the table;
    # then, in the same burst, a few more DOM changes.
    await tab.evaluate(
        """async () => {
            const response = await fetch(contextPath + '/pages/plugins/attachments/rendermacro.action?pageId=65601');
            document.getElementById('macro-slot').innerHTML = await response.text();
            for (let i = 0; i < 5; i++) {
                document.body.appendChild(document.createElement('div'));
                await new Promise((resolve) => setTimeout(resolve, 5));
            }
        }"""
    )
    await tab.wait_for_selector('.onlyoffice-links[data-attachment-id="300001"]')
    await tab.wait_for_timeout(300)
    assert calls(server) == [["300001", "300002", "300003", "300004"]]
    found = await links_by_id(tab)
    assert set(found) == {"300001", "300002", "300003", "300004"}
    title = await tab.get_attribute('.onlyoffice-links[data-attachment-id="300003"] a', "title")
    assert title == "View <b>bold</b>.pptx in ONLYOFFICE"
    # The same table rendered again: links come back without asking again.
    await tab.evaluate(
        """async () => {
            const response = await fetch(contextPath + '/pages/plugins/attachments/rendermacro.action?pageId=65601');
            document.getElementById('macro-slot').innerHTML = await response.text();
        }"""
    )
    await tab.wait_for_selector('.onlyoffice-links[data-attachment-id="300002"]')
    await tab.wait_for_timeout(200)
    assert len(calls(server)) == 1
    assert await tab.evaluate("() => document.querySelectorAll('.onlyoffice-links').length") == 4
    assert tab.errors == []  # type: ignore[attr-defined]


PREVIEW = """(href) => {
    const header = document.createElement('div');
    header.id = 'cp-header';
    const download = document.createElement('a');
    download.id = 'cp-control-panel-download';
    download.className = 'cp-icon';
    download.setAttribute('href', href);
    download.textContent = 'Download';
    header.appendChild(download);
    document.body.appendChild(header);
}"""


async def test_preview_header_gets_a_button(browser: Browser, server: TestServer) -> None:
    tab = await open_page(browser, server, "view-injected")
    await tab.wait_for_timeout(300)
    assert calls(server) == [["200010"]]  # the one embedded file the server decided nothing for
    # The preview of report.docx (a macro row, id 200001 -> view; server links already there).
    await tab.evaluate(PREVIEW, "/confluence/download/attachments/65602/report.docx?version=1&api=v2")
    button = tab.locator("#cp-header a#cp-control-panel-onlyoffice")
    await button.wait_for()
    assert (
        await button.get_attribute("href")
        == f"{CTX}/plugins/servlet/onlyoffice/doceditor?attachmentId=200001&lang=en_GB"
    )
    assert await button.text_content() == "View in ONLYOFFICE"
    # It sits before Confluence's own download control.
    assert await tab.evaluate(
        "() => document.getElementById('cp-control-panel-onlyoffice').nextElementSibling.id"
    ) == ("cp-control-panel-download")
    assert calls(server) == [["200010"], ["200001"]]
    # The viewer moves to another file: the button follows.
    await tab.evaluate(
        "() => document.getElementById('cp-control-panel-download').setAttribute('href', "
        "'/confluence/download/attachments/65602/budget.xlsx?version=2&api=v2')"
    )
    await tab.wait_for_function(
        "() => document.getElementById('cp-control-panel-onlyoffice')?.getAttribute('data-attachment-id') === '200002'"
    )
    assert await tab.locator("#cp-control-panel-onlyoffice").count() == 1
    assert await tab.text_content("#cp-control-panel-onlyoffice") == "Edit in ONLYOFFICE"
    assert calls(server) == [["200010"], ["200001"], ["200002"]]


async def test_preview_from_the_url(browser: Browser, server: TestServer) -> None:
    tab = await open_page(browser, server, "macro", "?preview=%2F65601%2F777002%2Fremote.docx")
    await tab.evaluate(PREVIEW, "/confluence/download/attachments/65601/remote.docx?api=v2")
    await tab.locator("#cp-control-panel-onlyoffice").wait_for()
    assert await tab.get_attribute("#cp-control-panel-onlyoffice", "data-attachment-id") == "777002"
    assert (
        await tab.get_attribute("#cp-control-panel-onlyoffice", "title") == "Edit remote.docx in ONLYOFFICE"
    )
    assert calls(server) == [["777002"]]


async def test_a_failed_access_call_shows_nothing_and_does_not_loop(
    browser: Browser, server: TestServer
) -> None:
    tab = await open_page(browser, server, "broken")
    await tab.wait_for_timeout(800)
    assert calls(server) == [["666666"]]
    assert await tab.locator(".onlyoffice-links").count() == 0
    # The next DOM change asks again (once).
    await tab.evaluate("() => document.body.appendChild(document.createElement('p'))")
    await tab.wait_for_timeout(500)
    assert calls(server) == [["666666"], ["666666"]]
    assert tab.errors == []  # type: ignore[attr-defined]


async def test_script_loaded_twice_runs_once(browser: Browser, server: TestServer) -> None:
    tab = await open_page(browser, server, "twice")
    await tab.wait_for_selector(".onlyoffice-links")
    await tab.wait_for_timeout(400)
    assert len(calls(server)) == 1
    found = await links_by_id(tab)
    assert all(len(labels) <= 2 for labels in found.values())
    assert await tab.locator(".onlyoffice-links").count() == len(found) == 6


async def test_a_context_path_that_is_not_a_path_is_not_used(browser: Browser, server: TestServer) -> None:
    tab = await open_page(browser, server, "evil-context")
    await tab.wait_for_selector(".onlyoffice-links")
    hrefs = await tab.evaluate(
        "() => Array.from(document.querySelectorAll('.onlyoffice-links a')).map((a) => a.href)"
    )
    assert hrefs and all(
        href.startswith(str(server.make_url(CTX + "/plugins/servlet/onlyoffice/"))) for href in hrefs
    )
    assert calls(server) and tab.errors == []  # type: ignore[attr-defined]
