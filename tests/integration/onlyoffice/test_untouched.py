"""Pages the gateway must not rewrite arrive byte for byte as Confluence sent them; rules narrow links."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from gateway.testing.stack import Stack, demo_login, running_stack
from tests.integration.onlyoffice.oo_stack_helpers import (
    attachment_id,
    editor_config,
    editor_url,
    get,
    link_actions,
    welcome,
)


async def _both(stack: Stack, path: str, user: str | None) -> tuple[bytes, bytes]:
    direct_status, _, direct = await get(stack.confluence_url + path, user)
    proxied_status, _, proxied = await get(stack.public_url + path, user)
    assert direct_status == proxied_status, path
    return direct, proxied


async def test_page_outside_injection_paths_is_byte_identical(stack: Stack) -> None:
    for user in ("alice", "bob", "admin"):
        direct, proxied = await _both(stack, "/index.action", user)
        assert b"Welcome" in direct
        assert proxied == direct
    direct, proxied = await _both(stack, "/login.action", None)
    assert proxied == direct


async def test_injected_page_differs_only_by_the_links(stack: Stack) -> None:
    """Remove the inserted spans, menu items, New document control and the script: what is left is
    Confluence's page, unchanged."""
    page_id = welcome(stack).id
    direct, proxied = await _both(stack, f"/pages/viewpageattachments.action?pageId={page_id}", "alice")
    assert proxied != direct
    stripped = re.sub(rb' <span class="onlyoffice-links".*?</span>', b"", proxied)
    assert stripped.count(b'<li class="onlyoffice-menu-item"') >= 8  # each row's actions dropdown
    stripped = re.sub(rb'<li class="onlyoffice-menu-item".*?</li>', b"", stripped)
    stripped = re.sub(rb"<script[^>]*onlyoffice/static/inject\.js[^>]*></script>\n?", b"", stripped)
    assert stripped.count(b'<span class="onlyoffice-create"') == 1  # New document, in the upload area
    stripped = re.sub(rb'<span class="onlyoffice-create" .*?</a></span>', b"", stripped)
    assert stripped == direct


@pytest.fixture(
    params=[
        [{"spaces": ["DEMO"], "enabled": False}, {}],
        [{"spaces": ["OTHER"]}],  # no rule names DEMO: nothing is offered there
        [{"pages": ["1"], "enabled": True}, {"extensions": ["docx"], "enabled": False}, {"enabled": False}],
    ],
    ids=["disabled", "not-named", "disabled-after-conditional"],
)
async def disabled_stack(request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    async with running_stack(settings={"rules": request.param}) as running:
        yield running


async def test_disabled_rule_leaves_pages_untouched_and_editor_refuses(disabled_stack: Stack) -> None:
    stack = disabled_stack
    page_id = welcome(stack).id
    for path in (
        f"/pages/viewpageattachments.action?pageId={page_id}",
        "/display/DEMO/Welcome",
        f"/pages/plugins/attachments/rendermacro.action?pageId={page_id}&sortBy=date",
    ):
        direct, proxied = await _both(stack, path, "alice")
        assert proxied == direct, path
    status, _, body = await get(editor_url(stack, attachment_id(stack, "report.docx")), "alice")
    assert status == 403
    assert b"Traceback" not in body


@pytest.fixture
async def view_only_stack() -> AsyncIterator[Stack]:
    async with running_stack(settings={"rules": [{"spaces": ["DEMO"], "actions": ["view"]}]}) as running:
        yield running


async def test_view_only_rule_gives_alice_view_links_and_view_mode(view_only_stack: Stack) -> None:
    stack = view_only_stack
    page_id = welcome(stack).id
    _, _, body = await get(f"{stack.public_url}/pages/viewpageattachments.action?pageId={page_id}", "alice")
    links = link_actions(body)
    report = str(attachment_id(stack, "report.docx"))
    assert links[report] == {"view"}
    assert not any(actions & {"edit", "convert"} for actions in links.values())
    status, _, body = await get(editor_url(stack, report), "alice")
    assert status == 200
    config = editor_config(body)
    assert config["editorConfig"]["mode"] == "view"
    assert "callbackUrl" not in config["editorConfig"]


async def test_byte_ranges_on_downloads_pass_through_untouched(stack: Stack) -> None:
    """Range, If-Range and the 206/416 answers go both ways as Confluence sent them: a resumed
    download through the gateway gets exactly the bytes and Content-Range Confluence gives."""
    page_id = welcome(stack).id
    path = f"/download/attachments/{page_id}/report.docx?api=v2"
    report = stack.store.attachment_by_name(page_id, "report.docx")
    assert report is not None
    whole = stack.store.data(report)
    async with aiohttp.ClientSession(headers=demo_login("bob")) as session:
        async with session.get(stack.public_url + path) as full:
            assert full.headers["Accept-Ranges"] == "bytes"
            etag = full.headers["ETag"]
        for headers, status, content_range, body in (
            ({"Range": "bytes=10-19"}, 206, f"bytes 10-19/{len(whole)}", whole[10:20]),
            (
                {"Range": "bytes=-7", "If-Range": etag},
                206,
                f"bytes {len(whole) - 7}-{len(whole) - 1}/{len(whole)}",
                whole[-7:],
            ),
            ({"Range": f"bytes={len(whole)}-"}, 416, f"bytes */{len(whole)}", b""),
            ({"Range": "bytes=0-9", "If-Range": '"stale"'}, 200, None, whole),
        ):
            async with session.get(stack.public_url + path, headers=headers) as proxied:
                assert proxied.status == status, headers
                assert proxied.headers.get("Content-Range") == content_range
                assert await proxied.read() == body
                assert "Content-Encoding" not in proxied.headers
