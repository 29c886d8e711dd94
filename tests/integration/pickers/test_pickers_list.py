"""GET .../attachments: the editor page's attachments a user may view, per purpose, asked as the user."""

from __future__ import annotations

from gateway.testing.confluence.seed import png_image
from gateway.testing.stack import Stack
from tests.integration.pickers.pickers_helpers import attachment, editor_token, picker_list

HOSTILE = '"><img src=x onerror=alert(1)> & <script>.png'


def _titles(body: dict[str, object]) -> list[str]:
    items = body["attachments"]
    assert isinstance(items, list)
    return [item["title"] for item in items]


async def test_alice_lists_per_purpose(stack: Stack) -> None:
    report = attachment(stack, "report.docx")
    png = png_image(3, 2)
    photo = stack.store.add_attachment(report.page_id, "photo.png", png, "image/png", by="alice")
    status, body = await picker_list(stack, report.id, "document", "alice")
    assert status == 200
    assert _titles(body) == ["legacy.doc", "notes.odt", "report.docx"]
    assert body["purpose"] == "document" and "docx" in body["extensions"] and "xlsx" not in body["extensions"]
    entry = next(item for item in body["attachments"] if item["title"] == "report.docx")
    assert entry == {
        "id": str(report.id),
        "title": "report.docx",
        "fileType": "docx",
        "size": report.current.size,
    }
    status, body = await picker_list(stack, report.id, "spreadsheet", "alice")
    assert (status, _titles(body)) == (200, ["budget.xlsx", "data.ods"])
    status, body = await picker_list(stack, report.id, "image", "alice")
    assert status == 200
    assert _titles(body) == ["diagram.png", "photo.png"]
    assert body["extensions"] == ["bmp", "gif", "jpeg", "jpg", "png", "tiff"]
    assert {"id": str(photo.id), "title": "photo.png", "fileType": "png", "size": len(png)} in body[
        "attachments"
    ]


async def test_bad_parameters_are_400(stack: Stack) -> None:
    report = attachment(stack, "report.docx")
    for attachment_id, purpose in [
        (None, "image"),
        ("abc", "image"),
        ("-1", "image"),
        (report.id, None),
        (report.id, "video"),
        (report.id, "IMAGE"),
    ]:
        status, body = await picker_list(stack, attachment_id, purpose, "alice")
        assert status == 400 and body["error"], (attachment_id, purpose, body)


async def test_anonymous_is_refused(stack: Stack) -> None:
    report = attachment(stack, "report.docx")
    status, body = await picker_list(stack, report.id, "document", None)
    assert status == 401
    assert "attachments" not in body and "report" not in str(body)


async def test_bob_sees_only_what_he_may_view(stack: Stack) -> None:
    report = attachment(stack, "report.docx")
    secret_page = stack.store.add_page("DEMO", "Secret", by="admin")
    secret = stack.store.add_attachment(
        secret_page.id, "plan.docx", stack.store.data(report, 1), "application/octet-stream", by="admin"
    )
    stack.store.add_attachment(
        secret_page.id, "salaries.xlsx", b"PK\x03\x04 not really", "application/octet-stream", by="admin"
    )
    stack.store.restrict(secret_page.id, "read", users=("admin", "alice"))
    # Bob may view the Welcome page: its list is his too.
    status, body = await picker_list(stack, report.id, "document", "bob")
    assert (status, _titles(body)) == (200, ["legacy.doc", "notes.odt", "report.docx"])
    # The restricted page is not his: nothing about it, as Confluence answers (404).
    for purpose in ("document", "spreadsheet", "image"):
        status, body = await picker_list(stack, secret.id, purpose, "bob")
        assert status == 404, body
        assert "plan" not in str(body) and "salaries" not in str(body) and "Secret" not in str(body)
    status, body = await picker_list(stack, secret.id, "spreadsheet", "alice")
    assert (status, _titles(body)) == (200, ["salaries.xlsx"])
    status, body = await picker_list(stack, 999_999_999, "document", "alice")
    assert status == 404


async def test_hostile_names_are_data_not_markup(stack: Stack) -> None:
    report = attachment(stack, "report.docx")
    stack.store.add_attachment(report.page_id, HOSTILE, png_image(3, 2), "image/png", by="alice")
    status, body = await picker_list(stack, report.id, "image", "alice")
    assert status == 200
    assert HOSTILE in _titles(body)  # JSON (nosniff): the page shows it with textContent


async def test_editor_page_offers_the_picker_only_to_editors(stack: Stack) -> None:
    report = attachment(stack, "report.docx")
    url, token = await editor_token(stack, report.id, "alice")
    assert url == f"/confluence/plugins/servlet/onlyoffice/attachments?attachmentId={report.id}"
    assert len(token) == 64
    assert await editor_token(stack, report.id, "bob") == ("", "")  # view only: no editing, no picker
