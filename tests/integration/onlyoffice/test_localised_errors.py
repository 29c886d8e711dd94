"""The gateway's error pages speak the user's language like its other pages: the link's `lang`
(the Confluence locale) first, else Accept-Language, else English."""

from __future__ import annotations

import html
import re

import aiohttp
import pytest

from gateway.onlyoffice.i18n import messages
from gateway.testing.stack import Stack
from tests.integration.onlyoffice.oo_stack_helpers import attachment_id, basic, get, welcome

SERVLET = "/plugins/servlet/onlyoffice"

_NO_ID = ("error.no_document", "error.no_attachment_id")
CASES = [  # user, path and query under the servlet ({legacy}: legacy.doc's id), status, heading, message
    pytest.param("alice", "doceditor?attachmentId=999999", 404, "error.not_found", "error.not_found_detail",
                 id="unknown attachment"),
    pytest.param("alice", "doceditor?attachmentId=x1", 400, *_NO_ID, id="editor bad id"),
    pytest.param("alice", "convert?attachmentId=abc", 400, *_NO_ID, id="convert bad id"),
    pytest.param("bob", "download-as?attachmentId=-1", 400, *_NO_ID, id="download-as bad id"),
    pytest.param("alice", "create?pageId=12ab", 400, "error.no_page", "error.no_page_id",
                 id="create bad page"),
    pytest.param("bob", "convert?attachmentId={legacy}", 403, "error.not_available", "error.convert_disabled",
                 id="viewer may not convert"),
    pytest.param("bob", "download-as/file?token=forged", 403, "error.link_invalid", "error.link_expired",
                 id="forged download link"),
]  # fmt: skip

# (Accept-Language, `lang` query, the page's language)
LANGUAGE_CHOICES = [("de-DE,de;q=0.9", None, "de"), ("de", "fr_FR", "fr"), (None, None, "en")]


def _page(body: bytes) -> tuple[str, str, str, str]:
    """<html lang>, <title>, <h1> and the first paragraph of an error page, unescaped."""
    text = body.decode()
    found = re.search(
        r'<html lang="([^"]+)">.*<title>(.*?) - ONLYOFFICE</title>.*<h1>(.*?)</h1>\s*<p>(.*?)</p>', text, re.S
    )
    assert found is not None, text[:500]
    lang, title, heading, message = found.groups()
    return lang, html.unescape(title), html.unescape(heading), html.unescape(message)


@pytest.mark.parametrize(("user", "path", "status", "heading", "message"), CASES)
async def test_error_pages_in_the_requests_language(
    stack: Stack, user: str, path: str, status: int, heading: str, message: str
) -> None:
    url = f"{stack.public_url}{SERVLET}/{path.format(legacy=attachment_id(stack, 'legacy.doc'))}"
    seen: dict[str, str] = {}
    for accept, lang, language in LANGUAGE_CHOICES:
        got, headers, body = await get(
            url + (f"&lang={lang}" if lang else ""),
            user,
            headers={"Accept-Language": accept} if accept else {},
        )
        assert got == status, (url, language)
        assert headers["Content-Type"].startswith("text/html"), (url, language)
        page_lang, title, shown_heading, shown_message = _page(body)
        assert page_lang == language, (url, language)
        assert shown_heading == title == messages().text(language, heading), (url, language)
        assert shown_message == messages().text(language, message), (url, language)
        seen[language] = shown_heading
    assert len(set(seen.values())) == 3, seen  # three languages, three different headings


async def test_english_stays_the_default_and_the_texts_are_unchanged(stack: Stack) -> None:
    servlet = f"{stack.public_url}{SERVLET}"
    for url, heading, message in [
        (
            f"{servlet}/doceditor?attachmentId=999999",
            "Document not found",
            "This attachment does not exist, or you do not have permission to see it.",
        ),
        (f"{servlet}/create?pageId=x", "No page chosen", "The link has no valid pageId."),
        # A language the gateway does not offer, asked either way: English.
        (
            f"{servlet}/convert?attachmentId=abc&lang=pt_BR",
            "No document chosen",
            "The link has no valid attachmentId.",
        ),
    ]:
        _, _, body = await get(url, "alice", headers={"Accept-Language": "pt-BR, ja;q=0.5"})
        assert _page(body) == ("en", heading, heading, message), url


async def test_a_refused_form_post_is_in_the_forms_language(stack: Stack) -> None:
    """The New document form posts to `create?lang=...`; a post that is not a form is refused in it."""
    url = f"{stack.public_url}{SERVLET}/create?pageId={welcome(stack).id}&lang=fr_FR"
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
        session.post(
            url, data=b"{}", headers={**basic("alice"), "Content-Type": "application/json"}
        ) as answer,
    ):
        assert answer.status == 400
        body = await answer.read()
    assert _page(body) == (
        "fr",
        "Pas un formulaire",
        "Pas un formulaire",
        "Utilisez le formulaire « Nouveau document ».",
    )
