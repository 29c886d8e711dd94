"""Save As from the editor: `POST .../onlyoffice/save-as` stores the Document Server's copy.

Real sockets throughout: the Confluence and Document Server simulators and the gateway. The copy
comes from a link the Document Server simulator made (its conversion service), as `onRequestSaveAs`
would carry it; every refusal is checked to store nothing.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.confluence.client import UserCredentials
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.onlyoffice.editor.save_as import save_as_token
from gateway.testing.confluence import CONFIG
from gateway.testing.editor_requests import converted_file_link, editor_data, post_route
from gateway.testing.stack import Stack, demo_login, running_stack


async def _fetch(url: str) -> bytes:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        return await response.read()


def _names(stack: Stack) -> set[str]:
    return {a.title for a in stack.store.attachments.values() if a.page_id == stack.welcome_page_id()}


async def _request(stack: Stack, user: str = "alice", **fields: Any) -> dict[str, Any]:
    """A valid Save As body for report.docx as `user`'s editor page makes it; `fields` override."""
    report = stack.welcome_attachment_id("report.docx")
    data = await editor_data(stack, user, report)
    body: dict[str, Any] = {
        "attachmentId": str(report),
        "csrf": data["save-as-csrf"],
        "url": "",
        "fileType": "pdf",
        "title": "report.pdf",
    }
    return {**body, **fields}


async def test_alice_saves_a_copy_as_a_new_attachment(stack: Stack) -> None:
    report = stack.welcome_attachment_id("report.docx")
    link = await converted_file_link(stack, report, "pdf")
    expected = await _fetch(link)
    assert expected.startswith(b"%PDF")
    status, answer = await post_route(
        stack, "save-as", await _request(stack, url=link, title="Quarterly report.pdf"), "alice"
    )
    assert status == 200, answer
    assert answer["title"] == "Quarterly report.pdf"
    created = stack.store.attachments[int(answer["attachmentId"])]
    assert created.page_id == stack.welcome_page_id() and created.title == "Quarterly report.pdf"
    assert stack.store.data(created) == expected
    assert created.current.media_type == "application/pdf"
    assert "Saved as a copy of report.docx in ONLYOFFICE by Alice Example" in (created.current.comment or "")
    assert answer["editorUrl"] == (
        f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={created.id}"
    )
    # The same name again: numbered as Convert and New document number theirs; no extension twice.
    status, again = await post_route(
        stack, "save-as", await _request(stack, url=link, title="Quarterly report"), "alice"
    )
    assert status == 200 and again["title"] == "Quarterly report (1).pdf"


async def test_only_logged_in_users_with_the_editor_token_may_save(stack: Stack) -> None:
    before = _names(stack)
    link = await converted_file_link(stack, stack.welcome_attachment_id("report.docx"), "pdf")
    alice = await _request(stack, url=link)
    status, answer = await post_route(stack, "save-as", alice, None)  # anonymous
    assert status == 401 and answer["error"]
    status, _ = await post_route(stack, "save-as", {**alice, "csrf": "0" * 64}, "alice")  # forged
    assert status == 403
    status, _ = await post_route(stack, "save-as", {**alice, "csrf": None}, "alice")
    assert status == 403
    status, _ = await post_route(stack, "save-as", alice, "admin")  # another user's token
    assert status == 403
    status, _ = await post_route(stack, "save-as", alice, "alice", Origin="http://evil.example")
    assert status == 403
    status, _ = await post_route(stack, "save-as", {**alice, "attachmentId": "1"}, "alice")  # other file
    assert status == 403
    status, _ = await post_route(stack, "save-as", b"[1, 2]", "alice")
    assert status == 400
    assert _names(stack) == before


async def test_viewers_may_not_add_attachments(stack: Stack) -> None:
    """Bob's editor page offers no Save As; a token made for him anyway meets Confluence's refusal."""
    report = stack.welcome_attachment_id("report.docx")
    assert (await editor_data(stack, "bob", report))["save-as-csrf"] == ""
    assert (await editor_data(stack, "alice", report))["save-as-csrf"]
    context = stack.gateway_app[ONLYOFFICE_CONTEXT]
    token = save_as_token(context, UserCredentials.from_headers(demo_login("bob")), str(report))
    link = await converted_file_link(stack, report, "pdf")
    before = _names(stack)
    status, answer = await post_route(stack, "save-as", await _request(stack, url=link, csrf=token), "bob")
    assert status == 403 and "attachments" in answer["error"]
    assert _names(stack) == before


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"url": ""}, 404),
        ({"fileType": ""}, 404),
        ({"title": ""}, 400),
        ({"title": "a/b.pdf"}, 400),
        ({"title": "report\u202etxt.pdf"}, 400),
        ({"title": "x" * 300}, 400),
        ({"fileType": "exe", "title": "report.exe"}, 400),
    ],
)
async def test_empty_fields_bad_names_and_types_are_refused(
    stack: Stack, fields: dict[str, str], status: int
) -> None:
    link = await converted_file_link(stack, stack.welcome_attachment_id("report.docx"), "pdf")
    before = _names(stack)
    got, answer = await post_route(
        stack, "save-as", await _request(stack, **{"url": link, **fields}), "alice"
    )
    assert got == status and answer["error"], answer
    assert _names(stack) == before


async def test_links_outside_the_document_server_are_never_fetched(stack: Stack, aiohttp_server: Any) -> None:
    hits: list[str] = []

    async def record(request: web.Request) -> web.Response:
        hits.append(request.path_qs)
        return web.Response(body=b"%PDF-1.4 planted")

    planted = web.Application()
    planted.router.add_get("/{tail:.*}", record)
    attacker: TestServer = await aiohttp_server(planted)
    link = await converted_file_link(stack, stack.welcome_attachment_id("report.docx"), "pdf")
    path_and_query = link[len(stack.docserver_url) :]
    before = _names(stack)
    for url in (
        f"http://127.0.0.1:{attacker.port}{path_and_query}",  # another origin, the same path
        f"http://localhost:{stack.docserver_port}{path_and_query}",  # the same server, another origin
        f"{stack.confluence_url}/rest/api/content",  # Confluence itself
        "file:///etc/passwd",
        "cache/files/relative",
    ):
        status, answer = await post_route(stack, "save-as", await _request(stack, url=url), "alice")
        assert status == 400 and "Document Server" in answer["error"], (url, answer)
    assert hits == []
    assert _names(stack) == before


async def test_under_a_gateway_path_only_that_path_counts() -> None:
    """Document Server at `/ds-vpath` of the gateway's origin: its links there are fetched (at the
    internal address); the rest of that origin (Confluence behind the gateway) is not the DS."""
    async with running_stack(docserver_path="/ds-vpath") as stack:
        link = await converted_file_link(stack, stack.welcome_attachment_id("report.docx"), "pdf")
        path_and_query = link[len(stack.docserver_url) :]
        before = _names(stack)
        for url in (
            f"{stack.gateway_origin}/confluence/rest/api/content/{stack.welcome_page_id()}",
            f"{stack.gateway_origin}/ds-vpath-other{path_and_query}",
            f"{stack.gateway_origin}/ds-vpath%2F..{path_and_query}",
        ):
            status, answer = await post_route(stack, "save-as", await _request(stack, url=url), "alice")
            assert status == 400, (url, answer)
        assert _names(stack) == before
        public_link = f"{stack.gateway_origin}/ds-vpath{path_and_query}"
        status, answer = await post_route(stack, "save-as", await _request(stack, url=public_link), "alice")
        assert status == 200, answer
        created = stack.store.attachments[int(answer["attachmentId"])]
        assert stack.store.data(created) == await _fetch(link)


async def test_rules_without_create_for_the_copy_refuse_it() -> None:
    rules = [{"extensions": ["pdf"], "actions": ["view", "download"]}, {}]
    async with running_stack(settings={"rules": rules}) as stack:
        link = await converted_file_link(stack, stack.welcome_attachment_id("report.docx"), "pdf")
        before = _names(stack)
        status, answer = await post_route(stack, "save-as", await _request(stack, url=link), "alice")
        assert status == 403 and "not enabled" in answer["error"]
        assert _names(stack) == before
        docx = await converted_file_link(stack, stack.welcome_attachment_id("notes.odt"), "docx")
        status, answer = await post_route(
            stack, "save-as", await _request(stack, url=docx, fileType="docx", title="notes"), "alice"
        )
        assert status == 200 and answer["title"] == "notes.docx"


async def test_adding_attachments_is_enough_for_save_as(stack: Stack) -> None:
    """Save As needs the page's add-attachment permission, not edit rights: bob, given only that,
    gets the dialog (and still views the document)."""
    report = stack.welcome_attachment_id("report.docx")
    stack.store.grant("DEMO", "user:bob", "attach")
    assert (await editor_data(stack, "bob", report))["save-as-csrf"]
    context = stack.gateway_app[ONLYOFFICE_CONTEXT]
    token = save_as_token(context, UserCredentials.from_headers(demo_login("bob")), str(report))
    link = await converted_file_link(stack, report, "pdf")
    status, answer = await post_route(stack, "save-as", await _request(stack, url=link, csrf=token), "bob")
    assert status == 200, answer


async def test_a_copy_over_confluences_attachment_limit_is_a_clear_refusal(stack: Stack) -> None:
    """Confluence's multipart layer answers an over-size upload with a 404 (not "not found"):
    the user is told the limit and who can raise it, not "try again"; nothing is stored."""
    report = stack.welcome_attachment_id("report.docx")
    link = await converted_file_link(stack, report, "pdf")
    size = len(await _fetch(link))
    stack.confluence_app[CONFIG].attachment_max_size = size - 1
    before = _names(stack)
    status, answer = await post_route(stack, "save-as", await _request(stack, url=link), "alice")
    assert status == 413, answer
    assert answer["error"] == (
        f"The file is larger than Confluence allows for an attachment (at most {size - 1} bytes). "
        "A Confluence administrator can raise the Attachment Maximum Size."
    )
    assert _names(stack) == before
    stack.confluence_app[CONFIG].attachment_max_size = size  # exactly the limit is allowed
    status, answer = await post_route(stack, "save-as", await _request(stack, url=link), "alice")
    assert status == 200, answer
