"""reference-data never hands out a link for an attachment the user cannot view, however the
event data is spelled: spoofed or respelled `instanceId`s, respelled `fileKey`s, and `path`
tricks all end in a refusal without `url` or `token`, while the owner of the page still gets it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.testing.documents.ooxml import make_docx
from gateway.testing.editor_requests import editor_data, post_route
from gateway.testing.stack import Stack, running_stack


@pytest.fixture
async def hidden() -> AsyncIterator[tuple[Stack, int]]:
    """The stack, and an attachment on a page only admin and alice may read."""
    async with running_stack() as stack:
        private = stack.store.add_page("DEMO", "Private figures")
        secret = stack.store.add_attachment(
            private.id, "secret.docx", make_docx("Secret"), "application/octet-stream", by="admin"
        )
        stack.store.restrict(private.id, "read", users=("admin", "alice"))
        yield stack, secret.id


def _events(stack: Stack, secret: int) -> list[dict[str, Any]]:
    here = stack.public_url
    return [
        {"referenceData": {"fileKey": str(secret), "instanceId": here}},
        {"referenceData": {"fileKey": str(secret), "instanceId": here + "/"}},
        {"referenceData": {"fileKey": str(secret), "instanceId": here.upper()}, "path": "secret.docx"},
        {
            "referenceData": {"fileKey": str(secret), "instanceId": "https://evil.example"},
            "path": "secret.docx",
        },
        {"referenceData": {"fileKey": f" {secret}", "instanceId": here}, "path": "secret.docx"},
        {"referenceData": {"fileKey": f"0{secret}", "instanceId": here}},
        {"referenceData": {"fileKey": f"{secret}/../{secret}", "instanceId": here}},
        {"referenceData": {"fileKey": secret, "instanceId": here}},  # a number, not a string
        {"referenceData": [str(secret), here], "path": "../Private figures/secret.docx"},
        {"path": f"/download/attachments/{secret}/secret.docx"},
    ]


async def test_reference_data_never_links_an_attachment_the_user_cannot_view(
    hidden: tuple[Stack, int],
) -> None:
    stack, secret = hidden
    report = stack.welcome_attachment_id("report.docx")
    csrf = (await editor_data(stack, "bob", report))["reference-data-csrf"]
    for event in _events(stack, secret):
        body = {"attachmentId": str(report), "csrf": csrf, **event}
        status, answer = await post_route(stack, "reference-data", body, "bob")
        assert status in (403, 404) and "url" not in answer and "token" not in answer, (event, answer)
    # The same request from someone who may read the page is answered: the refusals were about bob.
    csrf = (await editor_data(stack, "alice", report))["reference-data-csrf"]
    event = _events(stack, secret)[0]
    status, answer = await post_route(
        stack, "reference-data", {"attachmentId": str(report), "csrf": csrf, **event}, "alice"
    )
    assert status == 200 and answer["path"] == "secret.docx"
