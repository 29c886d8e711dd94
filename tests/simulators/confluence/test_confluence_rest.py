"""REST reads: shapes, links, expand, pagination, errors, users (reference §1.1-§1.3, §1.8-§1.11)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from gateway.testing.confluence import FAULTS, Store
from tests.simulators.confluence.confluence_helpers import CTX, basic

Client = TestClient[Any, Any]


async def test_status_is_running(client: Client) -> None:
    response = await client.get(f"{CTX}/status")
    assert response.status == 200
    assert await response.json() == {"state": "RUNNING"}


async def test_page_by_id_with_expand(client: Client, welcome: int) -> None:
    response = await client.get(
        f"{CTX}/rest/api/content/{welcome}?expand=version,space,container,history,operations,ancestors",
        headers=basic("alice"),
    )
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert response.headers["X-AUSERNAME"] == "alice"
    page = await response.json()
    assert page["id"] == str(welcome) and page["type"] == "page" and page["title"] == "Welcome"
    base = f"http://{client.host}:{client.port}{CTX}"
    assert page["_links"]["base"] == base and page["_links"]["context"] == CTX
    assert page["_links"]["webui"] == "/display/DEMO/Welcome"
    assert page["_links"]["self"] == f"{base}/rest/api/content/{welcome}"
    assert page["space"]["key"] == "DEMO" and page["container"]["key"] == "DEMO"
    assert page["version"]["_links"]["self"] == f"{base}/rest/experimental/content/{welcome}/version/1"
    assert page["history"]["createdBy"]["username"] == "admin"
    assert page["ancestors"] == []
    ops = {(o["operation"], o["targetType"]) for o in page["operations"]}
    assert ops == {("read", "page"), ("update", "page"), ("create", "attachment")}
    assert "restrictions" in page["_expandable"] and "version" not in page["_expandable"]


async def test_operations_reflect_the_caller(client: Client, welcome: int) -> None:
    async def ops(user: str) -> set[str]:
        response = await client.get(
            f"{CTX}/rest/api/content/{welcome}?expand=operations", headers=basic(user)
        )
        return {o["operation"] for o in (await response.json())["operations"]}

    assert await ops("bob") == {"read"}
    assert await ops("admin") == {"read", "update", "create", "delete"}


async def test_base_url_configured_and_forwarded_headers(aiohttp_client: Any, welcome: int) -> None:
    from gateway.testing.confluence import create_confluence_app

    client = await aiohttp_client(create_confluence_app(context_path="", base_url="https://wiki.example.com"))
    page = await (await client.get(f"/rest/api/content/{welcome}", headers=basic("bob"))).json()
    assert page["_links"]["base"] == "https://wiki.example.com" and page["_links"]["context"] == ""
    client2 = await aiohttp_client(create_confluence_app())
    headers = {**basic("bob"), "X-Forwarded-Proto": "https", "X-Forwarded-Host": "docs.example.org"}
    page = await (await client2.get(f"{CTX}/rest/api/content/{welcome}", headers=headers)).json()
    assert page["_links"]["base"] == "https://docs.example.org/confluence"


async def test_attachment_list_shape(client: Client, welcome: int) -> None:
    response = await client.get(
        f"{CTX}/rest/api/content/{welcome}/child/attachment?expand=version,container", headers=basic("bob")
    )
    body = await response.json()
    assert body["start"] == 0 and body["limit"] == 50 and body["size"] == len(body["results"]) >= 4
    assert "next" not in body["_links"]
    report = next(a for a in body["results"] if a["title"] == "report.docx")
    assert report["id"].isdigit() and report["type"] == "attachment" and report["status"] == "current"
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert report["metadata"]["mediaType"] == docx
    assert report["extensions"]["mediaType"] == docx and report["extensions"]["fileSize"] > 0
    assert report["version"]["number"] == 1 and report["version"]["by"]["username"] == "admin"
    assert report["container"]["id"] == str(welcome)
    links = report["_links"]
    assert links["download"].startswith(
        f"/download/attachments/{welcome}/report.docx?version=1&modificationDate="
    )
    assert links["download"].endswith("&api=v2")
    assert links["webui"] == (
        f"/pages/viewpage.action?pageId={welcome}&preview=%2F{welcome}%2F{report['id']}%2Freport.docx"
    )
    assert "thumbnail" not in links
    png = next(a for a in body["results"] if a["title"] == "diagram.png")
    assert png["_links"]["thumbnail"] == f"/download/thumbnails/{welcome}/diagram.png?api=v2"


async def test_attachment_filters_and_pagination(client: Client, store: Store, welcome: int) -> None:
    for index in range(3):
        store.add_attachment(welcome, f"extra {index}.txt", b"x", "text/plain", by="admin")
    total = len(store.attachments_of(welcome))
    url = f"{CTX}/rest/api/content/{welcome}/child/attachment"
    first = await (await client.get(f"{url}?limit=2", headers=basic("bob"))).json()
    assert first["size"] == 2 and first["limit"] == 2
    assert first["_links"]["next"] == f"/rest/api/content/{welcome}/child/attachment?limit=2&start=2"
    seen = [a["id"] for a in first["results"]]
    next_link = first["_links"]["next"]
    while next_link:
        page = await (await client.get(CTX + next_link, headers=basic("bob"))).json()
        seen += [a["id"] for a in page["results"]]
        next_link = page["_links"].get("next")
    assert len(seen) == len(set(seen)) == total
    named = await (await client.get(f"{url}?filename=extra%201.txt", headers=basic("bob"))).json()
    assert [a["title"] for a in named["results"]] == ["extra 1.txt"]
    assert (await (await client.get(f"{url}?filename=EXTRA%201.txt", headers=basic("bob"))).json())[
        "size"
    ] == 0
    typed = await (await client.get(f"{url}?mediaType=text/plain", headers=basic("bob"))).json()
    assert typed["size"] == 3


async def test_encoded_download_links(client: Client, store: Store, welcome: int) -> None:
    store.add_attachment(welcome, "a file+name.docx", b"x", "application/msword", by="admin")
    body = await (
        await client.get(
            f"{CTX}/rest/api/content/{welcome}/child/attachment?filename=a%20file%2Bname.docx",
            headers=basic("bob"),
        )
    ).json()
    link = body["results"][0]["_links"]["download"]
    assert link.startswith(f"/download/attachments/{welcome}/a%20file%2Bname.docx?version=1")


async def test_content_id_parsing(client: Client, store: Store, welcome: int) -> None:
    att = store.attachment_by_name(welcome, "report.docx")
    assert att is not None
    response = await client.get(
        f"{CTX}/rest/api/content/att{att.id}?expand=version,container", headers=basic("bob")
    )
    body = await response.json()
    assert response.status == 200 and body["id"] == str(att.id) and body["container"]["id"] == str(welcome)
    bad = await client.get(f"{CTX}/rest/api/content/abc", headers=basic("bob"))
    assert bad.status == 400 and (await bad.json())["message"] == "Can't parse as a ContentId: abc"


async def test_error_json_and_hidden_content(client: Client, store: Store, welcome: int) -> None:
    missing = await client.get(f"{CTX}/rest/api/content/999999", headers=basic("alice"))
    body = await missing.json()
    assert missing.status == 404
    assert set(body) == {"statusCode", "data", "message", "reason"}
    assert body["statusCode"] == 404 and body["reason"] == "Not Found"
    assert set(body["data"]) == {"authorized", "valid", "allowedInReadOnlyMode", "errors", "successful"}
    store.restrict(welcome, "read", users=("alice",))
    hidden = await client.get(f"{CTX}/rest/api/content/{welcome}", headers=basic("bob"))
    assert hidden.status == 404
    assert (await hidden.json())["message"] == body["message"].replace("999999", str(welcome))
    listing = await client.get(f"{CTX}/rest/api/content/{welcome}/child/attachment", headers=basic("bob"))
    assert listing.status == 404
    assert (await client.get(f"{CTX}/rest/api/content/{welcome}", headers=basic("alice"))).status == 200


async def test_anonymous_sees_nothing_unless_space_allows(client: Client, store: Store, welcome: int) -> None:
    assert (await client.get(f"{CTX}/rest/api/content/{welcome}")).status == 404
    store.spaces["DEMO"].anonymous_view = True
    response = await client.get(f"{CTX}/rest/api/content/{welcome}?expand=operations")
    assert response.status == 200 and response.headers["X-AUSERNAME"] == "anonymous"
    assert (await response.json())["operations"] == [{"operation": "read", "targetType": "page"}]


async def test_no_versioned_rest_prefix(client: Client, welcome: int) -> None:
    response = await client.get(
        f"{CTX}/rest/api/1.0/content/{welcome}/child/attachment", headers=basic("alice")
    )
    assert response.status == 404 and (await response.json())["statusCode"] == 404


async def test_current_user(client: Client, store: Store) -> None:
    anonymous = await client.get(f"{CTX}/rest/api/user/current")
    assert anonymous.status == 200 and (await anonymous.json())["type"] == "anonymous"
    alice = await (await client.get(f"{CTX}/rest/api/user/current", headers=basic("alice"))).json()
    assert alice["type"] == "known" and alice["username"] == "alice"
    assert alice["displayName"] == "Alice Example" and alice["userKey"] == store.users["alice"].user_key
    by_key = await client.get(f"{CTX}/rest/api/user?key={alice['userKey']}", headers=basic("bob"))
    assert (await by_key.json())["username"] == "alice"
    by_name = await client.get(f"{CTX}/rest/api/user?username=admin", headers=basic("bob"))
    assert (await by_name.json())["displayName"] == "Administrator"
    both = await client.get(f"{CTX}/rest/api/user?username=admin&key=x", headers=basic("bob"))
    assert both.status == 400
    assert (await both.json())["message"] == "Only one query param of key or username is required"


async def test_restrictions_by_operation(client: Client, store: Store, welcome: int) -> None:
    store.restrict(welcome, "update", users=("alice",), groups=("confluence-administrators",))
    body = await (
        await client.get(f"{CTX}/rest/api/content/{welcome}/restriction/byOperation", headers=basic("bob"))
    ).json()
    update = body["update"]["restrictions"]
    assert [u["username"] for u in update["user"]["results"]] == ["alice"]
    assert [g["name"] for g in update["group"]["results"]] == ["confluence-administrators"]
    assert body["read"]["restrictions"]["user"]["size"] == 0
    # the update restriction names alice, so she keeps edit rights
    ops = await (
        await client.get(f"{CTX}/rest/api/content/{welcome}?expand=operations", headers=basic("alice"))
    ).json()
    assert {"operation": "update", "targetType": "page"} in ops["operations"]


async def test_space_not_visible(client: Client) -> None:
    response = await client.get(f"{CTX}/rest/api/space/DEMO")
    assert response.status == 404 and (await response.json())["message"] == "No space with key : DEMO"
    assert (await (await client.get(f"{CTX}/rest/api/space/DEMO", headers=basic("bob"))).json())[
        "name"
    ] == "Demo"


async def test_rate_limit_once_then_normal(client: Client, app: Any) -> None:
    app[FAULTS].rate_limit_once = 2
    first = await client.get(f"{CTX}/rest/api/user/current")
    assert first.status == 429 and first.headers["Retry-After"] == "2"
    assert (await client.get(f"{CTX}/rest/api/user/current")).status == 200


async def test_unavailable_fault(client: Client, app: Any, welcome: int) -> None:
    app[FAULTS].unavailable = True
    assert (await client.get(f"{CTX}/rest/api/content/{welcome}", headers=basic("bob"))).status == 503
    assert (
        await client.get(f"{CTX}/download/attachments/{welcome}/report.docx", headers=basic("bob"))
    ).status == 503
    app[FAULTS].unavailable = False
    assert (await client.get(f"{CTX}/rest/api/content/{welcome}", headers=basic("bob"))).status == 200
