"""Links injected into Confluence pages through the gateway, per user, with the real simulators."""

from __future__ import annotations

import re

from gateway.testing.stack import Stack
from tests.integration.onlyoffice.oo_stack_helpers import (
    attachment_id,
    editor_config,
    get,
    link_actions,
    welcome,
)

OFFICE = ("report.docx", "budget.xlsx", "slides.pptx", "form.pdf")
CONVERTIBLE = ("legacy.doc", "notes.odt", "data.ods", "old.ppt")


def _pages(stack: Stack) -> dict[str, str]:
    page_id = welcome(stack).id
    ctx = stack.public_url
    return {
        "attachments": f"{ctx}/pages/viewpageattachments.action?pageId={page_id}",
        "view": f"{ctx}/display/DEMO/Welcome",
        "viewpage": f"{ctx}/pages/viewpage.action?pageId={page_id}",
        "rendermacro": (
            f"{ctx}/pages/plugins/attachments/rendermacro.action"
            f"?pageId={page_id}&sortBy=date&upload=true&outputType=display"
        ),
    }


async def test_alice_gets_edit_links_everywhere(stack: Stack) -> None:
    for name, url in _pages(stack).items():
        status, headers, body = await get(url, "alice")
        assert status == 200, name
        links = link_actions(body)
        for filename in OFFICE:
            assert "edit" in links.get(str(attachment_id(stack, filename)), set()), (name, filename)
        for filename in CONVERTIBLE:
            actions = links.get(str(attachment_id(stack, filename)), set())
            assert "edit" not in actions, (name, filename)
            assert "convert" in actions, (name, filename)
        assert str(attachment_id(stack, "diagram.png")) not in links, name
        assert "Cookie" in headers.get("Vary", ""), name


async def test_bob_gets_view_links_only(stack: Stack) -> None:
    for name, url in _pages(stack).items():
        status, _, body = await get(url, "bob")
        assert status == 200, name
        links = link_actions(body)
        for filename in OFFICE:
            assert links.get(str(attachment_id(stack, filename))) == {"view", "download"}, (name, filename)
        assert not any("edit" in actions for actions in links.values()), name
        assert not any("convert" in actions for actions in links.values()), name


async def test_anonymous_sees_no_links_and_is_sent_to_login(stack: Stack) -> None:
    for name, url in _pages(stack).items():
        status, headers, body = await get(url)
        assert link_actions(body) == {}, name
        assert b"onlyoffice" not in body.lower(), name
        if name == "rendermacro":
            assert status in (302, 401, 403, 404), status
        else:
            assert status == 302, (name, status)
            assert "/login.action" in headers["Location"], name


async def test_embedded_file_and_macro_both_get_links_on_the_page_view(stack: Stack) -> None:
    _, _, body = await get(_pages(stack)["view"], "alice")
    report = str(attachment_id(stack, "report.docx"))
    # report.docx is embedded and listed by the macro: a link group at each place.
    assert body.decode().count(f'data-attachment-id="{report}" data-onlyoffice-action="edit"') >= 2
    assert b"/plugins/servlet/onlyoffice/static/inject.js" in body


async def test_editor_links_carry_the_users_confluence_locale(stack: Stack) -> None:
    """Bob's Confluence speaks German (de_DE): his links open the editor in German, whatever the browser."""
    _, _, body = await get(_pages(stack)["attachments"], "bob", headers={"Accept-Language": "en-US"})
    report = attachment_id(stack, "report.docx")
    hrefs = re.findall(rb'href="([^"]*doceditor\?attachmentId=%d[^"]*)"' % report, body)
    assert hrefs and all(h.endswith(b"&amp;lang=de_DE") for h in hrefs)
    url = stack.gateway_origin + hrefs[0].decode().replace("&amp;", "&")
    _, _, page = await get(url, "bob", headers={"Accept-Language": "en-US"})
    assert editor_config(page)["editorConfig"]["lang"] == "de-DE"
