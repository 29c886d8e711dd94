"""PageInjector: the feed/finish transform the plugin's response filter can hand to the proxy core."""

from __future__ import annotations

import logging

import pytest

from gateway.onlyoffice.links.inject import AttachmentLinks, PageScan, inject_links, scan_page
from gateway.onlyoffice.links.inject.transform import PageInjector
from tests.unit.inject.inject_helpers import fixture_page, strip_inserted

CTX = "/confluence"
SCRIPT = "/confluence/plugins/servlet/onlyoffice/static/inject.js"


async def run(injector: PageInjector, page: bytes, size: int) -> bytes:
    out = [await injector.feed(page[start : start + size]) for start in range(0, len(page), size)]
    out.append(await injector.finish())
    return b"".join(out)


@pytest.mark.parametrize("size", [1, 7, 4096, 1 << 20])
async def test_chunked_equals_whole(size: int) -> None:
    page = fixture_page("page-view.html")
    seen: list[PageScan] = []

    async def decide(scan: PageScan) -> dict[str, AttachmentLinks]:
        seen.append(scan)
        return {att: AttachmentLinks(mode="edit") for att in scan.attachment_ids}

    out = await run(PageInjector(context_path=CTX, script_url=SCRIPT, links=decide), page, size)
    expected = inject_links(
        page,
        {att: AttachmentLinks(mode="edit") for att in scan_page(page).attachment_ids},
        context_path=CTX,
        script_url=SCRIPT,
    )
    assert out == expected
    assert strip_inserted(out) == page
    assert len(seen) == 1 and seen[0].meta.remote_user == "alice"


async def test_without_decisions_only_the_script() -> None:
    page = fixture_page("attachments-page.html")
    out = await run(PageInjector(context_path=CTX, script_url=SCRIPT), page, 65536)
    assert strip_inserted(out) == page
    assert out.count(b'data-onlyoffice="script"') == 1 and b"onlyoffice-links" not in out
    plain = fixture_page("plain-page.html")
    assert await run(PageInjector(context_path=CTX, script_url=SCRIPT), plain, 1000) == plain


async def test_large_pages_pass_through_untouched() -> None:
    page = fixture_page("attachments-page.html")
    injector = PageInjector(context_path=CTX, script_url=SCRIPT, max_bytes=100_000)
    pieces = [await injector.feed(page[start : start + 30_000]) for start in range(0, len(page), 30_000)]
    assert pieces[0] == b"" and pieces[3] != b""  # output starts once the limit is passed
    assert b"".join(pieces) + await injector.finish() == page


async def test_a_failure_sends_the_page_unchanged(caplog: pytest.LogCaptureFixture) -> None:
    page = fixture_page("page-view.html")

    async def broken(scan: PageScan) -> dict[str, AttachmentLinks]:
        raise RuntimeError("rules exploded")

    with caplog.at_level(logging.ERROR):
        assert await run(PageInjector(context_path=CTX, script_url=SCRIPT, links=broken), page, 5000) == page
    assert "link injection failed" in caplog.text
