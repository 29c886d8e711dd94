"""POST .../attachments: the picked attachment as the signed Document Server method argument."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.docserver.jwt import JwtError, verify
from gateway.testing.confluence.seed import png_image
from gateway.testing.stack import Stack
from tests.integration.pickers.pickers_helpers import attachment, ds_get, editor_token, pick


def _secret(stack: Stack) -> str:
    return stack.settings.documentserver.jwt.secret.get_secret_value()


def _body(
    editor: int | str, token: str, purpose: str, picked: int | str, c: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "attachmentId": str(editor),
        "token": token,
        "purpose": purpose,
        "pick": str(picked),
    }
    if c is not None:
        body["c"] = c
    return body


def _signed(stack: Stack, payload: dict[str, Any]) -> dict[str, Any]:
    """The token verifies with the Document Server secret and its payload is the argument itself."""
    claims = verify(payload["token"], _secret(stack))
    unsigned = {k: v for k, v in payload.items() if k != "token"}
    assert {k: claims[k] for k in unsigned} == unsigned
    assert set(claims) - set(unsigned) <= {"iat", "exp"}
    return claims


async def test_insert_image_payload_downloads_the_exact_bytes(stack: Stack) -> None:
    report = attachment(stack, "report.docx")
    png = png_image(5, 4)
    photo = stack.store.add_attachment(report.page_id, "photo.png", png, "image/png", by="alice")
    _, token = await editor_token(stack, report.id, "alice")
    status, payload = await pick(stack, "alice", _body(report.id, token, "image", photo.id, "add"))
    assert status == 200, payload
    assert set(payload) == {"c", "images", "token"}
    assert payload["c"] == "add"
    (image,) = payload["images"]
    assert image["fileType"] == "png"
    internal = stack.settings.internal_url or stack.settings.public_url
    assert image["url"].startswith(internal.rstrip("/") + "/plugins/servlet/onlyoffice/download?token=")
    _signed(stack, payload)
    assert await ds_get(stack, image["url"]) == (200, png)
    # The link is visible in the browser: without the Document Server's JWT it is refused.
    status, _ = await ds_get(stack, image["url"], signed=False)
    assert status == 403
    with pytest.raises(JwtError):
        verify(payload["token"], "another secret, long enough for an HS256 key")


async def test_compare_and_mail_merge_payloads(stack: Stack) -> None:
    report, notes, budget = (attachment(stack, n) for n in ("report.docx", "notes.odt", "budget.xlsx"))
    _, token = await editor_token(stack, report.id, "alice")
    status, payload = await pick(stack, "alice", _body(report.id, token, "document", notes.id, "combine"))
    assert status == 200, payload
    assert set(payload) == {"c", "fileType", "url", "token"}
    assert (payload["c"], payload["fileType"]) == ("combine", "odt")
    _signed(stack, payload)
    assert await ds_get(stack, payload["url"]) == (200, stack.store.data(notes))
    # Without `c` (older events onRequestCompareFile / onRequestMailMergeRecipients): the default.
    status, payload = await pick(stack, "alice", _body(report.id, token, "spreadsheet", budget.id))
    assert status == 200, payload
    assert (payload["c"], payload["fileType"]) == ("mailmerge", "xlsx")
    _signed(stack, payload)
    assert await ds_get(stack, payload["url"]) == (200, stack.store.data(budget))
    # A malformed `c` is not passed on.
    status, payload = await pick(stack, "alice", _body(report.id, token, "document", notes.id, "<x>"))
    assert (status, payload["c"]) == (200, "compare")


async def test_forged_missing_or_foreign_tokens_are_403(stack: Stack) -> None:
    report, budget = attachment(stack, "report.docx"), attachment(stack, "budget.xlsx")
    _, token = await editor_token(stack, report.id, "alice")
    _, admin_token = await editor_token(stack, report.id, "admin")
    cases: list[tuple[str | None, dict[str, Any], dict[str, str]]] = [
        ("alice", _body(report.id, "", "spreadsheet", budget.id), {}),
        (
            "alice",
            {k: v for k, v in _body(report.id, token, "spreadsheet", budget.id).items() if k != "token"},
            {},
        ),
        ("alice", _body(report.id, "0" * 64, "spreadsheet", budget.id), {}),
        ("alice", _body(report.id, token[:-1] + "é", "spreadsheet", budget.id), {}),
        ("alice", _body(budget.id, token, "spreadsheet", budget.id), {}),  # bound to the editor's attachment
        ("alice", _body(report.id, admin_token, "spreadsheet", budget.id), {}),  # another user's token
        ("bob", _body(report.id, token, "spreadsheet", budget.id), {}),  # alice's token, bob's credentials
        (None, _body(report.id, token, "spreadsheet", budget.id), {}),
        ("alice", _body(report.id, token, "spreadsheet", budget.id), {"Origin": "http://evil.example"}),
    ]
    for user, body, headers in cases:
        status, answer = await pick(stack, user, body, headers)
        assert status == 403, (user, body, headers, answer)
        assert "url" not in answer and "token" not in answer
    status, answer = await pick(
        stack, "alice", _body(report.id, token, "spreadsheet", budget.id), {"Origin": stack.gateway_origin}
    )
    assert status == 200, answer


async def test_bad_requests_and_wrong_extensions(stack: Stack) -> None:
    report, budget, notes = (attachment(stack, n) for n in ("report.docx", "budget.xlsx", "notes.odt"))
    image = attachment(stack, "diagram.png")
    _, token = await editor_token(stack, report.id, "alice")
    for raw in (b"not json", b"[1, 2]", b'"text"'):
        status, answer = await pick(stack, "alice", raw)
        assert status == 400, answer
    for body in (
        _body(report.id, token, "video", budget.id),
        _body(report.id, token, "image", "x1"),
        {**_body(report.id, token, "image", budget.id), "pick": None},
    ):
        status, answer = await pick(stack, "alice", body)
        assert status == 400, (body, answer)
    for purpose, picked in (
        ("image", budget.id),
        ("document", budget.id),
        ("spreadsheet", notes.id),
        ("document", image.id),
        ("image", attachment(stack, "slides.pptx").id),
    ):
        status, answer = await pick(stack, "alice", _body(report.id, token, purpose, picked))
        assert status == 415, (purpose, picked, answer)
        assert "token" not in answer and answer["error"]


async def test_attachments_the_user_cannot_see_are_404(stack: Stack) -> None:
    report = attachment(stack, "report.docx")
    secret_page = stack.store.add_page("DEMO", "Secret", by="admin")
    secret = stack.store.add_attachment(
        secret_page.id, "secret.png", png_image(3, 2), "image/png", by="admin"
    )
    stack.store.restrict(secret_page.id, "read", users=("admin",))
    _, token = await editor_token(stack, report.id, "alice")
    for picked in (secret.id, 999_999_999, secret_page.id):
        status, answer = await pick(stack, "alice", _body(report.id, token, "image", picked))
        assert status == 404, (picked, answer)
        assert "secret" not in str(answer)
    # Admin may see it: the same request with admin's own token works.
    _, admin_token = await editor_token(stack, report.id, "admin")
    status, payload = await pick(stack, "admin", _body(report.id, admin_token, "image", secret.id))
    assert status == 200, payload
    assert await ds_get(stack, payload["images"][0]["url"]) == (200, stack.store.data(secret))
