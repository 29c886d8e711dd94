"""Rename from the editor: `POST .../onlyoffice/rename` renames the attachment in Confluence.

Real sockets: the Confluence simulator, the Document Server simulator and the gateway. The rename
is made as the user (Confluence checks their right); refusals rename nothing.
"""

from __future__ import annotations

from typing import Any

from gateway.onlyoffice.editor.rename import new_name
from gateway.testing.confluence.store import Attachment
from gateway.testing.editor_requests import editor_data, post_route
from gateway.testing.stack import Stack


def _report(stack: Stack) -> Attachment:
    return stack.store.attachments[stack.welcome_attachment_id("report.docx")]


async def _body(stack: Stack, attachment: Attachment, user: str = "alice", **fields: Any) -> dict[str, Any]:
    data = await editor_data(stack, user, attachment.id)
    return {"attachmentId": str(attachment.id), "csrf": data["rename-csrf"], "title": "Budget", **fields}


def test_the_extension_is_kept_once() -> None:
    assert new_name("Budget", "docx") == "Budget.docx"
    assert new_name(" Budget.DOCX ", "docx") == "Budget.docx"
    assert new_name("Budget.pdf", "docx") == "Budget.pdf.docx"


async def test_alice_renames_the_document_in_confluence(stack: Stack) -> None:
    report = _report(stack)
    versions = len(report.versions)
    status, answer = await post_route(
        stack, "rename", await _body(stack, report, title="Budget 2027"), "alice"
    )
    assert (status, answer) == (200, {"title": "Budget 2027.docx", "renamed": True})
    assert report.title == "Budget 2027.docx" and len(report.versions) == versions  # no new version
    assert stack.store.attachment_by_name(report.page_id, "Budget 2027.docx") is report
    # the same name again: nothing to do
    status, answer = await post_route(
        stack, "rename", await _body(stack, report, title="Budget 2027"), "alice"
    )
    assert (status, answer) == (200, {"title": "Budget 2027.docx", "renamed": False})


async def test_a_name_the_page_already_has_is_refused(stack: Stack) -> None:
    report = _report(stack)
    other = next(a for a in stack.store.attachments_of(report.page_id) if a.id != report.id)
    stem = other.title.rsplit(".", 1)[0]
    stack.store.add_attachment(report.page_id, f"{stem}.docx", b"x", "application/octet-stream", by="admin")
    status, answer = await post_route(
        stack, "rename", await _body(stack, report, title=stem.upper()), "alice"
    )
    assert status == 409 and "already has an attachment named" in answer["error"], answer
    assert report.title == "report.docx"


async def test_refusals_rename_nothing(stack: Stack) -> None:
    report = _report(stack)
    good = await _body(stack, report)
    cases: list[tuple[str, Any, str | None, dict[str, str], int]] = [
        (
            "viewer",
            {**good, "csrf": (await editor_data(stack, "bob", report.id))["rename-csrf"]},
            "bob",
            {},
            403,
        ),
        ("viewer with alice's token", good, "bob", {}, 403),
        ("anonymous", good, None, {}, 401),
        ("forged token", {**good, "csrf": "0" * 64}, "alice", {}, 403),
        ("other origin", good, "alice", {"Origin": "https://evil.example"}, 403),
        ("no title", {k: v for k, v in good.items() if k != "title"}, "alice", {}, 400),
        ("empty title", {**good, "title": "  "}, "alice", {}, 400),
        ("slash", {**good, "title": "a/b"}, "alice", {}, 400),
        ("direction override", {**good, "title": "cod\u202excod"}, "alice", {}, 400),
        ("too long", {**good, "title": "a" * 300}, "alice", {}, 400),
        ("not JSON", b"{", "alice", {}, 400),
    ]
    for name, body, user, headers, expected in cases:
        status, answer = await post_route(stack, "rename", body, user, **headers)
        assert status == expected, (name, status, answer)
        assert answer["error"], name
    assert report.title == "report.docx"
    assert (await editor_data(stack, "bob", report.id))["rename-url"] == ""


async def test_without_confluence_edit_rights_nobody_renames(stack: Stack) -> None:
    """Confluence takes alice's right to edit the page after her editor opened: refused."""
    report = _report(stack)
    body = await _body(stack, report)
    page = stack.store.pages[report.page_id]
    stack.store.restrict(page.id, "update", users=("admin",))
    status, answer = await post_route(stack, "rename", body, "alice")
    assert status == 403 and answer["error"], answer
    assert report.title == "report.docx"
