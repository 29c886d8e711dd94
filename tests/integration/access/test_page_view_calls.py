"""A page view costs Confluence a small constant number of REST calls, however many attachments.

Before, the gateway asked `GET /rest/api/content/{id}` once per attachment shown (about 70 calls for
this page); now it lists the page's attachments as the user and asks once for the page's operations.
"""

from __future__ import annotations

import re

import pytest
from access_stack_helpers import add_files, get, link_actions, recent_rest, rest_calls, welcome

from gateway.testing.stack import Stack

MAX_CALLS = 4  # identity (first view only), listing, page operations, one spare
_SINGLE = re.compile(r"/rest/api/content/\d+\?")


def _views(stack: Stack, page_id: int) -> dict[str, str]:
    ctx = stack.public_url
    return {
        "attachments": f"{ctx}/pages/viewpageattachments.action?pageId={page_id}",
        "view": f"{ctx}/display/DEMO/Welcome",
        "rendermacro": (
            f"{ctx}/pages/plugins/attachments/rendermacro.action"
            f"?pageId={page_id}&sortBy=date&upload=true&outputType=display"
        ),
    }


@pytest.mark.parametrize("user", ["alice", "bob"])
async def test_page_view_with_many_attachments_makes_few_rest_calls(stack: Stack, user: str) -> None:
    page = welcome(stack)
    added = add_files(stack, page.id, 60)
    docx = [i for i in added if stack.store.attachments[i].title.endswith(".docx")]
    for name, url in _views(stack, page.id).items():
        before = rest_calls(stack)
        status, body = await get(url, user)
        assert status == 200, name
        calls = recent_rest(stack, before)
        assert len(calls) <= MAX_CALLS, (name, calls)
        assert sum("/child/attachment" in path for _, path in calls) == 1, (name, calls)
        singles = [path for _, path in calls if _SINGLE.search(path) and f"/content/{page.id}?" not in path]
        assert singles == [], name  # no attachment asked one by one
        links = link_actions(body)
        expected = {"edit"} if user == "alice" else {"view"}
        for attachment_id in docx:
            assert expected <= links.get(str(attachment_id), set()), (name, attachment_id)


async def test_call_count_does_not_grow_with_attachments(stack: Stack) -> None:
    page = welcome(stack)
    url = _views(stack, page.id)["attachments"]
    await get(url, "alice")  # identity now cached
    before = rest_calls(stack)
    await get(url, "alice")
    few = rest_calls(stack) - before
    add_files(stack, page.id, 80)
    before = rest_calls(stack)
    status, body = await get(url, "alice")
    assert status == 200 and len(link_actions(body)) > 60
    assert rest_calls(stack) - before == few == 2  # the listing and the page's operations
