"""Save As to another page: the dialog searches pages the user may add attachments to (Confluence's
search, as the user), and the copy goes to the page chosen, after the same checks as on its own."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from gateway.testing.editor_requests import converted_file_link, editor_data, post_route
from gateway.testing.stack import Stack, demo_login


async def _pages(stack: Stack, query: str, user: str | None = "alice") -> tuple[int, Any]:
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/save-as/pages"
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
        session.get(url, params={"q": query}, headers=demo_login(user)) as response,
    ):
        raw = await response.read()
        assert response.headers["Content-Type"].startswith("application/json")
        return response.status, json.loads(raw)


def _spaces(stack: Stack) -> tuple[int, int, int]:
    """Three pages titled "Minutes ...": one alice may attach to, one she may only view, one hidden."""
    store = stack.store
    store.add_space("TEAM", "Team")
    store.grant("TEAM", "user:admin", "admin")  # the gateway's service account (README: Confluence)
    store.grant("TEAM", "user:alice", "view", "edit", "attach")
    store.add_space("READ", "Read only")
    store.grant("READ", "user:alice", "view")
    store.add_space("HIDE", "Hidden")
    ours = store.add_page("TEAM", "Minutes 2027", by="admin").id
    viewed = store.add_page("READ", "Minutes archive", by="admin").id
    hidden = store.add_page("HIDE", "Minutes board", by="admin").id
    return ours, viewed, hidden


async def test_the_search_lists_only_pages_alice_may_attach_to(stack: Stack) -> None:
    ours, _, _ = _spaces(stack)
    status, answer = await _pages(stack, "minutes")
    assert status == 200
    assert answer["pages"] == [{"id": str(ours), "title": "Minutes 2027", "space": "TEAM"}]
    assert (await _pages(stack, 'Min"utes'))[1]["pages"] == []  # quotes are text, not CQL
    assert (await _pages(stack, "minutes", "bob"))[1]["pages"] == []
    status, answer = await _pages(stack, "minutes", None)
    assert status == 401 and answer["error"]
    for bad in ("", "   ", "x" * 101, "a\u202eb"):
        status, answer = await _pages(stack, bad)
        assert status == 400 and answer["error"], bad


async def test_the_copy_goes_to_the_page_chosen(stack: Stack) -> None:
    ours, viewed, hidden = _spaces(stack)
    report = stack.welcome_attachment_id("report.docx")
    link = await converted_file_link(stack, report, "pdf")
    data = await editor_data(stack, "alice", report)
    assert data["save-as-pages-url"].endswith("/plugins/servlet/onlyoffice/save-as/pages")
    body = {"attachmentId": str(report), "csrf": data["save-as-csrf"], "url": link, "fileType": "pdf"}
    status, answer = await post_route(
        stack, "save-as", {**body, "title": "Copy", "pageId": str(ours)}, "alice"
    )
    assert status == 200, answer
    assert answer["pageId"] == str(ours) and answer["title"] == "Copy.pdf"
    assert stack.store.attachment_by_name(ours, "Copy.pdf") is not None
    assert stack.store.attachment_by_name(stack.welcome_page_id(), "Copy.pdf") is None
    for page, expected in ((viewed, 403), (hidden, 404), ("abc", 400)):
        status, answer = await post_route(
            stack, "save-as", {**body, "title": "No", "pageId": str(page)}, "alice"
        )
        assert status == expected and answer["error"], (page, answer)
    assert all(a.title != "No.pdf" for a in stack.store.attachments.values())
