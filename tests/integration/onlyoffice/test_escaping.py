"""A hostile filename is text wherever the gateway and the simulators show it."""

from __future__ import annotations

import html.parser

from gateway.testing.stack import Stack
from tests.integration.onlyoffice.oo_stack_helpers import (
    editor_config,
    editor_url,
    get,
    link_actions,
    welcome,
)

EVIL = "<img src=x onerror=alert(1)>.docx"
RAW = EVIL.encode()


class _Collector(html.parser.HTMLParser):
    """Tags and attributes as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _parse(body: bytes) -> _Collector:
    collector = _Collector()
    collector.feed(body.decode())
    return collector


async def test_evil_filename_is_escaped_in_links_editor_and_docserver(stack: Stack) -> None:
    page = welcome(stack)
    evil = stack.store.add_attachment(
        page.id, EVIL, b"PK\x03\x04not really a docx", "application/octet-stream", by="admin"
    )
    ctx = stack.public_url
    for url in (
        f"{ctx}/pages/viewpageattachments.action?pageId={page.id}",
        f"{ctx}/display/DEMO/Welcome",
        f"{ctx}/pages/plugins/attachments/rendermacro.action?pageId={page.id}&sortBy=date",
    ):
        status, _, body = await get(url, "alice")
        assert status == 200
        assert RAW not in body, url
        parsed = _parse(body)
        assert not any(tag == "img" and attrs.get("onerror") for tag, attrs in parsed.tags), url
        assert link_actions(body).get(str(evil.id)) == {"edit", "download"}, url
        titles = {
            attrs.get("title")
            for tag, attrs in parsed.tags
            if tag == "a"
            and attrs.get("data-attachment-id") == str(evil.id)
            and attrs.get("data-onlyoffice-action")
        }
        # Escaped once, not twice: the browser shows the real name.
        assert titles == {f"Edit {EVIL} in ONLYOFFICE", f"Download {EVIL} as another format"}, (url, titles)

    status, _, body = await get(editor_url(stack, evil.id), "alice")
    assert status == 200
    assert RAW not in body
    parsed = _parse(body)
    assert parsed.title == f"{EVIL} - ONLYOFFICE"
    assert not any(tag == "img" for tag, _ in parsed.tags)
    config = editor_config(body)
    assert config["document"]["title"] == EVIL
    assert b"<img" not in body.split(b'id="onlyoffice-config">', 1)[1].split(b"</script>", 1)[0]
