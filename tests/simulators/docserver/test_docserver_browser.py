"""api.js and the editor page in headless Chromium: a host page on another origin embeds the editor."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import playwright.async_api as playwright_api
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.testing.documents import extract_text
from tests.simulators.docserver.docserver_helpers import Sim, SimFactory, StubHost, editor_config, sign

pytestmark = pytest.mark.browser


PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>host</title>
<script src="{api}"></script></head>
<body><div id="placeholder"></div>
<script>
window.__events = [];
var config = {config};
config.events = {{
  onAppReady: function () {{ window.__events.push(["onAppReady", null]); }},
  onDocumentReady: function () {{ window.__events.push(["onDocumentReady", null]); }},
  onError: function (e) {{ window.__events.push(["onError", e.data]); }},
  onRequestClose: function () {{ window.__events.push(["onRequestClose", null]); }},
  onMetaChange: function (e) {{ window.__events.push(["onMetaChange", e.data]); }}
}};
window.docEditor = new DocsAPI.DocEditor("placeholder", config);
</script></body></html>"""


@pytest.fixture
async def sim(make_sim: SimFactory) -> Sim:
    """As conftest's, but the editor gives up reconnecting after 2 tries 0.2 s apart (DS's auth
    answer tells it so), so a server that stays away shows "Connection lost" quickly."""
    return await make_sim(reconnection=(2, 0.2))


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as p:
        instance = await p.chromium.launch(executable_path="/usr/bin/chromium")
        yield instance
        await instance.close()


@pytest.fixture
async def pages(
    aiohttp_server: Callable[..., Awaitable[TestServer]], sim: Sim
) -> Callable[[dict[str, Any]], str]:
    """A second origin that serves host pages embedding the editor with a given config."""
    configs: dict[str, dict[str, Any]] = {}

    async def page(request: web.Request) -> web.Response:
        config = configs[request.match_info["name"]]
        api = sim.url("/web-apps/apps/api/documents/api.js")
        text = PAGE.format(api=api, config=json.dumps(config).replace("</", "<\\/"))
        return web.Response(text=text, content_type="text/html")

    app = web.Application()
    app.router.add_get("/page/{name}", page)
    server = await aiohttp_server(app)

    def add(config: dict[str, Any]) -> str:
        name = f"p{len(configs)}"
        configs[name] = config
        return str(server.make_url(f"/page/{name}"))

    return add


async def events(page: Any) -> list[list[Any]]:
    found: list[list[Any]] = await page.evaluate("window.__events")
    return found


async def wait_event(page: Any, name: str) -> None:
    await page.wait_for_function(f"window.__events.some(function (e) {{ return e[0] === {name!r}; }})")


async def test_edit_save_close_in_the_browser(browser: Any, pages: Any, sim: Sim, host: StubHost) -> None:
    url = pages(editor_config(host, "b1", forcesave=True))
    page = await browser.new_page()
    await page.goto(url)
    await wait_event(page, "onDocumentReady")
    assert [e[0] for e in await events(page)][:2] == ["onAppReady", "onDocumentReady"]
    frame = page.frame_locator("iframe[name=frameEditor]")
    assert await frame.locator("#oo-title").inner_text() == "report.docx"
    assert await frame.locator("#oo-mode").inner_text() == "edit"
    assert await frame.locator("#oo-text").inner_text() == "Quarterly report"

    await frame.locator("#oo-input").fill("Typed in a browser")
    await frame.locator("#oo-append").click()
    await frame.locator("#oo-text", has_text="Typed in a browser").wait_for()
    await frame.locator("#oo-save").click()
    await frame.locator("#oo-status", has_text="Saved").wait_for()
    await sim.state.drain()
    assert host.bodies(6)[0]["forcesavetype"] == 1

    await frame.locator("#oo-close").click()
    await wait_event(page, "onRequestClose")
    await sim.state.drain()
    body = host.bodies(2)[0]
    assert body["notmodified"] is True
    async with aiohttp.ClientSession() as client:
        resp = await client.get(body["url"])
        assert extract_text("docx", await resp.read()) == "Quarterly report\nTyped in a browser"
    calls = await page.evaluate("window.__docsapi_calls")
    assert calls == []
    await page.evaluate("window.docEditor.requestClose()")
    assert (await page.evaluate("window.__docsapi_calls"))[0]["method"] == "requestClose"
    await page.close()


async def test_a_lost_connection_is_shown(browser: Any, pages: Any, sim: Sim, host: StubHost) -> None:
    page = await browser.new_page()
    await page.goto(pages(editor_config(host, "b8")))
    await wait_event(page, "onDocumentReady")
    frame = page.frame_locator("iframe[name=frameEditor]")
    assert await frame.locator("#oo-lost").is_hidden()
    await sim.server.close()  # the socket closes under the editor (1001, going away)...
    await frame.locator("#oo-status", has_text="Reconnecting").wait_for()  # ...it tries again...
    await frame.locator("#oo-lost", has_text="Connection lost").wait_for()  # ...then gives up
    assert await frame.locator("#oo-editing").is_hidden()
    assert await frame.locator("#oo-save").is_hidden()
    await page.close()


async def test_co_editors_see_each_other(browser: Any, pages: Any, sim: Sim, host: StubHost) -> None:
    alice = await browser.new_page()
    await alice.goto(pages(editor_config(host, "b2")))
    await wait_event(alice, "onDocumentReady")
    bob = await browser.new_page()
    await bob.goto(pages(editor_config(host, "b2", user="bob", mode="view")))
    await wait_event(bob, "onDocumentReady")
    bob_frame = bob.frame_locator("iframe[name=frameEditor]")
    assert await bob_frame.locator("#oo-mode").inner_text() == "view"
    assert await bob_frame.locator("#oo-input").count() == 0
    alice_frame = alice.frame_locator("iframe[name=frameEditor]")
    await alice_frame.locator("#oo-users li", has_text="Bob").wait_for()
    await alice_frame.locator("#oo-input").fill("from alice")
    await alice_frame.locator("#oo-append").click()
    await bob_frame.locator("#oo-text", has_text="from alice").wait_for()
    assert len(host.downloads) == 1
    await alice.close()
    await bob.close()


async def test_bad_token_is_shown_and_reported(browser: Any, pages: Any, host: StubHost) -> None:
    config = editor_config(host, "b3")
    config["token"] = sign({"document": config["document"]}, secret="not-the-secret-not-the-secret-xx")
    page = await browser.new_page()
    await page.goto(pages(config))
    await wait_event(page, "onError")
    error = next(e for e in await events(page) if e[0] == "onError")[1]
    assert error["errorCode"] == -20
    frame = page.frame_locator("iframe[name=frameEditor]")
    assert "security token" in await frame.locator("#oo-error").inner_text()
    assert host.downloads == []
    await page.close()


async def test_titles_and_names_are_escaped(browser: Any, pages: Any, host: StubHost) -> None:
    config = editor_config(host, "b4", sign_it=False)
    config["document"]["title"] = '<img src=x onerror="window.__pwned=1">.docx'
    config["editorConfig"]["user"]["name"] = "<b>Eve</b>"
    config["token"] = sign(config, exp=int(time.time()) + 300)
    page = await browser.new_page()
    await page.goto(pages(config))
    await wait_event(page, "onDocumentReady")
    frame = page.frame_locator("iframe[name=frameEditor]")
    assert await frame.locator("#oo-title").inner_text() == config["document"]["title"]
    assert await frame.locator("#oo-users li").first.inner_text() == "<b>Eve</b>"
    assert await frame.locator("#oo-title img").count() == 0
    await page.close()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c["document"].pop("url"), "required parameter"),
        (lambda c: (c["document"].pop("fileType"), c.pop("documentType")), "required parameter"),
        (lambda c: c.update(documentType="spreadsheets"), "documentType"),
        (lambda c: c["document"].update(fileType="exe"), "fileType"),
        (lambda c: c["document"].update(key=12345), "document.key"),
        (lambda c: c["document"].update(key="has spaces"), "document.key"),
        (lambda c: c["document"].update(key="k" * 129), "document.key"),
    ],
)
async def test_api_js_validates_the_config(
    browser: Any, sim: Sim, host: StubHost, mutate: Callable[[dict[str, Any]], Any], message: str
) -> None:
    config = editor_config(host, "b5")
    mutate(config)
    page = await browser.new_page()
    await page.set_content('<div id="placeholder"></div>')
    await page.add_script_tag(url=sim.url("/web-apps/apps/api/documents/api.js"))
    assert await page.evaluate("DocsAPI.DocEditor.version()") == "9.3.0"
    thrown = await page.evaluate(
        "(c) => { try { new DocsAPI.DocEditor('placeholder', c); return null; }"
        " catch (e) { return e.message; } }",
        config,
    )
    assert thrown is not None and message in thrown
    assert await page.evaluate("window.__docsapi_errors.length") == 1
    assert await page.locator("iframe").count() == 0
    await page.close()


async def test_destroy_editor_restores_the_placeholder(
    browser: Any, pages: Any, sim: Sim, host: StubHost
) -> None:
    page = await browser.new_page()
    await page.goto(pages(editor_config(host, "b6")))
    await wait_event(page, "onDocumentReady")
    await page.evaluate("window.docEditor.destroyEditor()")
    assert await page.locator("iframe").count() == 0
    assert await page.locator("div#placeholder").count() == 1
    # The iframe unloaded: its connection closes and, nothing changed, DS sends status 4.
    for _ in range(100):
        await sim.state.drain()
        if host.bodies(4):
            break
        await page.wait_for_timeout(50)
    assert host.bodies(4)
    await page.close()


async def test_tests_can_fire_events_and_see_method_calls(browser: Any, pages: Any, host: StubHost) -> None:
    page = await browser.new_page()
    await page.goto(pages(editor_config(host, "b7")))
    await wait_event(page, "onDocumentReady")
    await page.evaluate("window.__docsapi_fire('onMetaChange', {title: 'Renamed.docx'})")
    assert ["onMetaChange", {"title": "Renamed.docx"}] in await events(page)
    await page.evaluate("window.docEditor.refreshHistory({currentVersion: 1, history: []})")
    await page.evaluate("window.docEditor.setHistoryData({version: 1, key: 'b7', url: 'u', token: 't'})")
    calls = await page.evaluate("window.__docsapi_calls")
    assert [c["method"] for c in calls] == ["refreshHistory", "setHistoryData"]
    assert calls[0]["args"] == [{"currentVersion": 1, "history": []}]
    await page.close()
