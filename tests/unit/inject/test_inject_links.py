"""inject_links: markup, escaping, placement, idempotence, untouched bytes; both backends alike."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from gateway.onlyoffice.i18n import messages
from gateway.onlyoffice.links.inject import AttachmentLinks, inject_links, scan_page
from gateway.onlyoffice.links.inject import lol as lol_module
from gateway.onlyoffice.links.inject.rewrite import SCRIPT_MESSAGES
from gateway.onlyoffice.rules import Offer
from tests.unit.inject.inject_helpers import REAL_EMBEDDED_IMAGES, fixture_page, strip_inserted

CTX = "/confluence"
SCRIPT = "/confluence/plugins/servlet/onlyoffice/static/inject.js"
EDIT = AttachmentLinks(mode="edit")
VIEW = AttachmentLinks(mode="view")
EDIT_CONVERT = AttachmentLinks(mode="edit", convert="docx")


def inject(page: Any, links: dict[str, AttachmentLinks], backend: Any, **kwargs: Any) -> Any:
    scan = scan_page(page, backend=backend)
    kwargs.setdefault("script_url", SCRIPT)
    return inject_links(page, links, context_path=CTX, scan=scan, **kwargs)


class _Anchors(HTMLParser):
    """Collects the injected anchors as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []
        self.texts: list[str] = []
        self._in: bool = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and (values.get("class") or "").startswith("onlyoffice-doc"):
            self.anchors.append(values)
            self._in = True

    def handle_endtag(self, tag: str) -> None:
        self._in = False

    def handle_data(self, data: str) -> None:
        if self._in:
            self.texts.append(data)


def anchors(page: bytes) -> _Anchors:
    parser = _Anchors()
    parser.feed(page.decode("utf-8", "replace"))
    return parser


def test_attachments_page_gets_plugin_markup(backend: Any) -> None:
    page = fixture_page("attachments-page.html")
    ids = scan_page(page).attachment_ids
    links = {ids[0]: EDIT_CONVERT, ids[1]: VIEW, ids[2]: AttachmentLinks(mode=None, convert="xlsx")}
    out = inject(page, links, backend)
    assert strip_inserted(out) == page
    found = anchors(out)
    assert [(a["class"], a["data-attachment-id"]) for a in found.anchors] == [
        ("onlyoffice-doceditor", ids[0]),
        ("onlyoffice-docconvert", ids[0]),
        ("onlyoffice-docviewer", ids[1]),
        ("onlyoffice-docconvert", ids[2]),
    ]
    assert found.texts == [
        "Edit in ONLYOFFICE",
        "Convert using ONLYOFFICE",
        "View in ONLYOFFICE",
        "Convert using ONLYOFFICE",
    ]
    first = found.anchors[0]
    # Links carry the page's user locale (ajs-user-locale), so the editor (and the gateway's other
    # pages) open in it.
    assert first["href"] == f"{CTX}/plugins/servlet/onlyoffice/doceditor?attachmentId={ids[0]}&lang=en_GB"
    assert (
        found.anchors[1]["href"]
        == f"{CTX}/plugins/servlet/onlyoffice/convert?attachmentId={ids[0]}&lang=en_GB"
    )
    assert first["target"] == "_blank" and first["rel"] == "noopener"
    assert first["title"] == "Edit Document 000 quarterly report.docx in ONLYOFFICE"
    # Placed in the row, right after the a.filename element.
    row_start = out.find(f'id="attachment-{ids[0]}"'.encode())
    assert out.find(b'</a> <span class="onlyoffice-links"', row_start) < out.find(b"</tr>", row_start)
    # One script, same-origin, deferred, before </head>.
    assert out.count(b'data-onlyoffice="script"') == 1
    script = re.search(
        rb'<script src="([^"]*)" defer data-onlyoffice="script" data-onlyoffice-messages="([^"]*)"></script></head>',
        out,
    )
    assert script is not None and script.group(1) == SCRIPT.encode()
    # The script's labels, in the page's language (en_GB: English), for what it builds itself.
    texts = json.loads(html.unescape(script.group(2).decode("ascii")))
    assert (
        texts["link.edit"] == "Edit in ONLYOFFICE" and texts["title.convert"] == "Convert {name} to {target}"
    )


def test_hostile_filenames_are_escaped(backend: Any) -> None:
    page = fixture_page("attachments-page.html")
    out = inject(page, {"100098": EDIT, "100099": VIEW}, backend)
    assert out.count(b"<img src=x onerror=alert(1)>") == page.count(b"<img src=x onerror=alert(1)>") == 0
    found = anchors(out)
    titles = [a["title"] for a in found.anchors]
    assert titles == [
        "Edit <img src=x onerror=alert(1)>.docx in ONLYOFFICE",
        "View \"quoted' &amp;.docx in ONLYOFFICE",
    ]
    assert b'title="Edit &lt;img src=x onerror=alert(1)&gt;.docx in ONLYOFFICE"' in out
    assert b'title="View &quot;quoted&#x27; &amp;amp;.docx in ONLYOFFICE"' in out
    # The only new elements are the span and its anchors (no attribute breaks out).
    new_tags = re.findall(rb"<([a-z]+)", out)
    old_tags = re.findall(rb"<([a-z]+)", page)
    assert len(new_tags) - len(old_tags) == 2 * 2 + 1  # two spans, two anchors, one script


def test_embedded_files_and_images_real_capture(backend: Any) -> None:
    page = fixture_page(REAL_EMBEDDED_IMAGES)
    out = inject(page, {"76054797": VIEW, "82837511": AttachmentLinks(mode=None)}, backend)
    assert strip_inserted(out) == page
    assert out.count(b"onlyoffice-links") == 1
    assert b'data-linked-resource-container-version="22"></span> <span class="onlyoffice-links"' in out
    assert b'data-onlyoffice="script"' not in out  # a fragment: nowhere to put it
    # External images and the TOC are untouched; only one insertion happened.
    assert (
        out.replace(out[out.find(b' <span class="onlyoffice-links"') : out.find(b"</a></span>") + 11], b"")
        == page
    )


def test_page_view_links_after_wrappers_and_rows(backend: Any) -> None:
    page = fixture_page("page-view.html")
    links = {att: EDIT for att in scan_page(page).attachment_ids}
    out = inject(page, links, backend)
    assert strip_inserted(out) == page
    assert out.count(b'class="onlyoffice-links"') == 7
    assert (
        b'</a></span> <span class="onlyoffice-links" data-onlyoffice="links" data-attachment-id="200010">'
        in out
    )


def test_idempotent(backend: Any) -> None:
    for name in ("attachments-page.html", "page-view.html"):
        page = fixture_page(name)
        links = {att: EDIT_CONVERT for att in scan_page(page).attachment_ids}
        once = inject(page, links, backend)
        assert once != page
        assert inject(once, links, backend) == once
        assert inject(once, {}, backend) == once
        text = page.decode()
        once_text = inject(text, links, backend)
        assert once_text == once.decode()
        assert inject(once_text, links, backend) == once_text


def test_byte_identical_when_nothing_to_do(backend: Any) -> None:
    plain = fixture_page("plain-page.html")
    assert inject(plain, {}, backend) is plain  # not relevant: no script either
    assert inject(plain, {"1": EDIT}, backend) is plain
    page = fixture_page("attachments-page.html")
    assert inject(page, {}, backend, script_url=None) is page
    none = {att: AttachmentLinks(mode=None) for att in scan_page(page).attachment_ids}
    assert inject(page, none, backend, script_url=None) is page
    # With the script URL, a page showing attachments gets the script (and nothing else).
    with_script = inject(page, none, backend)
    assert strip_inserted(with_script) == page and with_script.count(b"data-onlyoffice=") == 1
    for junk in (b"", b"\x00\xff\xfe<<", b"<html><body>Not Confluence</body></html>", b"<a href='x'>y"):
        assert inject(junk, {"1": EDIT}, backend) is junk


def test_script_policies(backend: Any) -> None:
    plain = fixture_page("plain-page.html")
    always = inject(plain, {}, backend, script="always")
    assert strip_inserted(always) == plain and b"</script></head>" in always
    assert inject(always, {}, backend, script="always") == always
    page = fixture_page("page-view.html")
    never = inject(page, {"200010": EDIT}, backend, script="never")
    assert b'data-onlyoffice="script"' not in never
    body_only = b"<html><body><p>x</p></body></html>"
    assert inject(body_only, {}, backend, script="always") == (
        b'<html><body><p>x</p><script src="'
        + SCRIPT.encode()
        + b'" defer data-onlyoffice="script" data-onlyoffice-messages="'
        + html.escape(json.dumps(messages().bundle("en", SCRIPT_MESSAGES), sort_keys=True)).encode()
        + b'"></script></body></html>'
    )


def test_context_path_and_script_url_are_escaped(backend: Any) -> None:
    page = fixture_page("page-view.html")
    scan = scan_page(page, backend=backend)
    out = inject_links(page, {"200001": EDIT}, context_path='/c"x', script_url='/s"<x>.js', scan=scan)
    assert b'href="/c%22x/plugins/servlet/onlyoffice/doceditor?attachmentId=200001&amp;lang=en_GB"' in out
    assert b'<script src="/s&quot;&lt;x&gt;.js" defer' in out
    root = inject_links(page, {"200001": EDIT}, context_path="", script_url=None, scan=scan)
    assert b'href="/plugins/servlet/onlyoffice/doceditor?attachmentId=200001&amp;lang=en_GB"' in root


def test_a_scan_of_another_document_is_not_trusted(backend: Any) -> None:
    page = fixture_page("page-view.html")
    other = scan_page(fixture_page("attachments-page.html"))
    out = inject_links(page, {"200001": EDIT}, context_path=CTX, script_url=None, scan=other)
    assert out == inject(page, {"200001": EDIT}, backend, script_url=None)


def test_offer_to_links() -> None:
    offer = Offer(mode="view", convert_to="docx", fill_forms=False, format=None)
    assert AttachmentLinks.from_offer(offer) == AttachmentLinks(mode="view", convert="docx")
    assert not AttachmentLinks.from_offer(
        Offer(mode=None, convert_to=None, fill_forms=False, format=None)
    ).anything


@pytest.mark.parametrize(
    "name", ["attachments-page.html", "page-view.html", "plain-page.html", REAL_EMBEDDED_IMAGES]
)
def test_both_backends_give_identical_pages(name: str) -> None:
    if not lol_module.available():
        pytest.skip("no lolhtml")
    page = fixture_page(name)
    links = {att: EDIT_CONVERT if int(att) % 2 else VIEW for att in scan_page(page).attachment_ids}
    for document in (page, page.decode("utf-8")):
        assert inject(document, links, "python") == inject(document, links, "lolhtml")
