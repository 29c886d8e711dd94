"""Mentions in headless Chromium: the editor's `@` list and the notification comment.

Alice opens report.docx's editor and types "@Bo" in a comment of the Document Server simulator's
editor, which asks the page for people (`onRequestUsers`) as the real editor does; the page asks
the gateway, which asks Confluence's people search as Alice, and the list shows in the editor.
Picking Bob and posting the comment sends `onRequestSendNotify`; the gateway makes a Confluence
page comment that @-mentions Bob, which the Confluence simulator turns into Bob's notification.
"""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, Frame, Page

from gateway.testing.confluence.store import Comment
from gateway.testing.stack import Stack
from tests.browser.browser_session import editor_frame, method_calls, sign_in

pytestmark = pytest.mark.browser

HOSTILE = '"><img src=x onerror=alert(1)>'


async def _open_editor(browser: Browser, stack: Stack, user: str) -> tuple[Page, Frame, list[str]]:
    session = await sign_in(browser, stack, user, console=True)
    report = stack.welcome_attachment_id("report.docx")
    session.problems.clear()  # from here on: what the editor page logs
    await session.page.goto(f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={report}")
    return session.page, await editor_frame(session.page), session.problems


async def _people(frame: Frame, at_least: int) -> list[str]:
    await frame.wait_for_function(
        "(n) => document.querySelectorAll('#oo-people button').length >= n", arg=at_least, timeout=10_000
    )
    names: list[str] = await frame.locator("#oo-people button").all_text_contents()
    return names


async def _comments(stack: Stack, count: int) -> list[Comment]:
    for _ in range(100):
        found = stack.store.comments_of(stack.welcome_page_id())
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("no comment reached Confluence")


async def test_alice_mentions_bob_and_confluence_notifies_him(browser: Browser, stack: Stack) -> None:
    stack.store.add_user("eve", "eve", HOSTILE)
    tab, frame, problems = await _open_editor(browser, stack, "alice")
    await frame.fill("#oo-comment-text", "Numbers look off, @Bo")
    assert await _people(frame, 1) == ["Bob Example <bob>"]
    bob = stack.store.users["bob"]
    assert await frame.get_attribute("#oo-people button", "data-user-id") == bob.user_key
    (listed,) = await method_calls(tab, "setUsers", 1)
    assert listed["c"] == "mention" and listed["isPaginated"] is True and listed["total"] == 1
    assert listed["users"][0]["image"].startswith(stack.public_url + "/")

    await frame.click("#oo-people button")
    assert await frame.input_value("#oo-comment-text") == "Numbers look off, @Bob Example "
    await frame.type("#oo-comment-text", "please check")
    await frame.click("#oo-comment-post")
    (comment,) = await _comments(stack, 1)
    assert comment.by == "alice"
    assert f'<ri:user ri:userkey="{bob.user_key}" />' in comment.body
    assert "Numbers look off, @Bob Example please check" in comment.body
    assert "actionData=" in comment.body and ">report.docx</a>" in comment.body
    assert [(n.to, n.kind, n.content_id) for n in stack.store.notifications] == [
        ("bob", "mention", comment.id)
    ]

    # A hostile display name is text in the list, never markup.
    await frame.fill("#oo-comment-text", "@img")
    assert await _people(frame, 1) == [f"{HOSTILE} <eve>"]
    assert await frame.evaluate("document.querySelectorAll('#oo-people img').length") == 0
    assert problems == [] and await tab.locator("#onlyoffice-message").is_hidden()


async def test_the_list_comes_a_page_at_a_time(browser: Browser, stack: Stack) -> None:
    for number in range(30):
        stack.store.add_user(f"user{number:02d}", "x", f"Member {number:02d}")
    tab, frame, problems = await _open_editor(browser, stack, "alice")
    await frame.fill("#oo-comment-text", "@Member")
    first = await _people(frame, 25)
    assert first == [f"Member {n:02d} <user{n:02d}>" for n in range(25)]
    await frame.click("#oo-people-more")
    every = await _people(frame, 30)
    assert every[25:] == [f"Member {n:02d} <user{n:02d}>" for n in range(25, 30)]
    assert await frame.locator("#oo-people-more").is_hidden()
    calls = await method_calls(tab, "setUsers", 2)
    assert [len(c["users"]) for c in calls] == [25, 5] and {c["total"] for c in calls} == {30}
    assert problems == []


async def test_bob_may_not_comment_so_the_page_says_so(browser: Browser, stack: Stack) -> None:
    tab, frame, _ = await _open_editor(browser, stack, "bob")
    await frame.fill("#oo-comment-text", "@Ali")
    assert await _people(frame, 1) == ["Alice Example <alice>"]
    await frame.click("#oo-people button")
    await frame.click("#oo-comment-post")
    await tab.wait_for_function("() => !document.getElementById('onlyoffice-message').hidden", timeout=10_000)
    assert "may not comment" in (await tab.locator("#onlyoffice-message").text_content() or "")
    assert stack.store.comments == {} and stack.store.notifications == []
    # The avatars the editor asks for by user id (c: "info") come from Confluence as bob.
    admin = stack.store.users["admin"]
    await tab.evaluate(
        "(key) => window.__docsapi_fire('onRequestUsers', {c: 'info', id: [key]})", admin.user_key
    )
    info = (await method_calls(tab, "setUsers", 2))[1]
    assert info["c"] == "info" and [(u["id"], u["name"]) for u in info["users"]] == [
        (admin.user_key, "Administrator")
    ]
