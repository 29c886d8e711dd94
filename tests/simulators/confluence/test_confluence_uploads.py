"""Uploads, new versions, metadata updates, history and downloads (reference §1.4-§1.8)."""

from __future__ import annotations

from typing import Any

from aiohttp import FormData
from aiohttp.test_utils import TestClient

from gateway.testing.confluence import Store
from tests.simulators.confluence.confluence_helpers import CTX, basic, no_check, upload_form

Client = TestClient[Any, Any]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _att(store: Store, page_id: int, name: str) -> int:
    att = store.attachment_by_name(page_id, name)
    assert att is not None
    return att.id


async def test_create_attachment(client: Client, store: Store, welcome: int) -> None:
    form = upload_form("new.docx", b"PK-new", DOCX, comment="first", minorEdit="true")
    form.add_field("type", "attachment")  # python-api's extra parts are ignored
    form.add_field("fileName", "new.docx")
    response = await client.post(
        f"{CTX}/rest/api/content/{welcome}/child/attachment", data=form, headers=no_check("alice")
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert set(body) == {"results", "size", "_links"} and body["size"] == 1
    created = body["results"][0]
    assert created["title"] == "new.docx" and created["metadata"]["mediaType"] == DOCX
    assert created["version"]["number"] == 1 and created["version"]["minorEdit"] is True
    assert created["version"]["by"]["username"] == "alice" and created["version"]["message"] == "first"
    assert created["metadata"]["labels"]["size"] == 0 and created["container"]["id"] == str(welcome)
    assert created["extensions"]["comment"] == "first"
    assert store.data(store.attachments[int(created["id"])]) == b"PK-new"


async def test_create_errors(client: Client, store: Store, welcome: int) -> None:
    url = f"{CTX}/rest/api/content/{welcome}/child/attachment"
    dup = await client.post(url, data=upload_form("report.docx", b"x", DOCX), headers=no_check("alice"))
    assert dup.status == 400
    assert (await dup.json())["message"] == (
        "Cannot add a new attachment with same file name as an existing attachment: report.docx"
    )
    form = FormData(default_to_multipart=True)
    form.add_field("comment", "no file")
    empty = await client.post(url, data=form, headers=no_check("alice"))
    assert (await empty.json())["message"] == "At least one attachment file must be included."
    twice = FormData()
    twice.add_field("file", b"a", filename="same.txt", content_type="text/plain")
    twice.add_field("file", b"b", filename="same.txt", content_type="text/plain")
    response = await client.post(url, data=twice, headers=no_check("alice"))
    assert (await response.json())[
        "message"
    ] == "Cannot add new attachments with duplicate file name: same.txt"
    comments = FormData()
    comments.add_field("file", b"a", filename="one.txt", content_type="text/plain")
    comments.add_field("file", b"b", filename="two.txt", content_type="text/plain")
    comments.add_field("comment", "only one")
    response = await client.post(url, data=comments, headers=no_check("alice"))
    assert (await response.json())["message"] == "Must be same number of attachment files and comments."
    bob = await client.post(url, data=upload_form("bob.txt", b"x"), headers=no_check("bob"))
    assert bob.status == 403
    assert (await bob.json())["message"] == f"User not permitted to create attachments for content: {welcome}"
    anonymous = await client.post(
        url, data=upload_form("anon.txt", b"x"), headers={"X-Atlassian-Token": "no-check"}
    )
    assert anonymous.status == 404
    assert store.attachment_by_name(welcome, "bob.txt") is None


async def test_edit_without_attach_permission_is_refused(client: Client, store: Store, welcome: int) -> None:
    store.revoke("DEMO", "user:alice", "attach")
    url = f"{CTX}/rest/api/content/{welcome}/child/attachment"
    response = await client.post(url, data=upload_form("x.txt", b"x"), headers=no_check("alice"))
    assert response.status == 403
    att = _att(store, welcome, "report.docx")
    data = await client.post(
        f"{url}/{att}/data", data=upload_form("report.docx", b"x", DOCX), headers=no_check("alice")
    )
    assert data.status == 403
    assert (await data.json())["message"] == "You do not have permission to update this Attachment"


async def test_allow_duplicated_makes_a_new_version(client: Client, store: Store, welcome: int) -> None:
    url = f"{CTX}/rest/api/content/{welcome}/child/attachment?allowDuplicated=true"
    response = await client.post(url, data=upload_form("report.docx", b"v2", DOCX), headers=no_check("alice"))
    assert response.status == 200
    created = (await response.json())["results"][0]
    assert created["id"] == str(_att(store, welcome, "report.docx")) and created["version"]["number"] == 2


async def test_new_version_through_data(client: Client, store: Store, welcome: int) -> None:
    att = _att(store, welcome, "report.docx")
    form = upload_form("report.docx", b"version two", DOCX, comment="Edited in ONLYOFFICE", minorEdit="true")
    # the container segment is ignored, exactly as DC does
    response = await client.post(
        f"{CTX}/rest/api/content/1/child/attachment/att{att}/data", data=form, headers=no_check("alice")
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert "results" not in body and body["id"] == str(att) and body["title"] == "report.docx"
    assert body["version"]["number"] == 2 and body["version"]["by"]["displayName"] == "Alice Example"
    assert body["version"]["minorEdit"] is True and body["version"]["message"] == "Edited in ONLYOFFICE"
    assert body["_links"]["download"].startswith(f"/download/attachments/{welcome}/report.docx?version=2&")
    assert body["_links"]["base"].endswith(CTX)
    latest = await client.get(
        f"{CTX}/download/attachments/{welcome}/report.docx?api=v2", headers=basic("bob")
    )
    assert await latest.read() == b"version two"
    old = await client.get(
        f"{CTX}/download/attachments/{welcome}/report.docx?version=1&api=v2", headers=basic("bob")
    )
    assert (await old.read()).startswith(b"PK")


async def test_data_renames_and_takes_the_part_media_type(client: Client, store: Store, welcome: int) -> None:
    att = _att(store, welcome, "report.docx")
    form = upload_form("renamed.odt", b"odt", "application/vnd.oasis.opendocument.text")
    response = await client.post(
        f"{CTX}/rest/api/content/{welcome}/child/attachment/{att}/data", data=form, headers=no_check("alice")
    )
    body = await response.json()
    assert (
        body["title"] == "renamed.odt"
        and body["metadata"]["mediaType"] == "application/vnd.oasis.opendocument.text"
    )
    assert body["version"]["minorEdit"] is False
    assert store.attachment_by_name(welcome, "report.docx") is None


async def test_data_errors(client: Client, store: Store, welcome: int) -> None:
    url = f"{CTX}/rest/api/content/{welcome}/child/attachment"
    missing = await client.post(
        f"{url}/424242/data", data=upload_form("a.txt", b"x"), headers=no_check("alice")
    )
    assert (
        missing.status == 404 and (await missing.json())["message"] == "Can't find attachment with id: 424242"
    )
    att = _att(store, welcome, "report.docx")
    bob = await client.post(
        f"{url}/{att}/data", data=upload_form("report.docx", b"x"), headers=no_check("bob")
    )
    assert bob.status == 403
    assert (await bob.json())["message"] == "You do not have permission to update this Attachment"
    bad = await client.post(
        f"{url}/xyz/data", data=upload_form("report.docx", b"x"), headers=no_check("alice")
    )
    assert bad.status == 400 and (await bad.json())["message"] == "Can't parse as a ContentId: xyz"


async def test_metadata_put_version_rules(client: Client, store: Store, welcome: int) -> None:
    att = _att(store, welcome, "report.docx")
    url = f"{CTX}/rest/api/content/{welcome}/child/attachment/{att}"
    body: dict[str, Any] = {
        "id": str(att),
        "type": "attachment",
        "title": "Report 2024.docx",
        "metadata": {"comment": "renamed"},
    }
    no_version = await client.put(url, json=body, headers=basic("alice"))
    assert no_version.status == 400
    assert (await no_version.json())["message"].startswith(
        "Updated attachment must include a Version property"
    )
    wrong = await client.put(url, json={**body, "version": {"number": 5}}, headers=basic("alice"))
    assert wrong.status == 409
    assert (await wrong.json())["message"].startswith(
        "You're trying to edit the wrong version of that Attachment. Latest version is 1"
    )
    ok = await client.put(url, json={**body, "version": {"number": 2}}, headers=basic("alice"))
    assert ok.status == 200 and (await ok.json())["title"] == "Report 2024.docx"
    unknown = await client.put(
        f"{CTX}/rest/api/content/{welcome}/child/attachment/999999",
        json={**body, "version": {"number": 1}},
        headers=basic("alice"),
    )
    assert (
        unknown.status == 404 and (await unknown.json())["message"] == "No attachment found with id: 999999"
    )


async def test_fidelity_status_codes(client: Client, store: Store, welcome: int) -> None:
    att = _att(store, welcome, "report.docx")
    multipart_put = await client.put(
        f"{CTX}/rest/api/content/{att}", data=upload_form("report.docx", b"x"), headers=no_check("alice")
    )
    assert multipart_put.status == 415
    put_collection = await client.put(
        f"{CTX}/rest/api/content/{welcome}/child/attachment",
        data=upload_form("report.docx", b"x"),
        headers=no_check("alice"),
    )
    assert put_collection.status == 405
    json_put = await client.put(
        f"{CTX}/rest/api/content/{att}",
        json={"version": {"number": 1}, "title": "r.docx"},
        headers=basic("alice"),
    )
    assert json_put.status == 200 and (await json_put.json())["title"] == "r.docx"


async def test_version_history_and_delete(client: Client, store: Store, welcome: int) -> None:
    att = _att(store, welcome, "report.docx")
    for index in range(2):
        await client.post(
            f"{CTX}/rest/api/content/{welcome}/child/attachment/{att}/data",
            data=upload_form("report.docx", f"v{index + 2}".encode(), DOCX),
            headers=no_check("alice"),
        )
    history = await (
        await client.get(
            f"{CTX}/rest/experimental/content/{att}/version?limit=200&start=0", headers=basic("bob")
        )
    ).json()
    assert [v["number"] for v in history["results"]] == [3, 2, 1]
    assert history["results"][0]["by"]["username"] == "alice"
    one = await (
        await client.get(f"{CTX}/rest/experimental/content/{att}/version/2", headers=basic("bob"))
    ).json()
    assert one["number"] == 2 and one["content"]["id"] == str(att)
    denied = await client.delete(f"{CTX}/rest/experimental/content/{att}/version/2", headers=basic("alice"))
    assert denied.status == 403
    deleted = await client.delete(f"{CTX}/rest/experimental/content/{att}/version/2", headers=basic("admin"))
    assert deleted.status == 204
    history = await (
        await client.get(f"{CTX}/rest/experimental/content/{att}/version", headers=basic("bob"))
    ).json()
    assert [v["number"] for v in history["results"]] == [3, 1]


async def test_downloads(client: Client, store: Store, welcome: int) -> None:
    store.add_attachment(welcome, "My Report.docx", b"spaces", DOCX, by="alice")
    ok = await client.get(
        f"{CTX}/download/attachments/{welcome}/My%20Report.docx?version=1&api=v2", headers=basic("bob")
    )
    assert ok.status == 200 and await ok.read() == b"spaces" and ok.headers["Content-Type"] == DOCX
    assert ok.headers["Content-Disposition"] == "attachment; filename*=UTF-8''My%20Report.docx"
    anonymous = await client.get(
        f"{CTX}/download/attachments/{welcome}/report.docx?api=v2", allow_redirects=False
    )
    assert anonymous.status == 302
    assert anonymous.headers["Location"].startswith(
        f"{CTX}/login.action?os_destination=%2Fdownload%2Fattachments"
    )
    absent = await client.get(f"{CTX}/download/attachments/{welcome}/nope.docx", headers=basic("bob"))
    assert absent.status == 404
    no_version = await client.get(
        f"{CTX}/download/attachments/{welcome}/report.docx?version=9", headers=basic("bob")
    )
    assert no_version.status == 404
    thumb = await client.get(f"{CTX}/download/thumbnails/{welcome}/diagram.png?api=v2", headers=basic("bob"))
    assert thumb.status == 200 and (await thumb.read()).startswith(b"\x89PNG")
    store.restrict(welcome, "read", users=("alice",))
    hidden = await client.get(f"{CTX}/download/attachments/{welcome}/report.docx", headers=basic("bob"))
    assert hidden.status == 404


async def test_remove_attachment_action(client: Client, store: Store, welcome: int) -> None:
    url = f"{CTX}/json/removeattachment.action?pageId={welcome}&fileName=legacy.doc"
    if store.attachment_by_name(welcome, "legacy.doc") is None:
        store.add_attachment(welcome, "legacy.doc", b"doc", "application/msword", by="admin")
    refused = await client.post(
        url, headers={**basic("admin"), "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert refused.status == 403 and await refused.text() == "XSRF check failed"
    response = await client.post(
        url, headers={**no_check("admin"), "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status == 200 and store.attachment_by_name(welcome, "legacy.doc") is None
