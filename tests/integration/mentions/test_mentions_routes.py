"""The editor's people routes: `GET .../onlyoffice/users` and `POST .../onlyoffice/notify`.

Real sockets throughout (Confluence simulator, Document Server simulator, gateway): the people
come from Confluence's people search made as the browser's user, the notification is a Confluence
page comment made as the author, which the simulator turns into Confluence's own notifications.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp

from gateway.confluence.client import UserCredentials
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.onlyoffice.editor.mentions import notify_token
from gateway.onlyoffice.editor.people import PeopleDirectory
from gateway.testing.confluence import FAULTS, REST_CALLS
from gateway.testing.editor_requests import editor_data, post_route
from gateway.testing.stack import Stack, demo_login


async def _users(stack: Stack, user: str | None = "alice", **params: str | list[str]) -> tuple[int, Any]:
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/users"
    query = [
        (k, v) for k, values in params.items() for v in (values if isinstance(values, list) else [values])
    ]
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
        session.get(url, params=query, headers=demo_login(user)) as response,
    ):
        assert response.headers["Cache-Control"] == "no-store"
        return response.status, await response.json()


def _searches(stack: Stack) -> int:
    return sum(
        1
        for _, path in stack.confluence_app[REST_CALLS].recent
        if path.startswith("/confluence/rest/api/search")
    )


async def _notify_body(stack: Stack, user: str = "alice", **fields: Any) -> dict[str, Any]:
    """A valid notify body for report.docx as `user`'s editor page makes it; `fields` override."""
    report = stack.welcome_attachment_id("report.docx")
    data = await editor_data(stack, user, report, "onlyoffice-people")
    body: dict[str, Any] = {
        "attachmentId": str(report),
        "csrf": data["notify-csrf"],
        "emails": ["bob"],
        "message": "Please look at the figures",
        "actionLink": {"action": {"type": "comment", "data": "c1"}},
    }
    return {**body, **fields}


async def test_alice_finds_bob_with_his_key_avatar_and_mention_id(stack: Stack) -> None:
    status, answer = await _users(stack, c="mention", search="bob")
    assert status == 200, answer
    bob = stack.store.users["bob"]
    assert answer["c"] == "mention" and answer["isPaginated"] is True and answer["total"] == 1
    (found,) = answer["users"]
    assert found["id"] == bob.user_key and found["name"] == "Bob Example"
    assert found["email"] == "bob"  # DC exposes no e-mail address: the username stands in
    assert found["image"].startswith(stack.public_url + "/")


async def test_people_are_paged_and_protect_lists_the_same_people(stack: Stack) -> None:
    _, first = await _users(stack, c="protect", **{"from": "0", "count": "2"})
    _, rest = await _users(stack, c="protect", **{"from": "2", "count": "2"})
    assert first["c"] == "protect" and first["total"] == rest["total"] == 3
    names = [u["name"] for u in first["users"] + rest["users"]]
    assert names == ["Administrator", "Alice Example", "Bob Example"]
    assert len(first["users"]) == 2


async def test_info_gives_the_users_asked_for(stack: Stack) -> None:
    keys = [stack.store.users[name].user_key for name in ("bob", "admin")]
    status, answer = await _users(stack, c="info", id=[*keys, "0" * 32])
    assert status == 200 and [u["name"] for u in answer["users"]] == ["Bob Example", "Administrator"]


async def test_searches_are_cached_briefly_per_user(stack: Stack) -> None:
    stack.gateway_app[ONLYOFFICE_CONTEXT].people = PeopleDirectory(ttl=0.5)
    before = _searches(stack)
    assert (await _users(stack, search="ali"))[0] == 200
    assert (await _users(stack, search="ALI"))[0] == 200  # same search, other case: cached
    assert _searches(stack) == before + 1
    assert (await _users(stack, "bob", search="ali"))[0] == 200  # another user: their own search
    assert _searches(stack) == before + 2
    await asyncio.sleep(0.6)
    assert (await _users(stack, search="ali"))[0] == 200
    assert _searches(stack) == before + 3


async def test_bad_user_requests_are_4xx(stack: Stack) -> None:
    assert (await _users(stack, None, search="a"))[0] == 401
    for params in (
        {"c": "everyone"},
        {"from": "-1"},
        {"count": "x"},
        {"search": "a" * 101},
        {"search": "a\u202eb"},
        {"c": "info"},
        {"c": "info", "id": "<script>"},
    ):
        status, answer = await _users(stack, **params)
        assert status == 400 and answer["error"], params


async def test_a_mention_is_a_page_comment_confluence_notifies_from(stack: Stack) -> None:
    body = await _notify_body(stack, message="Please look at <b>this</b>\nand that")
    status, answer = await post_route(stack, "notify", body, "alice")
    assert status == 200, answer
    assert answer["notified"] == ["Bob Example"]
    comment = stack.store.comments[int(answer["commentId"])]
    assert comment.page_id == stack.welcome_page_id() and comment.by == "alice"
    bob = stack.store.users["bob"]
    assert f'<ac:link><ri:user ri:userkey="{bob.user_key}" /></ac:link>' in comment.body
    assert "Please look at &lt;b&gt;this&lt;/b&gt;<br />and that" in comment.body
    report = stack.welcome_attachment_id("report.docx")
    assert (
        f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={report}&amp;actionData="
        in comment.body
    )
    assert ">report.docx</a>" in comment.body
    assert [(n.to, n.kind, n.content_id) for n in stack.store.notifications] == [
        ("bob", "mention", comment.id)
    ]


async def test_someone_found_in_the_search_resolves_by_that_id(stack: Stack) -> None:
    _, answer = await _users(stack, search="admin")
    (admin,) = answer["users"]
    status, result = await post_route(
        stack, "notify", await _notify_body(stack, emails=[admin["email"]]), "alice"
    )
    assert status == 200 and result["notified"] == ["Administrator"]


async def test_bob_may_not_comment_so_nobody_is_notified(stack: Stack) -> None:
    status, answer = await post_route(
        stack, "notify", await _notify_body(stack, "bob", emails=["alice"]), "bob"
    )
    assert status == 403 and "may not comment" in answer["error"]
    assert stack.store.comments == {} and stack.store.notifications == []


async def test_forged_tokens_other_origins_and_anonymous_are_refused(stack: Stack) -> None:
    body = await _notify_body(stack)
    assert (await post_route(stack, "notify", {**body, "csrf": "0" * 64}, "alice"))[0] == 403
    # bob's token is not alice's, and a token for another document does not fit this one
    assert (await post_route(stack, "notify", body, "bob"))[0] == 403
    context = stack.gateway_app[ONLYOFFICE_CONTEXT]
    other = notify_token(
        context, UserCredentials(authorization=demo_login("alice")["Authorization"]), "65539"
    )
    assert (await post_route(stack, "notify", {**body, "csrf": other}, "alice"))[0] == 403
    status, _ = await post_route(stack, "notify", body, "alice", Origin="https://evil.example")
    assert status == 403
    assert (await post_route(stack, "notify", body, None))[0] == 401
    assert stack.store.comments == {}


async def test_bad_notify_bodies_are_4xx_and_store_nothing(stack: Stack) -> None:
    body = await _notify_body(stack)
    changes: Mapping[str, object]
    for changes in (
        {"emails": []},
        {"emails": "bob"},
        {"emails": [7]},
        {"emails": ["x"] * 21},
        {"emails": ["a\u202eb"]},
        {"emails": ["nobody-here"]},
        {"message": 5},
        {"message": "x" * 4001},
        {"message": "bell\x07"},
    ):
        status, answer = await post_route(stack, "notify", {**body, **changes}, "alice")
        assert status == 400 and answer["error"], changes
    assert (await post_route(stack, "notify", b"[1, 2", "alice"))[0] == 400
    status, _ = await post_route(stack, "notify", {**body, "attachmentId": "abc"}, "alice")
    assert status == 403  # not a document the page's token was made for
    assert stack.store.comments == {}


async def test_a_hidden_document_is_404(stack: Stack) -> None:
    body = await _notify_body(stack)
    stack.store.restrict(stack.welcome_page_id(), "read", users=("admin",))
    status, _ = await post_route(stack, "notify", body, "alice")
    assert status == 404 and stack.store.comments == {}


async def test_quotes_and_backslashes_reach_confluence_escaped(stack: Stack) -> None:
    stack.store.add_user("quoted", "x", 'Ann "The \\ Boss"')
    status, answer = await _users(stack, search='"The \\')
    assert status == 200 and [u["name"] for u in answer["users"]] == ['Ann "The \\ Boss"']


async def test_confluence_down_is_503_and_creates_nothing(stack: Stack) -> None:
    body = await _notify_body(stack)
    stack.confluence_app[FAULTS].unavailable = True
    status, answer = await _users(stack, search="zz")
    assert status == 503 and answer["error"]
    status, answer = await post_route(stack, "notify", body, "alice")
    assert status == 503 and answer["error"]
    stack.confluence_app[FAULTS].unavailable = False
    assert stack.store.comments == {}


async def test_anonymous_viewers_get_no_people_routes_on_the_editor_page(stack: Stack) -> None:
    stack.store.spaces["DEMO"].anonymous_view = True
    report = stack.welcome_attachment_id("report.docx")
    anonymous = await editor_data(stack, None, report, "onlyoffice-people")
    assert anonymous["users-url"] == anonymous["notify-url"] == anonymous["notify-csrf"] == ""
    alice = await editor_data(stack, "alice", report, "onlyoffice-people")
    assert alice["users-url"].endswith("/plugins/servlet/onlyoffice/users") and alice["notify-csrf"]
