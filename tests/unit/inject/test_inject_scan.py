"""find_references / scan_page on Confluence-like and real markup, with both scanner backends."""

from __future__ import annotations

import random
from typing import Any

import pytest

from gateway.onlyoffice.links.inject import AttachmentReference, find_references, scan_page
from gateway.onlyoffice.links.inject import lol as lol_module
from gateway.onlyoffice.links.inject.scan import scan_with_python
from tests.unit.inject.inject_helpers import REAL_EMBEDDED_IMAGES, fixture_page


def test_attachments_page_rows(backend: Any) -> None:
    page = fixture_page("attachments-page.html")
    scan = scan_page(page, backend=backend)
    rows = scan.references
    assert len(rows) == 100
    assert {ref.kind for ref in rows} == {"row"}
    assert rows[0] == AttachmentReference("100000", "row", "Document 000 quarterly report.docx", "65601")
    assert rows[-2].filename == "<img src=x onerror=alert(1)>.docx"
    assert rows[-1].filename == "\"quoted' &amp;.docx"  # the name itself contains "&amp;"
    assert scan.has_attachments_container
    # Links go right after the row's a.filename element.
    for ref in rows:
        assert ref.insert_at is not None
        assert page[: ref.insert_at].endswith(b"</a>")
        assert page.rfind(b'class="filename"', 0, ref.insert_at) > page.rfind(b"<tr", 0, ref.insert_at)


def test_meta_without_the_xsrf_token(backend: Any) -> None:
    meta = scan_page(fixture_page("page-view.html"), backend=backend).meta
    assert meta.page_id == "65601"
    assert meta.space_key == "DEMO"
    assert meta.context_path == "/confluence"
    assert meta.remote_user == "alice"
    assert meta.remote_user_key == "8a7f808a8c1f0001"
    assert meta.user_locale == "en_GB"
    assert meta.is_confluence
    assert not hasattr(meta, "atl_token")


def test_page_view_embedded_and_macro(backend: Any) -> None:
    page = fixture_page("page-view.html")
    refs = find_references(page, backend=backend)
    assert [(ref.attachment_id, ref.kind) for ref in refs] == [
        ("200010", "file"),
        ("200011", "image"),
        ("200012", "file"),
        ("200001", "row"),
        ("200002", "row"),
        ("200003", "row"),
        ("200004", "row"),
    ]
    slides = refs[0]
    assert (slides.filename, slides.page_id, slides.version) == ("slides.pptx", "65601", 3)
    assert refs[2].filename == "<img src=x onerror=alert(1)>.docx"
    # The macro lists another page's attachments: its fieldset pageId wins over ajs-page-id.
    assert {ref.page_id for ref in refs if ref.kind == "row"} == {"65602"}
    # Embedded: after the wrapper span, not inside it.
    for ref in refs[:3]:
        assert ref.insert_at is not None
        assert page[: ref.insert_at].endswith(b"</span>")
        wrapper = page.rfind(b'<span class="confluence-embedded-file-wrapper', 0, ref.insert_at)
        assert page.find(b'data-linked-resource-id="' + ref.attachment_id.encode(), wrapper) < ref.insert_at


def test_real_capture_embedded_images(backend: Any) -> None:
    page = fixture_page(REAL_EMBEDDED_IMAGES)
    scan = scan_page(page, backend=backend)
    assert scan.references == (
        AttachmentReference("76054797", "image", "1.0.0-global-config.png", "70878754", 1),
        AttachmentReference("82837511", "image", "1.0.2-job-config.png", "70878754", 1),
    )
    for ref in scan.references:
        assert ref.insert_at is not None
        assert page[: ref.insert_at].endswith(b'data-linked-resource-container-version="22"></span>')
    assert scan.script_at is None  # a fragment: no </head>, no </body>
    assert not scan.meta.is_confluence


def test_fakes_in_comments_scripts_and_templates_are_ignored(backend: Any) -> None:
    ids = {
        ref.attachment_id for ref in find_references(fixture_page("attachments-page.html"), backend=backend)
    }
    assert not ids & {"424242", "31337", "999"}


ODD = [
    # id only in id="attachment-N", row filename attribute, uppercase tags and attribute names
    b'<TABLE class="attachments"><TR CLASS="attachment-row" ID="attachment-7" data-attachment-filename="a b.docx">'
    b'<TD><A CLASS="filename" HREF="/download/attachments/1/x.docx">x</A></TD></TR></TABLE>',
    # single quotes, ">" inside attribute values, unquoted values, entities in href
    b"<table><tr class='attachment-row' data-attachment-id='8' title='a>b'><td>"
    b'<a title="T > U" class=filename href=/c/download/attachments/9/r%C3%A9sum%C3%A9%20%26.docx?api=v2&amp;x=1>r</a>'
    b"</td></tr></table>",
    # non-digit ids, external images, wrong resource type: ignored
    b'<tr class="attachment-row" data-attachment-id="12a"><td><a class="filename" href="/x">x</a></td></tr>'
    b'<img class="confluence-embedded-image" data-linked-resource-id="5" data-linked-resource-type="page">'
    b'<img class="confluence-embedded-image confluence-external-resource" src="https://e/x.png">'
    b'<a class="confluence-embedded-file" data-linked-resource-id="-3">z</a>',
    # embedded file without wrapper, image without wrapper, data on the wrapper span itself
    b'<p><a class="confluence-embedded-file" data-linked-resource-id="21" data-linked-resource-default-alias="f.docx">'
    b'<span class="title">f</span></a> and <img class="confluence-embedded-image" data-linked-resource-id="22" '
    b'data-linked-resource-type="attachment"/> and <span class="confluence-embedded-file-wrapper" '
    b'data-linked-resource-id="23" data-linked-resource-default-alias="w.xlsx"><span><span>x</span></span></span></p>',
    # a row without a.filename, nested a in a.filename, textarea and title holding rows, invalid UTF-8
    b'<title><tr class="attachment-row" data-attachment-id="40"></title><tr class="attachment-row" '
    b'data-attachment-id="41"><td>no link</td></tr><textarea><a class="filename">t</a></textarea>'
    b'<tr class="attachment-row" data-attachment-id="42"><td><a class="filename" href="/download/attachments/1/'
    b'\xff\xfe.docx">a<a>b</a>c</a></td></tr>\r\n<!--> <tr class="attachment-row" data-attachment-id="43"> -->',
    # the attachment row classes among others, and duplicate attributes (the first wins)
    b'<div class="x plugin_attachments_container y"><fieldset class="hidden"><input name="pageId" value="77">'
    b'<input name="pageId" value="78"></fieldset><table class="aui attachments"><tbody>'
    b'<tr class="odd attachment-row" data-attachment-id="50" data-attachment-id="51"><td>'
    b'<a class="filename" class="nope" href="/download/attachments/77/d.pptx">d</a></td></tr></tbody></table></div>',
    # a page that was injected before: its ids are known as done
    b'<head><script src="/c/inject.js" defer data-onlyoffice="script"></script></head><body><tr class="attachment-row" '
    b'data-attachment-id="60"><td><a class="filename" href="/x">x</a> <span class="onlyoffice-links" '
    b'data-onlyoffice="links" data-attachment-id="60"><a class="onlyoffice-doceditor">E</a></span></td></tr></body>',
]


@pytest.mark.parametrize("page", ODD, ids=[f"odd{index}" for index in range(len(ODD))])
def test_backends_agree_on_odd_markup(page: bytes) -> None:
    if not lol_module.available():
        pytest.skip("no lolhtml")
    for document in (page, page.decode("utf-8", "replace")):
        python = scan_page(document, backend="python")
        fast = scan_page(document, backend="lolhtml")
        assert python == fast
        assert [ref.insert_at for ref in python.references] == [ref.insert_at for ref in fast.references]


def test_odd_markup_is_read_as_html_reads_it(backend: Any) -> None:
    scans = [scan_page(page, backend=backend) for page in ODD]
    assert [(r.attachment_id, r.filename) for r in scans[0].references] == [("7", "a b.docx")]
    assert [(r.attachment_id, r.filename, r.page_id) for r in scans[1].references] == [
        ("8", "résumé &.docx", None)
    ]
    assert scans[2].references == ()
    assert [(r.attachment_id, r.kind) for r in scans[3].references] == [
        ("21", "file"),
        ("22", "image"),
        ("23", "file"),
    ]
    assert ODD[3][: scans[3].references[0].insert_at].endswith(b"</span></a>")
    assert ODD[3][: scans[3].references[1].insert_at].endswith(b'data-linked-resource-type="attachment"/>')
    assert ODD[3][: scans[3].references[2].insert_at].endswith(b"</span></span></span>")
    # "<!-->" is a complete (abrupt) comment in HTML5, so row 43 after it is real markup.
    assert [(r.attachment_id, r.insert_at is None) for r in scans[4].references] == [
        ("41", True),
        ("42", False),
        ("43", True),
    ]
    assert scans[4].references[1].filename == "\ufffd\ufffd.docx"
    assert ODD[4][: scans[4].references[1].insert_at].endswith(b"c</a>")
    assert [(r.attachment_id, r.page_id, r.filename) for r in scans[5].references] == [("50", "77", "d.pptx")]
    assert scans[6].injected_ids == {"60"} and scans[6].has_script


def test_falls_back_when_lolhtml_is_missing_or_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    page = fixture_page("page-view.html")
    expected = scan_with_python(page)
    monkeypatch.setattr(lol_module, "lolhtml", None)
    assert scan_page(page) == expected
    with pytest.raises(RuntimeError):
        scan_page(page, backend="lolhtml")

    def broken(document: bytes) -> Any:
        raise ValueError("boom")

    monkeypatch.setattr(lol_module, "available", lambda: True)
    monkeypatch.setattr(lol_module, "scan_with_lolhtml", broken)
    assert scan_page(page) == expected


def test_str_and_bytes_give_character_and_byte_offsets(backend: Any) -> None:
    page = fixture_page("page-view.html").replace(b"Intro", "Intrö ☃".encode())
    text = page.decode("utf-8")
    by_bytes = scan_page(page, backend=backend)
    by_text = scan_page(text, backend=backend)
    assert by_bytes.references == by_text.references and by_bytes.meta == by_text.meta
    assert (by_bytes.length, by_text.length) == (len(page), len(text))
    for a, b in zip(by_bytes.references, by_text.references, strict=True):
        assert a.insert_at is not None and b.insert_at is not None
        assert page[: a.insert_at].decode("utf-8") == text[: b.insert_at]


def test_unrecognised_input_finds_nothing(backend: Any) -> None:
    for page in (b"", b"plain text", b"<", b"<a", b"\x00\xff<<>>", b'{"json": "<tr class=attachment-row>"}'):
        scan = scan_page(page, backend=backend)
        assert scan.references == () and not scan.relevant


_ROW = b'<tr class="attachment-row" data-attachment-id="%d"><td><a class="filename" href="/x">x</a></td></tr>'
# HTML5 tokenizer corner cases: what is text and what is markup. Both scanners must agree with
# each other (lol-html implements the tokenizer states) on where rows are.
TOKENIZER_CASES = {
    "noscript": (b"<noscript>" + _ROW % 1 + b"</noscript>" + _ROW % 2, ["2"]),
    "script-lookalike-end": (b'<script>a="</scriptx>' + _ROW % 1 + b'"</script>' + _ROW % 2, ["2"]),
    "script-escaped": (b"<script><!--" + _ROW % 1 + b"--></script>" + _ROW % 2, ["2"]),
    "script-double-escaped": (
        b"<script><!--<script>" + _ROW % 1 + b"</script>-->" + _ROW % 2 + b"</script>" + _ROW % 3,
        ["3"],
    ),
    "script-abrupt-comment": (b"<script><!--><script></script>" + _ROW % 3, ["3"]),
    "script-unclosed": (b"<script>" + _ROW % 1, []),
    "cdata-in-html-is-a-bogus-comment": (b"<![CDATA[ " + _ROW % 1 + b" ]]>" + _ROW % 2, ["2"]),
    "cdata-in-svg": (b"<svg><![CDATA[ " + _ROW % 1 + b" ]]></svg>" + _ROW % 2, ["2"]),
    "svg-title-is-not-rcdata": (b"<svg><title>" + _ROW % 1 + b"</title></svg>" + _ROW % 2, ["1", "2"]),
    "svg-title-holds-html": (
        b"<svg><title><style>"
        + _ROW % 1
        + b"</style></title><style>"
        + _ROW % 3
        + b"</style></svg>"
        + _ROW % 2,
        ["3", "2"],
    ),
    "svg-foreign-object": (
        b"<svg><foreignObject><title>"
        + _ROW % 1
        + b"</title></foreignObject><style>"
        + _ROW % 4
        + b"</style></svg>"
        + _ROW % 2,
        ["4", "2"],
    ),
    "math-text-integration": (b"<math><mi><style>" + _ROW % 1 + b"</style></mi></math>" + _ROW % 2, ["2"]),
    "nested-svg": (
        b"<svg><g><svg><title>x</title></svg><style>"
        + _ROW % 1
        + b"</style></g></svg><style>"
        + _ROW % 5
        + b"</style>"
        + _ROW % 2,
        ["1", "2"],
    ),
    "template": (b"<template>" + _ROW % 1 + b"</template>" + _ROW % 2, ["1", "2"]),
    "plaintext": (b"<plaintext>" + _ROW % 1, []),
    "unclosed-tag": (_ROW % 1 + b'<a class="x', ["1"]),
    "unclosed-comment": (_ROW % 1 + b"<!-- " + _ROW % 2, ["1"]),
    "slash-separated-attributes": (
        b'<tr/class="attachment-row"/data-attachment-id="6"><td><a/class="filename">q</a></td></tr>',
        ["6"],
    ),
    "quote-in-attribute-name": (
        b'<tr a"b="c" class="attachment-row" data-attachment-id="7"><td><a class="filename">q</a></td></tr>',
        ["7"],
    ),
}


@pytest.mark.parametrize("name", list(TOKENIZER_CASES))
def test_tokenizer_corner_cases(name: str, backend: Any) -> None:
    page, expected = TOKENIZER_CASES[name]
    scan = scan_page(page, backend=backend)
    assert [ref.attachment_id for ref in scan.references] == expected
    if lol_module.available():
        other = scan_page(page, backend="python" if backend == "lolhtml" else "lolhtml")
        assert [(r.attachment_id, r.insert_at) for r in scan.references] == [
            (r.attachment_id, r.insert_at) for r in other.references
        ]


def _random_page(rnd: random.Random, depth: int = 0) -> bytes:
    """A random well-formed page built from Confluence's vocabulary, decoys and HTML odds and ends."""
    out: list[bytes] = []
    for _ in range(rnd.randint(1, 6 if depth < 4 else 2)):
        choice = rnd.randrange(14)
        number = rnd.randint(1, 30)
        inner = _random_page(rnd, depth + 1) if depth < 4 else b"x"
        if choice == 0:
            out.append(
                b'<table class="attachments"><tbody><tr class="attachment-row" data-attachment-id="%d"><td>'
                % number
            )
            out.append(
                b'<a class="filename" href="/download/attachments/7/f%d.docx">f</a>%s</td></tr></tbody></table>'
                % (number, inner)
            )
        elif choice == 1:
            out.append(b'<span class="confluence-embedded-file-wrapper"><a class="confluence-embedded-file" ')
            out.append(
                b'data-linked-resource-id="%d"><span class="title">%s</span></a></span>' % (number, inner)
            )
        elif choice == 2:
            out.append(
                b'<img class="confluence-embedded-image" data-linked-resource-id="%d" data-linked-resource-type="attachment">'
                % number
            )
        elif choice == 3:
            out.append(
                b'<div class="plugin_attachments_container"><fieldset class="hidden"><input name="pageId" value="%d">'
                % number
            )
            out.append(b"</fieldset>%s</div>" % inner)
        elif choice == 4:
            out.append(b'<!-- <tr class="attachment-row" data-attachment-id="%d"> -->' % number)
        elif choice == 5:
            out.append(b'<script>var s = \'<a class="filename">\' + "</scr" + "ipt>"; // <!-- x</script>')
        elif choice == 6:
            out.append(b"<p title=\"a &gt; b\" class='x'>%s</p>" % inner)
        elif choice == 7:
            out.append(b"<ul><li>%s</li><li>t</li></ul>" % inner)
        elif choice == 8:
            out.append(b'<svg viewBox="0 0 1 1"><title>icon</title><path d="M0 0"/></svg>')
        elif choice == 9:
            out.append(
                b'<span data-onlyoffice="links" data-attachment-id="%d"><a href="#">E</a></span>' % number
            )
        elif choice == 10:
            out.append(
                b'<a class="confluence-embedded-file" data-linked-resource-id="%d">%s</a>' % (number, inner)
            )
        elif choice == 11:
            out.append(b'<textarea><tr class="attachment-row" data-attachment-id="%d"></textarea>' % number)
        elif choice == 12:
            out.append(b"<div><span>%s</span><br><hr/></div>" % inner)
        else:
            out.append(b"text &amp; more <b>bold</b> \xc3\xa9\n")
    return b"".join(out)


def test_random_well_formed_pages_scan_identically() -> None:
    if not lol_module.available():
        pytest.skip("no lolhtml")
    rnd = random.Random(20261127)
    for _ in range(300):
        page = b"<html><head><title>t</title></head><body>" + _random_page(rnd) + b"</body></html>"
        python = scan_page(page, backend="python")
        fast = scan_page(page, backend="lolhtml")
        assert python == fast, page
        assert [r.insert_at for r in python.references] == [r.insert_at for r in fast.references], page
