"""The "New document" control in the attachments page's upload area: placement, escaping,
idempotence, untouched bytes, and both scanners alike."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.onlyoffice.links.inject import create_markup, inject_links, scan_page
from gateway.onlyoffice.links.inject import lol as lol_module
from tests.unit.inject.inject_helpers import fixture_page

CTX = "/confluence"
UPLOAD = '<div class="plugin_attachments_upload_container">'
PAGE = (
    "<html><head><title>Attachments</title></head><body>"
    '<div class="plugin_attachments_container"><table class="attachments"></table></div>'
    f"{UPLOAD}<h3>Attach more files</h3><form></form></div>"
    '<div class="plugin_attachments_upload_container">second</div>'
    "</body></html>"
)
CONTROL = (
    '<span class="onlyoffice-create" data-onlyoffice="create"><a class="aui-button onlyoffice-filecreate"'
    ' href="/confluence/plugins/servlet/onlyoffice/create?pageId=42" data-page-id="42"'
    ' title="Create new file">New document</a></span>'
)


def inject(page: Any, backend: Any, create_page: str | None = "42", context_path: str = CTX) -> Any:
    scan = scan_page(page, backend=backend)
    return inject_links(
        page, {}, context_path=context_path, script_url=None, scan=scan, create_page=create_page
    )


@pytest.mark.parametrize("as_text", [False, True])
def test_the_control_goes_first_into_the_first_upload_area(backend: Any, as_text: bool) -> None:
    page: Any = PAGE if as_text else PAGE.encode()
    out = inject(page, backend)
    text = out if as_text else out.decode()
    assert text == PAGE.replace(UPLOAD, UPLOAD + CONTROL, 1)
    assert text.count("onlyoffice-create") == 1


def test_idempotent_and_marked_as_done(backend: Any) -> None:
    once = inject(PAGE.encode(), backend)
    scan = scan_page(once, backend=backend)
    assert scan.has_create_control
    assert inject(once, backend) is once


def test_nothing_without_a_page_an_upload_area_or_a_numeric_id(backend: Any) -> None:
    page = PAGE.encode()
    assert inject(page, backend, create_page=None) is page
    for bad in ("", "4x2", "\u0664\u0662", "42<script>"):
        assert inject(page, backend, create_page=bad) is page
    without = PAGE.replace("plugin_attachments_upload_container", "something_else").encode()
    assert scan_page(without, backend=backend).upload_at is None
    assert inject(without, backend) is without
    marked = PAGE.replace(UPLOAD, '<div class="plugin_attachments_upload_container" data-onlyoffice="x">', 1)
    # A marked upload area is ours, not Confluence's: the next one gets the control.
    assert inject(marked, backend).count("onlyoffice-create") == 1
    assert 'data-onlyoffice="x">' + CONTROL not in inject(marked, backend)


def test_context_path_is_escaped(backend: Any) -> None:
    out = inject(PAGE, backend, context_path='/c"><script>x</script>')
    assert "<script>x" not in out
    assert 'href="/c%22%3E%3Cscript%3Ex%3C/script%3E/plugins/servlet/onlyoffice/create?pageId=42"' in out
    assert create_markup("", "7").count('href="/plugins/servlet/onlyoffice/create?pageId=7"') == 1


def test_the_fixture_pages_get_it_where_they_have_an_upload_area(backend: Any) -> None:
    for name in ("attachments-page.html", "page-view.html"):
        page = fixture_page(name)
        out = inject(page, backend)
        assert out.count(b'data-onlyoffice="create"') == 1
        # Those pages' user has the locale en_GB: English, and the link passes the locale on.
        control = CONTROL.replace("pageId=42", "pageId=42&amp;lang=en_GB")
        assert out.replace(control.encode(), b"") == page
    plain = fixture_page("plain-page.html")
    assert inject(plain, backend) is plain


@pytest.mark.parametrize("name", ["attachments-page.html", "page-view.html"])
def test_both_backends_place_it_identically(name: str) -> None:
    if not lol_module.available():
        pytest.skip("no lolhtml")
    page = fixture_page(name)
    for document in (page, page.decode("utf-8"), PAGE):
        python, lolhtml = scan_page(document, backend="python"), scan_page(document, backend="lolhtml")
        assert python == lolhtml and python.upload_at is not None
        assert inject(document, "python") == inject(document, "lolhtml")
