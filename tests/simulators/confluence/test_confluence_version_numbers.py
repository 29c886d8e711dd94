"""Version numbers after `DELETE /rest/experimental/content/{id}/version/{n}` (reference §1.8):
numbering goes on from the highest number ever used; a deleted number is never handed out again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from gateway.testing.confluence import Store, create_confluence_app
from gateway.testing.confluence.common import STORE
from tests.simulators.confluence.confluence_helpers import CTX, basic, no_check, upload_form

Client = TestClient[Any, Any]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _report(store: Store, page_id: int) -> int:
    att = store.attachment_by_name(page_id, "report.docx")
    assert att is not None
    return att.id


async def _upload(client: Client, page_id: int, att: int, data: bytes) -> int:
    response = await client.post(
        f"{CTX}/rest/api/content/{page_id}/child/attachment/{att}/data",
        data=upload_form("report.docx", data, DOCX),
        headers=no_check("alice"),
    )
    assert response.status == 200, await response.text()
    number: int = (await response.json())["version"]["number"]
    return number


async def _delete(client: Client, att: int, number: int) -> int:
    response = await client.delete(
        f"{CTX}/rest/experimental/content/{att}/version/{number}", headers=basic("admin")
    )
    return response.status


async def _numbers(client: Client, att: int) -> list[int]:
    response = await client.get(f"{CTX}/rest/experimental/content/{att}/version", headers=basic("bob"))
    return [v["number"] for v in (await response.json())["results"]]


async def test_a_deleted_latest_number_is_not_reused(client: Client, store: Store, welcome: int) -> None:
    att = _report(store, welcome)
    assert [await _upload(client, welcome, att, b"two"), await _upload(client, welcome, att, b"three")] == [
        2,
        3,
    ]
    assert await _delete(client, att, 3) == 204
    assert await _numbers(client, att) == [2, 1]
    current = await client.get(f"{CTX}/rest/api/content/{att}?expand=version", headers=basic("bob"))
    assert (await current.json())["version"]["number"] == 2  # the one before is current again
    assert await _upload(client, welcome, att, b"four") == 4
    assert await _numbers(client, att) == [4, 2, 1]
    gone = await client.get(
        f"{CTX}/download/attachments/{welcome}/report.docx?version=3", headers=basic("bob")
    )
    assert gone.status == 404  # version 3 never comes back with other bytes
    latest = await client.get(f"{CTX}/download/attachments/{welcome}/report.docx", headers=basic("bob"))
    assert await latest.read() == b"four"


async def test_deleting_middle_versions_leaves_gaps(client: Client, store: Store, welcome: int) -> None:
    att = _report(store, welcome)
    for data in (b"2", b"3", b"4"):
        await _upload(client, welcome, att, data)
    assert [await _delete(client, att, 2), await _delete(client, att, 3)] == [204, 204]
    assert await _numbers(client, att) == [4, 1]
    assert await _delete(client, att, 3) == 404  # already gone
    assert await _upload(client, welcome, att, b"5") == 5
    old = await client.get(
        f"{CTX}/download/attachments/{welcome}/report.docx?version=4", headers=basic("bob")
    )
    assert await old.read() == b"4"


async def test_deleting_down_to_one_then_uploading(client: Client, store: Store, welcome: int) -> None:
    att = _report(store, welcome)
    await _upload(client, welcome, att, b"2")
    await _upload(client, welcome, att, b"3")
    for number in (3, 2):
        assert await _delete(client, att, number) == 204
    assert await _numbers(client, att) == [1]
    assert await _upload(client, welcome, att, b"again") == 4


async def test_the_highest_number_survives_a_restart(tmp_path: Path) -> None:
    app = create_confluence_app(data_dir=tmp_path)
    store = app[STORE]
    page = store.page_by_title("DEMO", "Welcome")
    assert page is not None
    att = store.attachments[_report(store, page.id)]
    store.add_version(att, b"2", DOCX, by="alice")
    assert store.delete_version(att, 2)
    again = create_confluence_app(data_dir=tmp_path)[STORE]
    reloaded = again.attachments[att.id]
    assert again.add_version(reloaded, b"next", DOCX, by="alice").number == 3
