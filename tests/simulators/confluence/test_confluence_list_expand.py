"""`expand` on attachment list elements works as on single content (reference §1.2, §1.3, §1.10);
the REST call counter tests use to measure what a client costs Confluence.

Real DC expands every element of a RestList with the same `expand` a single GET takes (`operations`
is among a list element's `_expandable` in §1.3) and computes `operations` for the calling user
(§1.2, §1.10), so the gateway can decide a whole page's attachments from one listing.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.simulators.confluence.confluence_helpers import CTX, basic

Client = TestClient[Any, Any]
EXPAND = "version,container,container.space,space,operations"


def _without_top_links(item: dict[str, Any]) -> dict[str, Any]:
    links = {k: v for k, v in item["_links"].items() if k not in ("base", "context")}
    return {**item, "_links": links}


@pytest.mark.parametrize("user", ["admin", "alice", "bob"])
async def test_list_elements_equal_single_content(client: Client, welcome: int, user: str) -> None:
    listing = await client.get(
        f"{CTX}/rest/api/content/{welcome}/child/attachment",
        params={"expand": EXPAND, "limit": "200"},
        headers=basic(user),
    )
    assert listing.status == 200
    results = (await listing.json())["results"]
    assert len(results) >= 4
    for element in results:
        assert element["operations"], element["title"]
        assert "operations" not in element["_expandable"]
        single = await client.get(
            f"{CTX}/rest/api/content/{element['id']}", params={"expand": EXPAND}, headers=basic(user)
        )
        assert _without_top_links(await single.json()) == element


async def test_list_operations_are_the_callers(client: Client, welcome: int) -> None:
    async def ops(user: str) -> set[tuple[str, str]]:
        listing = await client.get(
            f"{CTX}/rest/api/content/{welcome}/child/attachment",
            params={"expand": "operations"},
            headers=basic(user),
        )
        found = {
            frozenset((o["operation"], o["targetType"]) for o in a["operations"])
            for a in (await listing.json())["results"]
        }
        assert len(found) == 1  # the simulator's rights are per page
        return set(next(iter(found)))

    assert await ops("bob") == {("read", "attachment")}
    assert ("update", "attachment") in await ops("alice")


async def test_list_without_operations_expand_has_none(client: Client, welcome: int) -> None:
    listing = await client.get(f"{CTX}/rest/api/content/{welcome}/child/attachment", headers=basic("alice"))
    for element in (await listing.json())["results"]:
        assert "operations" not in element and "operations" in element["_expandable"]


async def test_rest_calls_are_counted(client: Client, app: Any, welcome: int) -> None:
    from gateway.testing.confluence import REST_CALLS

    before = app[REST_CALLS].total
    await client.get(f"{CTX}/rest/api/content/{welcome}", headers=basic("bob"))
    await client.get(f"{CTX}/rest/api/nothing/here", headers=basic("bob"))
    await client.get(f"{CTX}/pages/viewpage.action?pageId={welcome}", headers=basic("bob"))
    assert app[REST_CALLS].total == before + 2
    assert list(app[REST_CALLS].recent)[-2:] == [
        ("GET", f"{CTX}/rest/api/content/{welcome}"),
        ("GET", f"{CTX}/rest/api/nothing/here"),
    ]
