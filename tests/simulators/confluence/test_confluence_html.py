"""Server-rendered HTML: vocabulary, meta tags, escaping, headers, gzip (reference §3, §4.4)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from gateway.testing.confluence import STORE, Store, create_confluence_app
from tests.simulators.confluence.confluence_helpers import CTX, basic

Client = TestClient[Any, Any]
XSS = "<img src=x onerror=alert(1)>.docx"


def meta(html: str, name: str) -> str:
    match = re.search(rf'<meta name="{re.escape(name)}" content="([^"]*)">', html)
    assert match is not None, name
    return match.group(1)


async def test_page_view_meta_and_vocabulary(client: Client, store: Store, welcome: int) -> None:
    response = await client.get(f"{CTX}/display/DEMO/Welcome", headers=basic("alice"))
    assert response.status == 200 and response.headers["Content-Type"] == "text/html; charset=UTF-8"
    html = await response.text()
    alice = store.users["alice"]
    assert meta(html, "ajs-page-id") == str(welcome) and meta(html, "ajs-space-key") == "DEMO"
    assert meta(html, "ajs-remote-user") == "alice" and meta(html, "ajs-remote-user-key") == alice.user_key
    assert meta(html, "ajs-current-user-fullname") == "Alice Example"
    assert meta(html, "ajs-context-path") == CTX and meta(html, "ajs-user-locale") == "en_GB"
    assert meta(html, "ajs-base-url") == f"http://{client.host}:{client.port}{CTX}"
    assert meta(html, "ajs-atl-token") and meta(html, "ajs-version-number")
    assert '<meta id="atlassian-token" name="atlassian-token"' in html
    assert "var contextPath = " in html and "WRM._unparsedData" in html
    assert 'id="action-menu-link"' in html
    assert (
        f'<a id="view-attachments-link" href="{CTX}/pages/viewpageattachments.action?pageId={welcome}"'
        in html
    )
    assert 'class="plugin_attachments_container"' in html and 'class="attachments aui"' in html
    assert 'class="plugin_attachments_macro_render_param" name="pageId"' in html
    att = store.attachment_by_name(welcome, "report.docx")
    assert att is not None
    assert f'<tr class="attachment-row" id="attachment-{att.id}" data-attachment-id="{att.id}"' in html
    assert f'class="attachment-summary attachment-summary-{att.id} hidden"' in html
    assert f'<a class="filename" href="{CTX}/download/attachments/{welcome}/report.docx?api=v2"' in html
    assert (
        f'class="confluence-embedded-file" href="{CTX}/download/attachments/{welcome}/report.docx?version=1'
        in html
    )
    assert f'data-linked-resource-id="{att.id}"' in html and 'data-linked-resource-type="attachment"' in html
    assert (
        'img class="confluence-embedded-image"' in html
        and 'data-linked-resource-default-alias="diagram.png"' in html
    )
    bob = await (
        await client.get(f"{CTX}/pages/viewpage.action?pageId={welcome}", headers=basic("bob"))
    ).text()
    assert meta(bob, "ajs-user-locale") == "de_DE" and 'id="editPageLink"' not in bob


async def test_security_headers_and_gzip(client: Client, welcome: int) -> None:
    response = await client.get(
        f"{CTX}/pages/viewpage.action?pageId={welcome}",
        headers={**basic("alice"), "Accept-Encoding": "gzip, deflate"},
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert "<html" in await response.text()  # aiohttp inflates transparently
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy-Report-Only" not in response.headers
    plain = await client.get(
        f"{CTX}/pages/viewpage.action?pageId={welcome}",
        headers={**basic("alice"), "Accept-Encoding": "identity"},
    )
    assert "Content-Encoding" not in plain.headers
    download = await client.get(
        f"{CTX}/download/attachments/{welcome}/report.docx",
        headers={**basic("alice"), "Accept-Encoding": "gzip"},
    )
    assert "Content-Encoding" not in download.headers


async def test_attachments_page_and_upload_form(client: Client, welcome: int) -> None:
    html = await (
        await client.get(f"{CTX}/pages/viewpageattachments.action?pageId={welcome}", headers=basic("alice"))
    ).text()
    assert "Attach more files" in html and "Upload file" in html
    assert f'action="{CTX}/pages/doattachfile.action?pageId={welcome}"' in html
    assert 'name="atl_token"' in html and 'name="file_0"' in html and 'name="comment_0"' in html
    assert 'class="attachments aui"' in html
    bob = await (
        await client.get(f"{CTX}/pages/viewpageattachments.action?pageId={welcome}", headers=basic("bob"))
    ).text()
    assert "doattachfile.action" not in bob and 'class="attachments aui"' in bob


async def test_rendermacro_fragment(client: Client, welcome: int) -> None:
    response = await client.get(
        f"{CTX}/pages/plugins/attachments/rendermacro.action?pageId={welcome}"
        "&sortBy=date&upload=true&outputType=display",
        headers=basic("bob"),
    )
    html = await response.text()
    assert response.status == 200 and html.lstrip().startswith('<div class="plugin_attachments_container">')
    assert "<html" not in html and 'class="attachment-row"' in html


async def test_preview_markers(client: Client, store: Store, welcome: int) -> None:
    att = store.attachment_by_name(welcome, "report.docx")
    assert att is not None
    url = f"{CTX}/pages/viewpage.action?pageId={welcome}&preview=%2F{welcome}%2F{att.id}%2Freport.docx"
    html = await (await client.get(url, headers=basic("bob"))).text()
    assert 'id="cp-header"' in html
    download = f"{CTX}/download/attachments/{welcome}/report.docx?version=1"
    assert f'<a id="cp-control-panel-download" class="cp-icon" href="{download}' in html
    assert (
        'id="cp-header"'
        not in await (
            await client.get(f"{CTX}/pages/viewpage.action?pageId={welcome}", headers=basic("bob"))
        ).text()
    )


async def test_names_and_titles_are_escaped(client: Client, store: Store, welcome: int) -> None:
    att = store.add_attachment(welcome, XSS, b"x", "application/msword", by="alice")
    page = store.pages[welcome]
    page.title = "<script>alert(2)</script>"
    page.embedded.append(XSS)
    for url in (
        f"{CTX}/pages/viewpage.action?pageId={welcome}",
        f"{CTX}/pages/viewpageattachments.action?pageId={welcome}&preview=%2F{welcome}%2F{att.id}%2Fx",
        f"{CTX}/pages/plugins/attachments/rendermacro.action?pageId={welcome}",
    ):
        html = await (await client.get(url, headers=basic("alice"))).text()
        assert "<img src=x" not in html and "<script>alert" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;.docx" in html


async def test_anonymous_and_hidden_pages(client: Client, store: Store, welcome: int) -> None:
    anonymous = await client.get(f"{CTX}/display/DEMO/Welcome", allow_redirects=False)
    assert anonymous.status == 302 and anonymous.headers["Location"].startswith(
        f"{CTX}/login.action?os_destination="
    )
    root = await client.get(f"{CTX}/", allow_redirects=False)
    assert root.headers["Location"] == f"{CTX}/index.action"
    dash = await client.get(f"{CTX}/index.action", allow_redirects=False)
    assert dash.status == 302
    store.restrict(welcome, "read", users=("alice",))
    hidden = await client.get(f"{CTX}/pages/viewpage.action?pageId={welcome}", headers=basic("bob"))
    assert hidden.status == 404 and "Page Not Found" in await hidden.text()
    dashboard = await (await client.get(f"{CTX}/index.action", headers=basic("alice"))).text()
    assert "/display/DEMO/Welcome" in dashboard


async def test_display_url_with_plus(client: Client, store: Store) -> None:
    page = store.add_page("DEMO", "Quarterly Plan + Budget", body="Numbers")
    html = await (
        await client.get(f"{CTX}/display/DEMO/Quarterly+Plan+%2B+Budget", headers=basic("bob"))
    ).text()
    assert meta(html, "ajs-page-id") == str(page.id)
    home = await client.get(f"{CTX}/display/DEMO", headers=basic("bob"), allow_redirects=False)
    assert home.headers["Location"] == f"{CTX}/display/DEMO/Welcome"


async def test_root_context_path(aiohttp_client: Any) -> None:
    client = await aiohttp_client(create_confluence_app(context_path=""))
    welcome = client.server.app[STORE].page_by_title("DEMO", "Welcome").id
    html = await (await client.get(f"/pages/viewpage.action?pageId={welcome}", headers=basic("alice"))).text()
    assert meta(html, "ajs-context-path") == ""
    assert f'href="/download/attachments/{welcome}/report.docx?api=v2"' in html
    assert (await client.get("/status")).status == 200


async def test_websocket_echo_stubs(client: Client) -> None:
    for path in (f"{CTX}/synchrony-proxy/v1/data", "/synchrony/v1/bayeux-sync1"):
        async with client.ws_connect(path) as ws:
            await ws.send_str("ping")
            message = await ws.receive()
            assert message.type == WSMsgType.TEXT and message.data == "ping"


async def test_state_survives_restart(aiohttp_client: Any, tmp_path: Path) -> None:
    first = await aiohttp_client(create_confluence_app(data_dir=tmp_path))
    store = first.server.app[STORE]
    welcome = store.page_by_title("DEMO", "Welcome").id
    att = store.attachment_by_name(welcome, "report.docx")
    store.add_version(att, b"second version", att.current.media_type, by="alice")
    await first.close()
    second = await aiohttp_client(create_confluence_app(data_dir=tmp_path))
    again = second.server.app[STORE]
    assert again.users["alice"].user_key == store.users["alice"].user_key
    response = await second.get(f"{CTX}/download/attachments/{welcome}/report.docx", headers=basic("bob"))
    assert await response.read() == b"second version"
    old = await second.get(
        f"{CTX}/download/attachments/{welcome}/report.docx?version=1", headers=basic("bob")
    )
    assert (await old.read()).startswith(b"PK")


async def test_version_10_reports_a_script_policy(client: Client, app: Any, welcome: int) -> None:
    from gateway.testing.confluence import CONFIG

    app[CONFIG].version_number = "10.0.1"
    response = await client.get(f"{CTX}/pages/viewpage.action?pageId={welcome}", headers=basic("alice"))
    assert "script-src" in response.headers["Content-Security-Policy-Report-Only"]
    assert meta(await response.text(), "ajs-version-number") == "10.0.1"


async def test_unknown_paths_are_plain_404_with_headers(client: Client) -> None:
    response = await client.get(f"{CTX}/no/such/page.action")
    assert response.status == 404 and response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-AUSERNAME"] == "anonymous"
