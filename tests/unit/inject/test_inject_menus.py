"""Menu items in each attachment row's actions dropdown (`aui-dropdown2`), server side.

The dropdown markup follows reference confluence.md 3.1 (`.attachment-dropdown-actions`, trigger
`a.aui-dropdown2-trigger`, menu `div.aui-dropdown2 > ul > li > a`), as the Confluence simulator
renders it. Both scanners must place the items identically; pages without the dropdown stay as
they were (the other inject tests hold that for the existing fixtures).
"""

from __future__ import annotations

import json
import re
from html import escape, unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient

from gateway.onlyoffice.links.inject import AttachmentLinks, inject_links, menu_markup, scan_page
from gateway.onlyoffice.links.inject import lol as lol_module
from gateway.onlyoffice.links.inject.model import AttachmentReference
from gateway.testing.confluence import STORE, create_confluence_app
from gateway.testing.confluence.common import CONFIG
from tests.unit.inject.inject_helpers import fixture_page

CTX = "/confluence"
SCRIPT = "/confluence/plugins/servlet/onlyoffice/static/inject.js"
EDIT_CONVERT = AttachmentLinks(mode="edit", convert="docx")
VIEW = AttachmentLinks(mode="view")
EVIL = "<img src=x onerror=alert(1)>\"'&.docx"


def row(
    attachment_id: str, name: str, *, menu: bool = True, filename_link: bool = True, extra: str = ""
) -> str:
    link = (
        f'<a class="filename" href="{CTX}/download/attachments/65601/{quote(name, safe="")}?api=v2"'
        f' title="{escape(name)}">{escape(name[:35])}</a>'
        if filename_link
        else ""
    )
    dropdown = (
        '<div class="attachment-dropdown-actions">'
        f'<a href="#" class="aui-dropdown2-trigger action-dropdown" aria-owns="attachment-actions-{attachment_id}">More</a>'
        f'<div id="attachment-actions-{attachment_id}" class="aui-dropdown2 aui-style-default hidden">'
        f'<ul class="aui-list-truncate"><li><a class="previewAttachmentLink" href="#">Preview</a></li>{extra}</ul>'
        "</div></div>"
        if menu
        else ""
    )
    return (
        f'<tr class="attachment-row" id="attachment-{attachment_id}" data-attachment-id="{attachment_id}">'
        f'<td class="filename-column">{link}</td><td class="modified-column">{dropdown}</td></tr>\n'
    )


def page(*rows: str, tail: str = "") -> bytes:
    return (
        "<!DOCTYPE html><html><head><title>T</title>"
        f'<meta name="ajs-context-path" content="{CTX}"><meta name="ajs-user-locale" content="de_DE"></head>'
        '<body><div class="plugin_attachments_container"><table class="attachments aui"><tbody>\n'
        + "".join(rows)
        + f"</tbody></table></div>{tail}</body></html>"
    ).encode()


def inject(document: Any, links: dict[str, AttachmentLinks], backend: Any) -> Any:
    return inject_links(
        document, links, context_path=CTX, script_url=SCRIPT, scan=scan_page(document, backend=backend)
    )


class _Menus(HTMLParser):
    """The items of every `div.aui-dropdown2` list, as a browser would see them: (li attrs, a attrs, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, list[tuple[dict[str, str | None], dict[str, str | None], str]]] = {}
        self._menu: str | None = None
        self._li: dict[str, str | None] | None = None
        self._a: dict[str, str | None] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "div" and "aui-dropdown2" in (values.get("class") or "").split():
            self._menu = values.get("id") or ""
            self.items[self._menu] = []
        elif tag == "li" and self._menu is not None:
            self._li = values
        elif tag == "a" and self._li is not None:
            self._a, self._text = values, ""

    def handle_data(self, data: str) -> None:
        if self._a is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._a is not None and self._li is not None and self._menu is not None:
            self.items[self._menu].append((self._li, self._a, self._text))
            self._a = None
        elif tag == "li":
            self._li = None
        elif tag == "div" and self._menu is not None:
            self._menu = None


def menus(document: bytes) -> _Menus:
    parser = _Menus()
    parser.feed(document.decode("utf-8"))
    return parser


def test_rows_get_items_at_the_top_of_their_dropdown(backend: Any) -> None:
    document = page(row("101", "report.docx"), row("102", "legacy.doc"), row("103", "photo.png"))
    out = inject(document, {"101": EDIT_CONVERT, "102": VIEW}, backend)
    found = menus(out).items
    first = found["attachment-actions-101"]
    assert [(li["class"], li["data-onlyoffice"], li["data-attachment-id"]) for li, _, _ in first[:2]] == [
        ("onlyoffice-menu-item", "menu", "101"),
        ("onlyoffice-menu-item", "menu", "101"),
    ]
    assert [(a["class"], a.get("data-onlyoffice-action"), text) for _, a, text in first] == [
        # The page's user has a German Confluence locale (de_DE): German labels, as with the plugin.
        ("onlyoffice-doceditor", "edit", "In ONLYOFFICE bearbeiten"),
        ("onlyoffice-docconvert", "convert", "Mit ONLYOFFICE konvertieren"),
        ("previewAttachmentLink", None, "Preview"),  # Confluence's own item stays, after ours
    ]
    edit, convert = first[0][1], first[1][1]
    assert edit["href"] == f"{CTX}/plugins/servlet/onlyoffice/doceditor?attachmentId=101&lang=de_DE"
    assert edit["target"] == "_blank" and edit["rel"] == "noopener" and edit["data-attachment-id"] == "101"
    assert edit["title"] == "report.docx in ONLYOFFICE bearbeiten"
    assert convert["href"] == f"{CTX}/plugins/servlet/onlyoffice/convert?attachmentId=101&lang=de_DE"
    assert convert["title"] == "report.docx in DOCX konvertieren"
    assert convert["data-onlyoffice-target"] == "docx"
    assert [(a["class"], text) for _, a, text in found["attachment-actions-102"]] == [
        ("onlyoffice-docviewer", "In ONLYOFFICE anzeigen"),
        ("previewAttachmentLink", "Preview"),
    ]
    assert [text for _, _, text in found["attachment-actions-103"]] == ["Preview"]  # no decision: nothing
    # The same anchors as the span after a.filename (one markup for both places).
    span = re.search(rb'<span class="onlyoffice-links"[^>]*data-attachment-id="101">(.*?)</span>', out)
    assert span is not None
    item_anchors = re.findall(rb'<li class="onlyoffice-menu-item"[^>]*>(<a .*?</a>)</li>', out)
    assert b" ".join(item_anchors[:2]) == span.group(1)


def test_hostile_names_are_escaped_in_items(backend: Any) -> None:
    out = inject(page(row("7", EVIL)), {"7": EDIT_CONVERT}, backend)
    found = menus(out).items["attachment-actions-7"]
    assert found[0][1]["title"] == f"{EVIL} in ONLYOFFICE bearbeiten"
    assert found[1][1]["title"] == f"{EVIL} in DOCX konvertieren"
    assert b"<img" not in out  # every copy of the name is escaped


def test_idempotent_and_item_markers_count_as_injected(backend: Any) -> None:
    document = page(row("101", "report.docx"), row("102", "budget.xlsx"))
    links = {"101": EDIT_CONVERT, "102": EDIT_CONVERT}
    once = inject(document, links, backend)
    assert inject(once, links, backend) == once
    # Only the menu items present (e.g. the span was removed by a later re-render): still done.
    only_items = re.sub(rb' <span class="onlyoffice-links".*?</span>', b"", once)
    assert scan_page(only_items, backend=backend).injected_ids == frozenset({"101", "102"})
    assert inject(only_items, links, backend) == only_items


def test_what_is_not_a_row_dropdown_is_left_alone(backend: Any) -> None:
    no_link = row("201", "nolink.docx", filename_link=False)  # a dropdown still gets items
    no_menu = row("202", "nomenu.docx", menu=False)  # no dropdown in the markup: span only
    nested = row("203", "nested.docx", extra='<li><ul class="sub"><li>x</li></ul></li>')
    outside = (  # a dropdown outside any attachment row (page tools, preview): not ours to fill
        '<div id="action-menu" class="aui-dropdown2"><ul id="action-menu-primary"><li><a href="#">A</a></li></ul></div>'
        '<table><tr class="other"><td><div id="x" class="aui-dropdown2"><ul><li><a href="#">B</a></li></ul></div>'
        "</td></tr></table>"
    )
    document = page(no_link, no_menu, nested, tail=outside)
    links = {i: VIEW for i in ("201", "202", "203")}
    out = inject(document, links, backend)
    found = menus(out).items
    assert [text for _, _, text in found["attachment-actions-201"]] == ["In ONLYOFFICE anzeigen", "Preview"]
    assert "attachment-actions-202" not in found
    assert out.count(b'data-onlyoffice="links" data-attachment-id="202"') == 1
    assert [text for _, _, text in found["attachment-actions-203"]][:2] == [
        "In ONLYOFFICE anzeigen",
        "Preview",
    ]
    assert out.count(b'data-onlyoffice="menu" data-attachment-id="203"') == 1  # first list only
    assert [text for _, _, text in found["action-menu"]] == ["A"]
    assert [text for _, _, text in found["x"]] == ["B"]
    scan = scan_page(document, backend=backend)
    menu_at = {ref.attachment_id: ref.menu_at for ref in scan.references}
    assert menu_at["202"] is None
    for attachment_id in ("201", "203"):
        offset = menu_at[attachment_id]
        assert offset is not None and document[:offset].endswith(b'<ul class="aui-list-truncate">')


def test_pages_without_the_dropdown_stay_byte_identical(backend: Any) -> None:
    """The shipped fixtures' rows have a trigger but no menu element: exactly today's output."""
    document = fixture_page("attachments-page.html")
    scan = scan_page(document, backend=backend)
    assert all(ref.menu_at is None for ref in scan.references)
    links = {att: EDIT_CONVERT for att in scan.attachment_ids}
    assert b'data-onlyoffice="menu"' not in inject(document, links, backend)


def test_menu_markup_empty_without_an_offer() -> None:
    ref = AttachmentReference(attachment_id="5", kind="row", filename="a.docx")
    assert menu_markup(CTX, ref, AttachmentLinks(mode=None)) == ""
    assert menu_markup(CTX, AttachmentReference(attachment_id="5x", kind="row"), VIEW) == ""


@pytest.mark.parametrize("as_text", [False, True], ids=["bytes", "str"])
def test_both_backends_place_items_identically(as_text: bool) -> None:
    if not lol_module.available():
        pytest.skip("no lolhtml")
    document = page(
        row("101", "réport ünïcode.docx"),
        row("102", "b.docx", filename_link=False),
        row("103", "c.docx", menu=False),
        row("104", "d.docx", extra="<li><ul><li>n</li></ul></li>"),
    )
    links = {"101": EDIT_CONVERT, "102": VIEW, "103": VIEW, "104": EDIT_CONVERT}
    source: Any = document.decode("utf-8") if as_text else document
    python, fast = scan_page(source, backend="python"), scan_page(source, backend="lolhtml")
    assert [r.menu_at for r in python.references] == [r.menu_at for r in fast.references]
    assert inject(source, links, "python") == inject(source, links, "lolhtml")


async def test_the_simulators_attachments_page(aiohttp_client: Any, backend: Any) -> None:
    """The simulator's real markup (served over a loopback socket): every row's dropdown gets items."""
    app = create_confluence_app(context_path=CTX)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    store = app[STORE]
    welcome = store.page_by_title("DEMO", "Welcome")
    assert welcome is not None
    login = await client.post(
        f"{CTX}/dologin.action", data={"os_username": "alice", "os_password": "alice"}, allow_redirects=False
    )
    assert login.status in (302, 303)
    response = await client.get(f"{CTX}/pages/viewpageattachments.action?pageId={welcome.id}")
    assert response.status == 200
    document = await response.read()
    scan = scan_page(document, backend=backend)
    rows = [ref for ref in scan.references if ref.kind == "row"]
    assert len(rows) >= 8 and all(ref.menu_at is not None for ref in rows)
    out = inject(document, {ref.attachment_id: VIEW for ref in rows}, backend)
    found = menus(out).items
    for ref in rows:
        items = found[f"attachment-actions-{ref.attachment_id}"]
        assert items[0][2] == "View in ONLYOFFICE", ref
        assert sum(1 for _, a, _ in items if a.get("data-onlyoffice-action")) == 1


async def test_the_simulators_menus_built_on_open_leave_nothing_to_fill(
    aiohttp_client: Any, backend: Any
) -> None:
    """With `lazy_menus` (React/AJAX menus) the rows' dropdowns and the preview's More menu have no
    list in the markup: the server adds nothing there (the script fills them when they open), and
    the items the simulator's menus.js will build are JSON in an attribute, escaped."""
    app = create_confluence_app(context_path=CTX)
    app[CONFIG].lazy_menus = True
    client: TestClient[Any, Any] = await aiohttp_client(app)
    store = app[STORE]
    welcome = store.page_by_title("DEMO", "Welcome")
    assert welcome is not None
    report = store.attachment_by_name(welcome.id, "report.docx")
    assert report is not None
    evil = store.add_attachment(welcome.id, EVIL, store.data(report), "application/octet-stream", by="admin")
    await client.post(f"{CTX}/dologin.action", data={"os_username": "alice", "os_password": "alice"})
    preview = quote(f"/{welcome.id}/{report.id}/report.docx", safe="")
    response = await client.get(
        f"{CTX}/pages/viewpageattachments.action?pageId={welcome.id}&preview={preview}"
    )
    document = await response.read()
    assert b'id="cp-more-menu"' in document and b"data-sim-sections=" in document
    scan = scan_page(document, backend=backend)
    assert scan.references and all(ref.menu_at is None for ref in scan.references)
    out = inject(document, {ref.attachment_id: EDIT_CONVERT for ref in scan.references}, backend)
    assert b'data-onlyoffice="menu"' not in out
    assert b"<img" not in document
    sections = re.search(
        rb'id="attachment-actions-' + str(evil.id).encode() + rb"\"[^>]*data-sim-sections='([^']*)'", document
    )
    assert sections is not None
    items = json.loads(unescape(sections.group(1).decode()))[0]["items"]
    assert [item["text"] for item in items] == ["Preview", "Properties"]
    assert quote(EVIL, safe="") in items[1]["href"]
    menus_js = await client.get(f"{CTX}/s/8804/_/simulator/menus.js")
    assert menus_js.status == 200 and menus_js.content_type == "application/javascript"
