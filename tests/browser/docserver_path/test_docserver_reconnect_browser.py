"""The editor's engine.io session in Chromium through the gateway's bridge, across dropped connections.

The Document Server sits under the gateway's `/ds-vpath`. The editor iframe's socket.io client
answers the server's pings through the gateway; when its socket drops (the gateway restarts under
it, then the Document Server restarts) it reconnects with backoff, opens the same key again and
the co-editing session goes on: what was typed before and after ends up in one saved version.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, WebSocket

from gateway.testing.documents import extract_text
from gateway.testing.stack import Stack, running_stack
from tests.browser.browser_session import sign_in

pytestmark = pytest.mark.browser

PREFIX = "/ds-vpath"
DOCSERVER = {"ping_interval": 0.3, "ping_timeout": 0.6, "reconnection": (30, 0.2)}


async def wait_until(page: Page, predicate: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {what}")


def editors(stack: Stack) -> int:
    return sum(len(s.participants) for s in stack.docserver.sessions.values())


async def test_the_editor_reconnects_through_the_gateway_and_keeps_editing(
    browser: Browser, tmp_path: Path
) -> None:
    async with running_stack(
        save_delay=5.0, retry_base_delay=0.05, docserver_path=PREFIX, data_dir=tmp_path, docserver=DOCSERVER
    ) as stack:
        att = stack.store.attachment_by_name(stack.welcome_page_id(), "report.docx")
        assert att is not None
        before = len(att.versions)
        session = await sign_in(browser, stack, "alice")
        page = session.page
        sockets: list[WebSocket] = []
        frames: list[tuple[int, str, str]] = []  # (socket number, "in"/"out", payload)

        def watch(ws: WebSocket) -> None:
            number = len(sockets)
            sockets.append(ws)
            ws.on("framereceived", lambda payload: frames.append((number, "in", str(payload))))
            ws.on("framesent", lambda payload: frames.append((number, "out", str(payload))))

        page.on("websocket", watch)
        await page.goto(f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={att.id}")
        frame = page.frame_locator("iframe[name=frameEditor]")
        await frame.locator("#oo-title", has_text="report.docx").wait_for()
        await frame.locator("#oo-input").fill("Typed first")
        await frame.locator("#oo-append").click()
        await frame.locator("#oo-text", has_text="Typed first").wait_for()

        # engine.io as the browser sees it through the gateway: the open packet, the namespace
        # connect both ways, the editor's messages as events, and the server's pings answered.
        await wait_until(page, lambda: frames.count((0, "in", "2")) >= 3, "three pings")
        first = [(d, p) for n, d, p in frames if n == 0]
        assert first[0][0] == "in" and first[0][1].startswith('0{"sid":"')
        assert '"pingInterval":300' in first[0][1] and '"pingTimeout":600' in first[0][1]
        assert first[1] == ("out", "40") and first[2][1].startswith('40{"sid":"')
        assert first[3][0] == "out" and first[3][1].startswith('42["message",{"type":"open"')
        assert ("out", "3") in first and first.index(("out", "3")) > first.index(("in", "2"))
        assert editors(stack) == 1

        # 1. The gateway restarts: the browser's socket is cut, the editor comes back through
        #    the new gateway before the Document Server's save delay is over.
        await stack.restart_gateway()
        await wait_until(page, lambda: len(sockets) >= 2 and editors(stack) == 1, "the first reconnect")
        await frame.locator("#oo-status", has_text="Reconnected").wait_for()
        reopen = next(p for n, d, p in frames if n == 1 and d == "out" and p.startswith("42"))
        assert '"type":"open"' in reopen and '"session":"' in reopen  # DS's session token, shown back
        assert '"session"' not in first[3][1]
        await frame.locator("#oo-input").fill("Typed after the gateway restart")
        await frame.locator("#oo-append").click()
        await frame.locator("#oo-text", has_text="Typed after the gateway restart").wait_for()

        # 2. The Document Server restarts (its sockets close 1001, without socket.io's DISCONNECT):
        #    the editor retries until it is back, and the persisted session takes it in again.
        await stack.restart_docserver(pause=0.5)
        await wait_until(page, lambda: len(sockets) >= 3 and editors(stack) == 1, "the second reconnect")
        await frame.locator("#oo-input").fill("Typed after the Document Server restart")
        await frame.locator("#oo-append").click()
        await frame.locator("#oo-text", has_text="Typed after the Document Server restart").wait_for()
        assert await frame.locator("#oo-lost").is_hidden()
        assert await frame.locator("#oo-error").is_hidden()

        await frame.locator("#oo-close").click()
        await page.wait_for_url("**/pages/viewpageattachments.action?pageId=*")
        await stack.docserver.drain()
        assert len(att.versions) == before + 1  # one save for the whole session
        text = extract_text("docx", stack.store.data(att, att.current.number))
        for typed in (
            "Typed first",
            "Typed after the gateway restart",
            "Typed after the Document Server restart",
        ):
            assert typed in text
        assert session.problems == []


async def test_two_co_editors_come_back_to_one_session_after_the_gateway_restarts(browser: Browser) -> None:
    async with running_stack(
        save_delay=5.0, retry_base_delay=0.05, docserver_path=PREFIX, docserver=DOCSERVER
    ) as stack:
        att = stack.store.attachment_by_name(stack.welcome_page_id(), "report.docx")
        assert att is not None
        before = len(att.versions)
        url = f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={att.id}"
        alice = await sign_in(browser, stack, "alice")
        admin = await sign_in(browser, stack, "admin")
        await alice.page.goto(url)
        await admin.page.goto(url)
        alice_frame = alice.page.frame_locator("iframe[name=frameEditor]")
        admin_frame = admin.page.frame_locator("iframe[name=frameEditor]")
        for frame in (alice_frame, admin_frame):
            await frame.locator("#oo-users li", has_text="Alice").wait_for()
            await frame.locator("#oo-users li", has_text="Admin").wait_for()
        await alice_frame.locator("#oo-input").fill("Alice before the restart")
        await alice_frame.locator("#oo-append").click()
        await admin_frame.locator("#oo-text", has_text="Alice before the restart").wait_for()
        (session,) = stack.docserver.sessions.values()

        await stack.restart_gateway()  # both editors' sockets are cut at once
        for page in (alice.page, admin.page):
            await (
                page.frame_locator("iframe[name=frameEditor]")
                .locator("#oo-status", has_text="Reconnected")
                .wait_for()
            )
        await wait_until(alice.page, lambda: editors(stack) == 2, "both editors back")
        assert list(stack.docserver.sessions.values()) == [session]  # the same session, not a new one

        # Co-editing goes on: what one types after the drop reaches the other.
        await admin_frame.locator("#oo-input").fill("Admin after the restart")
        await admin_frame.locator("#oo-append").click()
        await alice_frame.locator("#oo-text", has_text="Admin after the restart").wait_for()
        assert len(await alice_frame.locator("#oo-users li").all()) == 2

        await admin_frame.locator("#oo-close").click()
        await alice_frame.locator("#oo-close").click()
        await alice.page.wait_for_url("**/pages/viewpageattachments.action?pageId=*")
        for _ in range(200):
            if not stack.docserver.sessions:
                break
            await alice.page.wait_for_timeout(50)
        await stack.docserver.drain()
        assert len(att.versions) == before + 1
        text = extract_text("docx", stack.store.data(att, att.current.number))
        assert "Alice before the restart" in text and "Admin after the restart" in text
        assert alice.problems == [] and admin.problems == []
