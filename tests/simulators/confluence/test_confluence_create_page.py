"""`POST /rest/api/content`: a new page, as DC creates one (the soak puts its edited files there)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from gateway.testing.confluence import Store
from tests.simulators.confluence.confluence_helpers import CTX, basic, no_check

Client = TestClient[Any, Any]

ATTACHMENTS_MACRO = '<p>Files:</p><ac:structured-macro ac:name="attachments" />'


def _page(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "page",
        "title": title,
        "space": {"key": "DEMO"},
        "body": {"storage": {"value": ATTACHMENTS_MACRO, "representation": "storage"}},
        **extra,
    }


async def test_alice_creates_a_child_page_that_lists_its_attachments(
    client: Client, store: Store, welcome: int
) -> None:
    response = await client.post(
        f"{CTX}/rest/api/content",
        json=_page("Soak edits", ancestors=[{"id": str(welcome)}]),
        headers=basic("alice"),
    )
    assert response.status == 200, await response.text()
    created = await response.json()
    assert created["type"] == "page" and created["title"] == "Soak edits"
    assert created["space"]["key"] == "DEMO" and created["version"]["number"] == 1
    page = store.pages[int(created["id"])]
    assert page.parent_id == welcome and page.created_by == "alice" and page.attachments_macro
    found = await client.get(f"{CTX}/rest/api/content?spaceKey=DEMO&title=Soak%20edits", headers=basic("bob"))
    assert [p["id"] for p in (await found.json())["results"]] == [created["id"]]
    shown = await client.get(f"{CTX}/pages/viewpage.action?pageId={created['id']}", headers=basic("bob"))
    assert shown.status == 200 and "plugin_attachments_table_container" in await shown.text()


async def test_refusals_name_what_is_wrong_and_create_nothing(client: Client, store: Store) -> None:
    pages = len(store.pages)

    async def create(user: str, body: Any, **kw: Any) -> tuple[int, str]:
        response = await client.post(f"{CTX}/rest/api/content", json=body, headers=basic(user), **kw)
        return response.status, (await response.json())["message"] if response.status != 415 else ""

    assert await create("alice", _page("Welcome")) == (
        400,
        "A page with this title already exists: A page already exists with the title Welcome in the "
        "space with key DEMO",
    )
    assert await create("bob", _page("Bob's page")) == (
        403,
        "com.atlassian.confluence.api.service.exceptions.PermissionException: "
        "Could not create content with type page",
    )
    assert await create("alice", {**_page("Elsewhere"), "space": {"key": "NOPE"}}) == (
        404,
        "No space with key : NOPE",
    )
    assert (await create("alice", {**_page(""), "title": ""}))[0] == 400
    assert (await create("alice", _page("Orphan", ancestors=[{"id": "999999"}])))[0] == 404
    assert (await create("alice", {**_page("A blog"), "type": "blogpost"}))[0] == 400
    form = await client.post(f"{CTX}/rest/api/content", data={"title": "x"}, headers=basic("alice"))
    assert form.status == 403  # a form post without X-Atlassian-Token fails the XSRF check first
    not_json = await client.post(f"{CTX}/rest/api/content", data={"title": "x"}, headers=no_check("alice"))
    assert not_json.status == 415
    anonymous = await client.post(f"{CTX}/rest/api/content", json=_page("Anonymous"))
    assert anonymous.status == 404
    assert len(store.pages) == pages
