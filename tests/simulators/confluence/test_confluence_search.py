"""`GET /rest/api/content/search`: CQL search as the caller (the subset the gateway sends)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from gateway.testing.confluence import Store
from tests.simulators.confluence.confluence_helpers import CTX, basic

Client = TestClient[Any, Any]


async def _search(client: Client, cql: str, user: str | None = "alice", **params: str) -> tuple[int, Any]:
    response = await client.get(
        f"{CTX}/rest/api/content/search",
        params={"cql": cql, **params},
        headers=basic(user) if user else {},
    )
    return response.status, await response.json()


async def test_title_contains_case_insensitively_with_space_and_operations(
    client: Client, welcome: int
) -> None:
    status, body = await _search(
        client, 'type = page AND title ~ "welc" ORDER BY title', expand="space,operations"
    )
    assert status == 200
    assert [p["id"] for p in body["results"]] == [str(welcome)]
    (page,) = body["results"]
    assert page["space"]["key"] == "DEMO"
    assert {"operation": "create", "targetType": "attachment"} in page["operations"]
    assert set(body) >= {"results", "start", "limit", "size", "_links"}


async def test_only_what_the_caller_may_see(client: Client, store: Store, welcome: int) -> None:
    store.restrict(welcome, "read", users=("admin",))
    assert (await _search(client, 'title ~ "Welcome"', "bob"))[1]["results"] == []
    assert (await _search(client, 'title ~ "Welcome"', None))[1]["results"] == []
    assert [p["id"] for p in (await _search(client, 'title ~ "Welcome"', "admin"))[1]["results"]] == [
        str(welcome)
    ]


async def test_quotes_in_the_text_and_and_inside_it(client: Client, store: Store) -> None:
    page = store.add_page("DEMO", 'Tom AND "Jerry"', body="", by="admin")
    status, body = await _search(client, 'type = page AND title ~ "Tom AND \\"Jerry\\""')
    assert status == 200 and [p["id"] for p in body["results"]] == [str(page.id)]


async def test_bad_cql_is_400_and_blog_posts_are_none(client: Client) -> None:
    for cql in ("", "title = ", 'type = page OR title ~ "x"', 'title ~ "x" AND'):
        status, body = await _search(client, cql)
        assert status == 400 and body["message"].startswith("Could not parse cql"), cql
    assert (await _search(client, "type = blogpost"))[1]["results"] == []


async def test_the_limit_is_capped_as_confluence_caps_it(client: Client) -> None:
    status, body = await _search(client, 'title ~ ""', "admin", limit="5000", expand="space")
    assert status == 200 and body["limit"] == 200
    status, body = await _search(client, 'title ~ ""', "admin", limit="5000")
    assert body["limit"] == 1000
