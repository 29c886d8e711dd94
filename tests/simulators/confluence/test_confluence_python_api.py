"""atlassian-python-api 4.0.7, a client real users run against real DC, against the simulator.

The client is synchronous (requests), so it runs in a worker thread while the test loop serves.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from atlassian import Confluence

from gateway.testing.confluence import DEMO_USERS, Store
from tests.simulators.confluence.confluence_helpers import CTX

Client = TestClient[Any, Any]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _confluence(client: Client, **auth: Any) -> Confluence:
    # atlassian-python-api's constructor has no type hints (the package ships py.typed nonetheless).
    return Confluence(url=f"http://{client.host}:{client.port}{CTX}", timeout=20, **auth)  # type: ignore[no-untyped-call]


async def test_list_attach_reupload_download_history(client: Client, store: Store, welcome: int) -> None:
    api = _confluence(client, username="alice", password="alice")
    page = await asyncio.to_thread(api.get_page_by_id, str(welcome), expand="version,space,container,history")
    assert page["title"] == "Welcome" and page["space"]["key"] == "DEMO"

    listing = await asyncio.to_thread(api.get_attachments_from_content, str(welcome), expand="version")
    titles = {a["title"] for a in listing["results"]}
    assert {"report.docx", "budget.xlsx", "slides.pptx"} <= titles

    created = await asyncio.to_thread(
        api.attach_content, b"first", "brand new.docx", DOCX, str(welcome), comment="from python"
    )
    first = created["results"][0]
    assert first["title"] == "brand new.docx" and first["version"]["number"] == 1

    # same name again: 4.0.7 looks it up by filename and posts to .../{attId}/data
    again = await asyncio.to_thread(api.attach_content, b"second", "brand new.docx", DOCX, str(welcome))
    assert again["id"] == first["id"] and again["version"]["number"] == 2
    att = store.attachments[int(first["id"])]
    assert att.current.media_type == DOCX and att.current.by == "alice" and att.current.minor_edit

    files = await asyncio.to_thread(api.download_attachments_from_page, str(welcome), to_memory=True)
    assert files["brand new.docx"].getvalue() == b"second"
    assert files["report.docx"].getvalue().startswith(b"PK")

    history = await asyncio.to_thread(api.get_attachment_history, first["id"])
    assert [v["number"] for v in history] == [2, 1]


async def test_token_auth_and_restrictions(client: Client, welcome: int) -> None:
    admin = next(u for u in DEMO_USERS if u.username == "admin")
    api = _confluence(client, token=admin.token)
    restrictions = await asyncio.to_thread(api.get_all_restrictions_for_content, str(welcome))
    assert set(restrictions) >= {"read", "update"}


async def test_errors_surface_as_python_api_exceptions(client: Client, welcome: int) -> None:
    from atlassian.errors import ApiError
    from requests import HTTPError

    bob = _confluence(client, username="bob", password="bob")
    with pytest.raises(ApiError) as refused:  # the client turns DC's 403 into its own ApiError
        await asyncio.to_thread(bob.attach_content, b"x", "bob.docx", DOCX, str(welcome))
    assert "does not have permission to add attachments" in str(refused.value)
    anonymous = _confluence(client)
    with pytest.raises(ApiError):
        await asyncio.to_thread(anonymous.get_page_by_id, str(welcome))
    wrong = _confluence(client, username="alice", password="wrong")
    with pytest.raises(HTTPError) as unauthorized:
        await asyncio.to_thread(wrong.get_attachments_from_content, str(welcome))
    assert unauthorized.value.response is not None
    assert unauthorized.value.response.status_code == 401


async def test_client_waits_out_one_429(client: Client, app: Any, welcome: int) -> None:
    from gateway.testing.confluence import FAULTS

    app[FAULTS].rate_limit_once = 1
    api = _confluence(client, username="bob", password="bob")
    listing = await asyncio.to_thread(api.get_attachments_from_content, str(welcome))
    assert listing["size"] >= 3 and app[FAULTS].rate_limit_once is None


async def test_delete_attachment_calls(client: Client, store: Store, welcome: int) -> None:
    api = _confluence(client, username="admin", password="admin")
    created = await asyncio.to_thread(api.attach_content, b"one", "gone.docx", DOCX, str(welcome))
    att_id = created["results"][0]["id"]
    await asyncio.to_thread(api.attach_content, b"two", "gone.docx", DOCX, str(welcome))
    await asyncio.to_thread(api.delete_attachment_by_id, att_id, 1)
    history = await asyncio.to_thread(api.get_attachment_history, att_id)
    assert [v["number"] for v in history] == [2]
    await asyncio.to_thread(api.delete_attachment, str(welcome), "gone.docx")
    assert store.attachment_by_name(welcome, "gone.docx") is None


async def test_pages_found_by_space_and_title(client: Client, welcome: int) -> None:
    """`GET /rest/api/content?spaceKey=&title=`: how scripts find a page before its attachments."""
    api = _confluence(client, username="alice", password="alice")
    page = await asyncio.to_thread(api.get_page_by_title, "DEMO", "Welcome", expand="version")
    assert page["id"] == str(welcome) and page["version"]["number"] >= 1
    assert await asyncio.to_thread(api.get_page_by_title, "DEMO", "No such page") is None
    pages = await asyncio.to_thread(api.get_all_pages_from_space, "DEMO", start=0, limit=100)
    assert str(welcome) in {p["id"] for p in pages}
