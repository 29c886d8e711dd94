"""Alice edits report.docx in Chromium with the Document Server under the gateway's `/ds-vpath`."""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import Browser, WebSocket
from prometheus_client.parser import text_string_to_metric_families

from gateway.testing.documents import extract_text
from gateway.testing.stack import running_stack
from tests.browser.browser_session import sign_in

pytestmark = pytest.mark.browser

PREFIX = "/ds-vpath"


async def open_docserver_websockets(gateway_origin: str) -> float:
    """The gateway's `gateway_websockets_open{upstream="documentserver"}` gauge."""
    async with aiohttp.ClientSession() as client, client.get(f"{gateway_origin}/metrics") as resp:
        text = await resp.text()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "gateway_websockets_open" and sample.labels == {"upstream": "documentserver"}:
                return float(sample.value)
    raise AssertionError("no gateway_websockets_open{upstream=documentserver} in /metrics")


async def test_alice_edits_with_the_document_server_under_the_gateway(browser: Browser) -> None:
    async with running_stack(save_delay=0.2, retry_base_delay=0.05, docserver_path=PREFIX) as stack:
        att = stack.store.attachment_by_name(stack.welcome_page_id(), "report.docx")
        assert att is not None
        before = len(att.versions)
        session = await sign_in(browser, stack, "alice")
        page = session.page
        docserver_requests: list[str] = []
        page.on("request", lambda request: docserver_requests.append(request.url))
        sockets: list[WebSocket] = []
        page.on("websocket", lambda ws: sockets.append(ws))

        await page.goto(f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={att.id}")
        iframe = page.locator("iframe[name=frameEditor]")
        src = await iframe.get_attribute("src")
        assert src is not None and src.startswith(f"{stack.gateway_origin}{PREFIX}/web-apps/apps/"), src
        frame = page.frame_locator("iframe[name=frameEditor]")
        await frame.locator("#oo-title", has_text="report.docx").wait_for()
        assert (await frame.locator("#oo-mode").inner_text()).strip() == "edit"
        # The editor's co-editing socket went to the gateway under the prefix, and the gateway
        # bridged it to the Document Server, which saw the public address (forwarded headers).
        key = next(iter(stack.docserver.sessions))
        gateway_ws = stack.gateway_origin.replace("http://", "ws://", 1)
        assert [ws.url for ws in sockets] == [f"{gateway_ws}{PREFIX}/doc/{key}/c/?EIO=4&transport=websocket"]
        assert await open_docserver_websockets(stack.gateway_origin) == 1.0
        (participant,) = stack.docserver.sessions[key].participants.values()
        assert participant.base_url == f"{stack.gateway_origin}{PREFIX}"
        await frame.locator("#oo-input").fill("Alice typed this under ds-vpath")
        await frame.locator("#oo-append").click()
        await frame.locator("#oo-text", has_text="Alice typed this under ds-vpath").wait_for()
        await frame.locator("#oo-close").click()
        await page.wait_for_url("**/pages/viewpageattachments.action?pageId=*")
        await stack.docserver.drain()
        # The socket ends with the editor, and the gateway's bridge with it. (Playwright's own
        # `is_closed` is not reliable for a socket whose frame navigated away: checked server-side.)
        for _ in range(200):
            if await open_docserver_websockets(stack.gateway_origin) == 0.0:
                break
            await page.wait_for_timeout(50)
        assert await open_docserver_websockets(stack.gateway_origin) == 0.0

        assert len(att.versions) == before + 1
        assert "Alice typed this under ds-vpath" in extract_text(
            "docx", stack.store.data(att, att.current.number)
        )
        # The browser never talked to the Document Server's own address: only to the gateway.
        assert docserver_requests and not [u for u in docserver_requests if f":{stack.docserver_port}" in u]
        assert any(u.startswith(f"{stack.gateway_origin}{PREFIX}/web-apps/") for u in docserver_requests)
        assert session.problems == []
