"""Links between files: `POST .../onlyoffice/reference-data` answers what `setReferenceData` takes.

The referenced file is found as the plugin finds it (by `fileKey` when the link was made on this
Confluence, else by name among the editor page's attachments); the answer is checked as the
Document Server would use it: its token verifies with the DS secret over the object itself, and
its `url` serves the file's bytes to a request carrying the Document Server's JWT.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from gateway.docserver.jwt import verify
from gateway.onlyoffice.keys import document_key
from gateway.testing.documents.ooxml import make_docx
from gateway.testing.editor_requests import ds_download, editor_data, post_route
from gateway.testing.stack import Stack
from gateway.testing.stack import demo_login as basic


async def _body(stack: Stack, user: str | None, **event: Any) -> dict[str, Any]:
    """The editor page's POST for report.docx's editor: its token plus the event data."""
    report = stack.welcome_attachment_id("report.docx")
    data = await editor_data(stack, user, report)
    return {"attachmentId": str(report), "csrf": data["reference-data-csrf"], **event}


def _check_signed(stack: Stack, answer: dict[str, Any]) -> None:
    claims = verify(answer["token"], stack.settings.documentserver.jwt.secret.get_secret_value())
    unsigned = {name: value for name, value in answer.items() if name != "token"}
    assert {name: claims[name] for name in unsigned} == unsigned
    assert set(claims) - set(unsigned) <= {"iat", "exp"}


async def test_a_link_made_here_resolves_by_file_key(stack: Stack) -> None:
    budget = stack.welcome_attachment_id("budget.xlsx")
    event = {
        "referenceData": {"fileKey": str(budget), "instanceId": stack.public_url},
        "path": "renamed.xlsx",
    }
    status, answer = await post_route(stack, "reference-data", await _body(stack, "bob", **event), "bob")
    assert status == 200, answer
    attachment = stack.store.attachments[budget]
    assert answer["fileType"] == "xlsx" and answer["path"] == "budget.xlsx"
    assert answer["referenceData"] == {"fileKey": str(budget), "instanceId": stack.public_url}
    assert answer["key"] == document_key(stack.public_url, str(budget), attachment.current.number)
    _check_signed(stack, answer)
    assert await ds_download(stack, answer["url"]) == (200, stack.store.data(attachment))
    # The link's token is the gateway's: without the Document Server's JWT it serves nothing.
    async with aiohttp.ClientSession() as session, session.get(answer["url"]) as response:
        assert response.status == 403


async def test_a_link_from_elsewhere_resolves_by_name_on_the_editor_page(stack: Stack) -> None:
    event = {
        "referenceData": {"fileKey": "17", "instanceId": "https://other.example/wiki"},
        "path": "data.ods",
    }
    status, answer = await post_route(stack, "reference-data", await _body(stack, "alice", **event), "alice")
    assert status == 200, answer
    data = stack.welcome_attachment_id("data.ods")
    assert answer["referenceData"]["fileKey"] == str(data) and answer["path"] == "data.ods"
    _check_signed(stack, answer)
    assert (await ds_download(stack, answer["url"]))[1] == stack.store.data(stack.store.attachments[data])
    # No referenceData at all (a link pasted from a file elsewhere): the name alone.
    status, again = await post_route(
        stack, "reference-data", await _body(stack, "alice", path="data.ods"), "alice"
    )
    assert status == 200 and again["referenceData"] == answer["referenceData"]


async def test_unknown_files_are_404(stack: Stack) -> None:
    for event in (
        {"referenceData": {"fileKey": "987654321", "instanceId": stack.public_url}},
        {"referenceData": {"fileKey": "x", "instanceId": "elsewhere"}, "path": "missing.xlsx"},
        {"path": ""},
        {},
    ):
        status, answer = await post_route(
            stack, "reference-data", await _body(stack, "alice", **event), "alice"
        )
        assert status == 404 and answer["error"] and "token" not in answer, event


async def test_files_the_user_may_not_see_are_403(stack: Stack) -> None:
    private = stack.store.add_page("DEMO", "Private figures")
    hidden = stack.store.add_attachment(
        private.id, "secret.docx", make_docx("Secret"), "application/octet-stream", by="admin"
    )
    stack.store.restrict(private.id, "read", users=("admin", "alice"))
    event = {"referenceData": {"fileKey": str(hidden.id), "instanceId": stack.public_url}}
    status, answer = await post_route(stack, "reference-data", await _body(stack, "bob", **event), "bob")
    assert status == 403 and "token" not in answer and "url" not in answer
    status, answer = await post_route(stack, "reference-data", await _body(stack, "alice", **event), "alice")
    assert status == 200 and answer["path"] == "secret.docx"


async def test_only_the_editor_page_may_ask(stack: Stack) -> None:
    budget = stack.welcome_attachment_id("budget.xlsx")
    event = {"referenceData": {"fileKey": str(budget), "instanceId": stack.public_url}}
    alice = await _body(stack, "alice", **event)
    assert (await post_route(stack, "reference-data", {**alice, "csrf": "f" * 64}, "alice"))[0] == 403
    assert (await post_route(stack, "reference-data", alice, "bob"))[0] == 403  # another user's token
    assert (await post_route(stack, "reference-data", alice, "alice", Origin="http://evil.example"))[0] == 403
    assert (await post_route(stack, "reference-data", b"not json", "alice"))[0] == 400
    # Anonymous users see nothing of the demo space: no editor page, and no token works for them.
    assert (await post_route(stack, "reference-data", alice, None))[0] == 403


async def test_the_editor_config_names_the_file_in_signed_reference_data(stack: Stack) -> None:
    report = stack.welcome_attachment_id("report.docx")
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={report}"
    async with aiohttp.ClientSession() as session, session.get(url, headers=basic("alice")) as response:
        page = await response.text()
    start = page.index('id="onlyoffice-config">') + len('id="onlyoffice-config">')
    config = json.loads(page[start : page.index("</script>", start)])
    expected = {"fileKey": str(report), "instanceId": stack.public_url}
    assert config["document"]["referenceData"] == expected
    claims = verify(config["token"], stack.settings.documentserver.jwt.secret.get_secret_value())
    assert claims["document"]["referenceData"] == expected
