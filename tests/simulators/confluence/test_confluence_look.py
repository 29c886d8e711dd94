"""The page frame the simulator draws around its content, in Confluence 7.x/8.x's vocabulary.

The AUI header, the space sidebar with its page tree, `#title-heading` with `#breadcrumbs`, the
page metadata; the stylesheet that gives them Confluence's look is a same-origin file. The
attachments markup itself is held by test_confluence_html.py (reference §3).
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient

from gateway.testing.confluence import Store
from tests.simulators.confluence.confluence_helpers import CTX, basic

Client = TestClient[Any, Any]


def _between(html: str, start: str, end: str) -> str:
    return html[html.index(start) : html.index(end, html.index(start))]


async def test_the_page_view_has_confluences_frame(client: Client, store: Store, welcome: int) -> None:
    child = store.add_page("DEMO", "Child & <b>notes</b>", parent_id=welcome, by="alice")
    hidden = store.add_page("DEMO", "Admins only")
    store.restrict(hidden.id, "read", users=("admin",))
    html = await (
        await client.get(f"{CTX}/pages/viewpage.action?pageId={child.id}", headers=basic("alice"))
    ).text()

    header = _between(html, '<header id="header" role="banner">', "</header>")
    assert '<nav class="aui-header aui-dropdown2-trigger-group"' in header
    assert '<span class="aui-header-logo-text">Confluence</span>' in header
    assert 'id="user-menu-link"' in header and 'data-username="alice"' in header
    assert f'<a id="logout-link" href="{CTX}/logout.action">' in header

    sidebar = _between(html, '<div class="ia-splitter-left">', '<div class="ia-splitter-right">')
    assert 'class="acs-side-bar ia-scrollable-section" data-space-key="DEMO"' in sidebar
    assert f'<a href="{CTX}/display/DEMO/Welcome">Welcome</a>' in sidebar
    assert "Admins only" not in sidebar and 'id="space-tools-menu-trigger"' in sidebar

    heading = _between(html, '<div id="title-heading" class="pagetitle with-breadcrumbs">', "</h1>")
    crumbs = re.findall(r"<li[^>]*><span><a href=\"([^\"]+)\">([^<]*)</a>", heading)
    assert crumbs == [
        (f"{CTX}/collector/pages.action?key=DEMO", "Pages"),
        (f"{CTX}/display/DEMO/Welcome", "Welcome"),
    ]
    assert '<h1 id="title-text" class="with-breadcrumbs">' in heading
    assert "Child &amp; &lt;b&gt;notes&lt;/b&gt;</a>" in heading

    assert html.index('class="page-metadata"') < html.index('<div id="main-content" class="wiki-content">')
    assert 'Created by <span class="author">' in html and ">Alice Example</a>" in html
    assert f'<link rel="stylesheet" href="{CTX}/s/8804/_/simulator/confluence.css" media="all">' in html


async def test_pages_without_a_space_have_no_sidebar(client: Client) -> None:
    for url in (f"{CTX}/index.action", f"{CTX}/login.action"):
        html = await (await client.get(url, headers=basic("bob"))).text()
        assert '<nav class="aui-header' in html and "acs-side-bar" not in html
        assert 'class="aui-page-panel no-sidebar"' in html


async def test_the_stylesheet_and_nothing_else_is_served(client: Client) -> None:
    css = await client.get(f"{CTX}/s/8804/_/simulator/confluence.css")
    assert css.status == 200 and css.content_type == "text/css"
    assert "#header .aui-header" in await css.text()
    for name in ("seed.py", "..%2Fhtml.py", "menus.css"):
        assert (await client.get(f"{CTX}/s/8804/_/simulator/{name}")).status == 404
