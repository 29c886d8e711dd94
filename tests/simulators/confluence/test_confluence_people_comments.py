"""People search (`GET /rest/api/search`, type = user) and page comments (`POST /rest/api/content`)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from gateway.testing.confluence import Store
from tests.simulators.confluence.confluence_helpers import CTX, basic

Client = TestClient[Any, Any]


async def _people(client: Client, cql: str, user: str | None = "alice", **params: str) -> tuple[int, Any]:
    response = await client.get(
        f"{CTX}/rest/api/search", params={"cql": cql, **params}, headers=basic(user) if user else {}
    )
    return response.status, await response.json()


async def _comment(client: Client, body: object, user: str = "alice") -> tuple[int, Any]:
    response = await client.post(f"{CTX}/rest/api/content", json=body, headers=basic(user))
    text = await response.text()
    return response.status, (await response.json()) if text.startswith("{") else text


def _comment_body(page_id: int, value: str = "<p>Hello</p>") -> dict[str, Any]:
    return {
        "type": "comment",
        "container": {"id": str(page_id), "type": "page"},
        "body": {"storage": {"value": value, "representation": "storage"}},
    }


async def test_people_by_full_name_in_confluence_search_shape(client: Client, store: Store) -> None:
    status, body = await _people(client, 'type = user AND user.fullname ~ "alic"')
    assert status == 200
    assert set(body) >= {"results", "start", "limit", "size", "totalSize", "cqlQuery", "_links"}
    (found,) = body["results"]
    assert found["entityType"] == "user" and found["title"] == "Alice Example"
    person = found["user"]
    assert person["username"] == "alice" and person["userKey"] == store.users["alice"].user_key
    assert person["displayName"] == "Alice Example" and person["profilePicture"]["path"]
    assert "email" not in person  # DC's Person JSON has no e-mail address
    assert body["cqlQuery"] == 'type = user AND user.fullname ~ "alic"'


async def test_people_are_paged_with_next_links(client: Client) -> None:
    status, first = await _people(client, "type = user", limit="2")
    assert status == 200 and first["size"] == 2 and first["totalSize"] == 3
    assert [r["user"]["username"] for r in first["results"]] == ["admin", "alice"]
    assert "start=2" in first["_links"]["next"]
    _, rest = await _people(client, "type = user", limit="2", start="2")
    assert [r["user"]["username"] for r in rest["results"]] == ["bob"] and "next" not in rest["_links"]
    _, capped = await _people(client, "type = user", limit="5000")
    assert capped["limit"] == 50


async def test_anonymous_sees_no_people_and_bad_cql_is_400(client: Client) -> None:
    assert (await _people(client, "type = user", None))[1]["results"] == []
    for cql in ("", "type = comment", 'type = user OR user.fullname ~ "a"', 'type = user AND title ~ "a"'):
        status, body = await _people(client, cql)
        assert status == 400 and body["message"].startswith("Could not parse cql"), cql
    assert (await _people(client, "type = user", limit="x"))[0] == 400


async def test_pages_are_found_too_under_content(client: Client, store: Store, welcome: int) -> None:
    status, body = await _people(client, 'type = page AND title ~ "welc"', expand="content.space")
    assert status == 200 and body["totalSize"] == 1
    (found,) = body["results"]
    assert found["entityType"] == "content" and found["content"]["id"] == str(welcome)
    assert found["content"]["space"]["key"] == "DEMO" and found["title"] == "Welcome"
    store.restrict(welcome, "read", users=("admin",))
    assert (await _people(client, 'title ~ "welc"'))[1]["results"] == []


async def test_content_search_still_answers_pages(client: Client, welcome: int) -> None:
    response = await client.get(
        f"{CTX}/rest/api/content/search", params={"cql": 'title ~ "Welc"'}, headers=basic("alice")
    )
    assert response.status == 200
    assert [p["id"] for p in (await response.json())["results"]] == [str(welcome)]


async def test_a_comment_mentioning_someone_notifies_them(client: Client, store: Store, welcome: int) -> None:
    bob = store.users["bob"]
    mention = f'<p><ac:link><ri:user ri:userkey="{bob.user_key}" /></ac:link> look</p>'
    status, body = await _comment(client, _comment_body(welcome, mention))
    assert status == 200
    assert body["type"] == "comment" and body["container"]["id"] == str(welcome)
    assert body["body"]["storage"]["value"] == mention and body["version"]["by"]["username"] == "alice"
    assert f"focusedCommentId={body['id']}" in body["_links"]["webui"]
    assert [(n.to, n.kind, n.content_id, n.by) for n in store.notifications] == [
        ("bob", "mention", int(body["id"]), "alice")
    ]
    response = await client.get(
        f"{CTX}/rest/api/content/{welcome}/child/comment",
        params={"expand": "body.storage"},
        headers=basic("bob"),
    )
    listed = await response.json()
    assert [c["id"] for c in listed["results"]] == [body["id"]]
    assert listed["results"][0]["body"]["storage"]["value"] == mention


async def test_comments_need_the_comment_permission(client: Client, store: Store, welcome: int) -> None:
    status, body = await _comment(client, _comment_body(welcome), "bob")
    assert status == 403 and "Could not create content with type comment" in body["message"]
    store.restrict(welcome, "update", users=("admin",))  # edit restrictions do not stop comments
    assert (await _comment(client, _comment_body(welcome)))[0] == 200
    store.restrict(welcome, "read", users=("admin",))
    assert (await _comment(client, _comment_body(welcome)))[0] == 404
    assert [c.by for c in store.comments_of(welcome)] == ["alice"] and store.notifications == []


async def test_mentions_of_people_who_cannot_see_the_page_notify_nobody(
    client: Client, store: Store, welcome: int
) -> None:
    store.revoke("DEMO", "user:bob", "view")
    bob = store.users["bob"]
    body = _comment_body(welcome, f'<ac:link><ri:user ri:userkey="{bob.user_key}"/></ac:link>')
    assert (await _comment(client, body))[0] == 200
    assert store.notifications == []


async def test_bad_comment_requests(client: Client, welcome: int) -> None:
    assert (await _comment(client, {**_comment_body(welcome), "type": "page"}))[0] == 400
    assert (await _comment(client, {**_comment_body(welcome), "container": {}}))[0] == 400
    assert (await _comment(client, _comment_body(welcome, "  ")))[0] == 400
    bad_parent = {**_comment_body(welcome), "ancestors": [{"id": "999999"}]}
    assert (await _comment(client, bad_parent))[0] == 400
    response = await client.post(
        f"{CTX}/rest/api/content",
        data="type=comment",
        headers={**basic("alice"), "X-Atlassian-Token": "no-check"},
    )
    assert response.status == 415
    response = await client.post(
        f"{CTX}/rest/api/content",
        data="x",
        headers={**basic("alice"), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 403 and await response.text() == "XSRF check failed"


async def test_replies_name_their_parent(client: Client, welcome: int) -> None:
    _, first = await _comment(client, _comment_body(welcome))
    status, reply = await _comment(client, {**_comment_body(welcome), "ancestors": [{"id": first["id"]}]})
    assert status == 200 and [a["id"] for a in reply["ancestors"]] == [first["id"]]


async def test_comments_survive_a_restart(tmp_path: Any) -> None:
    from gateway.testing.confluence import STORE, create_confluence_app

    store = create_confluence_app(data_dir=tmp_path)[STORE]
    page = store.page_by_title("DEMO", "Welcome")
    assert page is not None
    bob = store.users["bob"]
    store.add_comment(page.id, f'<ac:link><ri:user ri:userkey="{bob.user_key}"/></ac:link>', by="alice")
    again = create_confluence_app(data_dir=tmp_path)[STORE]
    assert [c.body for c in again.comments_of(page.id)] == [c.body for c in store.comments_of(page.id)]
    assert [n.to for n in again.notifications] == ["bob"]
