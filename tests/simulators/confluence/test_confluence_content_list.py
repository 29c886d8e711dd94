"""`GET /rest/api/content`: the paged content list, filtered by type, space and title (§1.3 RestList)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from gateway.testing.confluence import Store
from tests.simulators.confluence.confluence_helpers import CTX, basic

Client = TestClient[Any, Any]


async def test_list_by_space_and_title(client: Client, welcome: int) -> None:
    response = await client.get(
        f"{CTX}/rest/api/content",
        params={"spaceKey": "DEMO", "title": "Welcome", "expand": "space,version"},
        headers=basic("alice"),
    )
    assert response.status == 200
    body = await response.json()
    assert body["start"] == 0 and body["limit"] == 25 and body["size"] == 1
    (page,) = body["results"]
    assert page["id"] == str(welcome) and page["type"] == "page"
    assert page["space"]["key"] == "DEMO" and page["version"]["number"] >= 1
    assert "base" not in page["_links"]  # list elements carry no base/context; the list does
    assert body["_links"]["base"].endswith(CTX) and body["_links"]["context"] == CTX


async def test_paging_links_keep_the_filters(client: Client, store: Store) -> None:
    total = sum(1 for p in store.pages.values() if p.space_key == "DEMO")
    response = await client.get(
        f"{CTX}/rest/api/content", params={"spaceKey": "DEMO", "limit": "1"}, headers=basic("admin")
    )
    body = await response.json()
    assert body["size"] == 1 and body["limit"] == 1
    if total > 1:
        assert body["_links"]["next"] == "/rest/api/content?spaceKey=DEMO&limit=1&start=1"
    second = await client.get(
        f"{CTX}/rest/api/content",
        params={"spaceKey": "DEMO", "limit": "1", "start": "1"},
        headers=basic("admin"),
    )
    assert "prev" in (await second.json())["_links"]


async def test_what_the_caller_may_not_see_is_not_listed(client: Client) -> None:
    anonymous = await client.get(f"{CTX}/rest/api/content", params={"spaceKey": "DEMO"})
    assert anonymous.status == 200
    assert (await anonymous.json())["results"] == []
    blogposts = await client.get(
        f"{CTX}/rest/api/content", params={"type": "blogpost"}, headers=basic("admin")
    )
    assert (await blogposts.json())["results"] == []


async def test_bad_paging_numbers_are_400(client: Client) -> None:
    response = await client.get(f"{CTX}/rest/api/content", params={"start": "x"}, headers=basic("admin"))
    assert response.status == 400
    assert (await response.json())["message"] == "Invalid value for parameter start: x"
