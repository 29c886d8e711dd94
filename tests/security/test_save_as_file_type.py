"""Save As: the copy's name is the user's title plus the `fileType` the browser sends, and both are
the browser's to choose. Whatever it sends, the stored title passes the same name checks as every
other name (no path separators, quotes, control or text-direction characters, not too long), and a
bad one is a 400 that stores nothing, not a 503 that invites a retry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.onlyoffice.filenames import name_problem
from gateway.testing.editor_requests import converted_file_link, editor_data, post_route
from gateway.testing.stack import Stack, running_stack


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running_stack() as running:
        yield running


def _titles(stack: Stack) -> set[str]:
    return {a.title for a in stack.store.attachments.values()}


async def _save_as(stack: Stack, **fields: Any) -> tuple[int, dict[str, Any]]:
    report = stack.welcome_attachment_id("report.docx")
    data = await editor_data(stack, "alice", report)
    link = await converted_file_link(stack, report, "pdf")
    body = {"attachmentId": str(report), "csrf": data["save-as-csrf"], "url": link, "title": "Copy", **fields}
    return await post_route(stack, "save-as", body, "alice")


@pytest.mark.parametrize(
    "file_type",
    [
        'a"b/../c.pdf',  # quotes and path separators
        "x\\..\\y.pdf",
        "pdf\r\nX-Injected: 1.pdf",  # control characters
        "gpj\u202e.pdf",  # a text-direction override that disguises the extension
        "exe.pdf",  # more than one extension
        "p" * 300 + ".pdf",  # longer than any title Confluence stores
    ],
    ids=["quote-slash", "backslash", "crlf", "bidi", "two-extensions", "long"],
)
async def test_the_file_type_cannot_smuggle_what_names_may_not_hold(stack: Stack, file_type: str) -> None:
    before = _titles(stack)
    status, answer = await _save_as(stack, fileType=file_type)
    assert status == 400 and answer["error"], answer
    assert _titles(stack) == before


async def test_the_stored_title_passes_the_name_checks_whole(stack: Stack) -> None:
    before = _titles(stack)
    status, answer = await _save_as(stack, fileType="pdf", title="t" * 200)
    assert status == 400 and "200" in answer["error"], answer  # 200 characters and the extension
    status, answer = await _save_as(stack, fileType="PDF", title="t" * 190)
    assert status == 200, answer
    assert answer["title"] == "t" * 190 + ".pdf" and name_problem(answer["title"]) is None
    assert _titles(stack) - before == {answer["title"]}


@pytest.mark.parametrize(
    "path",
    [
        "/healthcheck",
        "/meta/config",
        "/index.html",
        "/cache/files/../../meta/config",
        "/cache/files/%2e%2e/%2e%2e/meta/config",
        "/cache/files/..%2F..%2Fmeta/config",
        "/info/info.json",
    ],
)
async def test_only_document_server_file_links_are_fetched(stack: Stack, path: str) -> None:
    """`onRequestSaveAs` gives a signed `/cache/files/...` link (protocol §2.5); any other path of the
    Document Server (its localhost-only `/info/` when it shares the gateway's host) is not a copy."""
    before = _titles(stack)
    status, answer = await _save_as(stack, url=stack.docserver_url.rstrip("/") + path, fileType="pdf")
    assert status == 400 and "Document Server" in answer["error"], answer
    assert _titles(stack) == before
