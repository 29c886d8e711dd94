"""Opening the editor waits for one Confluence call: the attachment, with the page's operations in it.

Confluence answers a REST call in tens of milliseconds; two calls in a row (the attachment, then its
page's operations) made every editor open wait for both. `expand=container.operations` brings the
page's operations with the attachment, as the user, so the editor decides from one answer.
"""

from __future__ import annotations

import re

from gateway.testing.stack import Stack
from tests.integration.access.access_stack_helpers import get, recent_rest, rest_calls, welcome

_EDIT_MODE = re.compile(rb'"mode":\s*"edit"')


async def _open(stack: Stack, attachment_id: int, user: str) -> tuple[int, bytes, list[tuple[str, str]]]:
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={attachment_id}"
    await get(url, user)  # identity now cached, as for anyone who just viewed a page
    before = rest_calls(stack)
    status, body = await get(url, user)
    return status, body, recent_rest(stack, before)


async def test_the_editor_opens_after_one_confluence_call(stack: Stack) -> None:
    page = welcome(stack)
    report = stack.store.attachment_by_name(page.id, "report.docx")
    assert report is not None
    status, body, calls = await _open(stack, report.id, "alice")
    assert status == 200
    assert len(calls) == 1, calls
    assert f"/rest/api/content/{report.id}?" in calls[0][1]
    assert "container.operations" in calls[0][1]
    assert _EDIT_MODE.search(body)  # the rights came with the one answer: alice may edit


async def test_rights_from_the_nested_operations_are_the_callers(stack: Stack) -> None:
    page = welcome(stack)
    report = stack.store.attachment_by_name(page.id, "report.docx")
    assert report is not None
    status, body, calls = await _open(stack, report.id, "bob")  # bob may only view
    assert status == 200 and len(calls) == 1, calls
    assert not _EDIT_MODE.search(body)
