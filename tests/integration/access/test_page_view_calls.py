"""A page view costs Confluence a small constant number of REST calls, however many attachments.

Before, the gateway asked `GET /rest/api/content/{id}` once per attachment shown (about 70 calls for
this page); now it lists the page's attachments as the user and asks once for the page's operations.
"""

from __future__ import annotations

import re

import pytest

from gateway.testing.confluence import FAULTS, REST_CALLS
from gateway.testing.stack import Stack
from tests.integration.access.access_stack_helpers import (
    add_files,
    get,
    link_actions,
    recent_rest,
    rest_calls,
    welcome,
)

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


@pytest.mark.parametrize("view", ["attachments", "view"])
async def test_a_page_view_waits_for_one_round_trip(stack: Stack, view: str) -> None:
    """The listing and the page's operations (on the Attachments page: the page, which brings them
    and the "New document" decision) are asked at the same time, not one after the other."""
    page = welcome(stack)
    add_files(stack, page.id, 10)
    url = _views(stack, page.id)[view]
    calls = stack.confluence_app[REST_CALLS]
    stack.confluence_app[FAULTS].rest_latency = 0.05
    try:
        for cached_identity in (False, True):
            calls.reset_peak()
            before = rest_calls(stack)
            status, body = await get(url, "alice")
            assert status == 200 and link_actions(body), view
            made = recent_rest(stack, before)
            # first view: who alice is, the listing and the operations, all three at once
            assert calls.peak == len(made) == (2 if cached_identity else 3), (view, made)
    finally:
        stack.confluence_app[FAULTS].rest_latency = 0.0
    if view == "attachments":
        assert b'class="aui-button onlyoffice-filecreate"' in body  # the shared page call decided it
