"""Version History in headless Chromium: the editor page answers the Document Server's history events.

Alice opens the editor after two more versions were uploaded; the test fires the events the
Document Server would (through the simulator's `window.__docsapi_fire`) and reads the answers from
`window.__docsapi_calls`, then checks them as the Document Server would: the data token verifies
with its secret, and its link downloads that version's bytes with a Document Server JWT.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from gateway.docserver.jwt import verify
from gateway.onlyoffice.keys import document_key
from gateway.testing.confluence.store import Attachment
from gateway.testing.documents.ooxml import make_docx
from gateway.testing.editor_requests import ds_download
from gateway.testing.stack import Stack
from tests.browser.browser_session import editor_frame, method_calls, sign_in

pytestmark = pytest.mark.browser

V2 = make_docx("Version two, by Alice")
V3 = make_docx("Version three, by Admin")


def _report(stack: Stack) -> Attachment:
    page = stack.store.page_by_title("DEMO", "Welcome")
    assert page is not None
    found = stack.store.attachment_by_name(page.id, "report.docx")
    assert found is not None
    return found


async def test_alice_gets_version_history_from_the_editor_page(browser: Browser, stack: Stack) -> None:
    report = _report(stack)
    stack.store.add_version(report, V2, report.current.media_type, by="alice")
    stack.store.add_version(report, V3, report.current.media_type, by="admin")
    session = await sign_in(browser, stack, "alice", console=True)
    tab, problems = session.page, session.problems
    problems.clear()  # from here on: what the editor page logs
    await tab.goto(f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={report.id}")
    await editor_frame(tab)

    await tab.evaluate("window.__docsapi_fire('onRequestHistory')")
    (info,) = await method_calls(tab, "refreshHistory", 1)
    assert info["currentVersion"] == 3
    assert [entry["version"] for entry in info["history"]] == [1, 2, 3]
    assert [entry["key"] for entry in info["history"]] == [
        document_key(stack.public_url, str(report.id), n) for n in (1, 2, 3)
    ]
    alice = stack.store.users["alice"]
    assert info["history"][1]["user"] == {"id": alice.user_key, "name": alice.display_name}
    for entry in info["history"]:
        assert entry["created"] and "T" not in entry["created"]  # shown in the reader's time, not ISO

    await tab.evaluate("window.__docsapi_fire('onRequestHistoryData', 1)")
    (data,) = await method_calls(tab, "setHistoryData", 1)
    assert data["version"] == 1 and data["fileType"] == "docx"
    assert data["key"] == info["history"][0]["key"]
    claims = verify(data["token"], stack.settings.documentserver.jwt.secret.get_secret_value())
    assert (claims["version"], claims["url"], claims["key"]) == (1, data["url"], data["key"])
    assert await ds_download(stack, data["url"]) == (200, stack.store.data(report, 1))

    await tab.evaluate("window.__docsapi_fire('onRequestHistoryData', 2)")
    data2 = (await method_calls(tab, "setHistoryData", 2))[1]
    assert await ds_download(stack, data2["url"]) == (200, V2)

    assert problems == []
    # A version Confluence does not have: the editor is told so, for that version.
    await tab.evaluate("window.__docsapi_fire('onRequestHistoryData', 9)")
    failed = (await method_calls(tab, "setHistoryData", 3))[2]
    assert failed["version"] == 9 and failed["error"]
    assert "token" not in failed and "url" not in failed
    assert len(problems) == 1 and "404" in problems[0], problems  # the failed fetch, nothing thrown
    problems.clear()

    # Closing the history reopens the editor on the current version.
    async with tab.expect_navigation():
        await tab.evaluate("window.__docsapi_fire('onRequestHistoryClose')")
    await editor_frame(tab)
    assert await tab.evaluate("window.__docsapi_calls.filter(c => c.method === 'refreshHistory').length") == 0
    assert problems == []


async def test_history_errors_reach_the_editor_not_the_console(browser: Browser, stack: Stack) -> None:
    """When Confluence stops showing the attachment, refreshHistory gets `{error}` (protocol §7)."""
    report = _report(stack)
    session = await sign_in(browser, stack, "bob", console=True)
    tab, problems = session.page, session.problems
    problems.clear()  # from here on: what the editor page logs
    await tab.goto(f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={report.id}")
    await editor_frame(tab)
    welcome = stack.store.page_by_title("DEMO", "Welcome")
    assert welcome is not None
    stack.store.restrict(welcome.id, "read", users=("admin",))
    await tab.evaluate("window.__docsapi_fire('onRequestHistory')")
    (info,) = await method_calls(tab, "refreshHistory", 1)
    assert set(info) == {"error"} and info["error"]
    # The failed fetch (404) is the only console error: nothing thrown, no CSP violation.
    assert all("404" in p for p in problems), problems


async def test_alice_restores_an_old_version_from_the_history(browser: Browser, stack: Stack) -> None:
    """Restore (protocol §1.3): the version becomes the newest in Confluence, the history is shown
    again with it, and closing the history reopens the editor on it; a viewer has no Restore."""
    report = _report(stack)
    stack.store.add_version(report, V2, report.current.media_type, by="alice")
    original = stack.store.data(report, 1)
    session = await sign_in(browser, stack, "alice", console=True)
    tab, problems = session.page, session.problems
    problems.clear()
    await tab.goto(f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={report.id}")
    await editor_frame(tab)
    await tab.evaluate("window.__docsapi_fire('onRequestHistory')")
    (before,) = await method_calls(tab, "refreshHistory", 1)
    assert before["currentVersion"] == 2

    await tab.evaluate("window.__docsapi_fire('onRequestRestore', {version: 1})")
    after = (await method_calls(tab, "refreshHistory", 2))[1]
    assert after["currentVersion"] == 3 and [e["version"] for e in after["history"]] == [1, 2, 3]
    assert stack.store.data(report, 3) == original
    assert report.current.comment.startswith("Restored version 1 by ")
    # Someone uploads a version meanwhile: a restore from the view that does not show it is refused,
    # and the editor says why.
    stack.store.add_version(report, V3, report.current.media_type, by="admin")
    await tab.evaluate("window.__docsapi_fire('onRequestRestore', {version: 2})")
    refused = (await method_calls(tab, "refreshHistory", 3))[2]
    assert set(refused) == {"error"} and "changed meanwhile" in refused["error"], refused
    assert len(report.versions) == 4
    assert all("409" in p for p in problems), problems  # the refused POST, nothing thrown
    problems.clear()

    viewer = await sign_in(browser, stack, "bob", console=True)
    await viewer.page.goto(
        f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={report.id}"
    )
    await editor_frame(viewer.page)
    await viewer.page.evaluate("window.__docsapi_fire('onRequestRestore', {version: 1})")
    await viewer.page.wait_for_timeout(300)
    assert (
        await viewer.page.evaluate("window.__docsapi_calls.filter(c => c.method === 'refreshHistory').length")
        == 0
    )
    assert len(report.versions) == 4
