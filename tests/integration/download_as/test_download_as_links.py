""" "Download As" links in Confluence's pages: wherever the format has targets and the user may view."""

from __future__ import annotations

import re

import aiohttp

from gateway.testing.stack import Stack, running_stack
from gateway.testing.stack import demo_login as login
from tests.integration.download_as.dlas_helpers import PATH, download_as, page_token

_LINK = re.compile(
    r'<a class="onlyoffice-download-as" href="([^"]+)" target="_blank" rel="noopener"'
    r' data-attachment-id="(\d+)" data-onlyoffice-action="download"[^>]*>(?:Download As|Herunterladen als)</a>'
)
# The links pass the user's Confluence locale on: the Download As page speaks it (bob: German).
_LOCALES = {"alice": "en_GB", "bob": "de_DE"}


async def _links(stack: Stack, user: str | None, url: str) -> tuple[int, dict[str, str]]:
    async with (
        aiohttp.ClientSession(headers=login(user)) as session,
        session.get(url, allow_redirects=False) as response,
    ):
        html = await response.text()
    return response.status, {attachment: href for href, attachment in _LINK.findall(html)}


async def test_alice_and_bob_get_the_link_where_the_format_has_targets(stack: Stack) -> None:
    page = stack.welcome_page_id()
    pages = (
        f"{stack.public_url}/pages/viewpageattachments.action?pageId={page}",
        f"{stack.public_url}/display/DEMO/Welcome",
        f"{stack.public_url}/pages/plugins/attachments/rendermacro.action?pageId={page}&sortBy=date",
    )
    for user in ("alice", "bob"):
        for url in pages:
            status, links = await _links(stack, user, url)
            assert status == 200, (user, url)
            for name in ("report.docx", "budget.xlsx", "slides.pptx", "legacy.doc", "notes.odt", "form.pdf"):
                attachment = str(stack.welcome_attachment_id(name))
                # A re-rendered table (rendermacro.action) is a fragment without ajs-user-locale.
                lang = "" if "rendermacro" in url else f"&amp;lang={_LOCALES[user]}"
                expected = f"/confluence{PATH}?attachmentId={attachment}{lang}"
                assert links.get(attachment) == expected, (
                    user,
                    url,
                    name,
                )
            assert str(stack.welcome_attachment_id("diagram.png")) not in links  # no format, no targets


async def test_anonymous_gets_no_link_and_no_decision(stack: Stack) -> None:
    page = stack.welcome_page_id()
    status, links = await _links(
        stack, None, f"{stack.public_url}/pages/viewpageattachments.action?pageId={page}"
    )
    assert links == {} and status in (302, 401, 403, 404)
    report = stack.welcome_attachment_id("report.docx")
    async with (
        aiohttp.ClientSession() as anonymous,
        anonymous.get(
            f"{stack.public_url}/plugins/servlet/onlyoffice/access?attachmentId={report}"
        ) as response,
    ):
        assert response.status == 200 and await response.json() == {}


async def test_a_rule_for_some_extensions_leaves_the_link_to_those() -> None:
    rules = [{"extensions": ["docx"], "actions": ["view", "download"]}, {"actions": ["edit", "view"]}]
    async with running_stack(settings={"rules": rules}) as stack:
        url = f"{stack.public_url}/pages/viewpageattachments.action?pageId={stack.welcome_page_id()}"
        _, links = await _links(stack, "bob", url)
        report = str(stack.welcome_attachment_id("report.docx"))
        assert set(links) == {report}


async def test_the_document_server_under_the_gateway_needs_no_browser_route() -> None:
    """With the Document Server on an internal address (served under /ds-vpath), the download is
    still the gateway's own link, and the file is fetched by the gateway at the internal address."""
    async with running_stack(docserver_path="/ds-vpath") as stack:
        report = stack.welcome_attachment_id("report.docx")
        async with aiohttp.ClientSession(headers=login("alice")) as alice:
            token = await page_token(alice, stack, report)
            status, body = await download_as(alice, stack, report, token, target="txt", name="plain")
            assert status == 200 and str(body["url"]).startswith(stack.public_url + "/plugins/servlet/")
            async with alice.get(str(body["url"])) as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("text/plain")
                assert "Quarterly report" in (await response.read()).decode("utf-8-sig")
