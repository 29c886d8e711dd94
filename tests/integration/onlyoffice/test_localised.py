"""The gateway speaks the user's language: links in Confluence pages by the Confluence locale
(bob's is de_DE), the gateway's own pages by the link's `lang`, else Accept-Language, else English."""

from __future__ import annotations

import html
import json
import re

import pytest

from gateway.onlyoffice.links.inject import AttachmentLinks, inject_links, scan_page
from gateway.onlyoffice.links.inject.lol import available
from gateway.testing.stack import Stack
from tests.integration.onlyoffice.oo_stack_helpers import attachment_id, get, welcome

EVIL = "<script>alert(1)</script>\"'&.docx"
_MESSAGES = re.compile(rb'<script type="application/json" id="onlyoffice-messages">(.*?)</script>', re.S)


def _attachments(stack: Stack) -> str:
    return f"{stack.public_url}/pages/viewpageattachments.action?pageId={welcome(stack).id}"


def _labels(body: bytes) -> set[str]:
    return {
        html.unescape(t)
        for t in re.findall(r"data-onlyoffice-action=\"\w+\"[^>]*>([^<]+)</a>", body.decode())
    }


async def test_bob_gets_german_links_from_the_server(stack: Stack) -> None:
    status, _, body = await get(_attachments(stack), "bob")
    assert status == 200 and b'name="ajs-user-locale" content="de_DE"' in body
    assert _labels(body) == {"In ONLYOFFICE anzeigen", "Herunterladen als"}  # view only
    report = attachment_id(stack, "report.docx")
    assert b'title="report.docx in ONLYOFFICE anzeigen">In ONLYOFFICE anzeigen</a>' in body
    assert f"doceditor?attachmentId={report}&amp;lang=de_DE".encode() in body
    # The script is given the German texts for what it builds itself (menus, re-rendered tables).
    given = re.search(rb'data-onlyoffice-messages="([^"]*)"', body)
    assert given is not None
    assert json.loads(html.unescape(given.group(1).decode()))["link.edit"] == "In ONLYOFFICE bearbeiten"
    _, _, alice = await get(_attachments(stack), "alice")  # en_GB
    assert {"Edit in ONLYOFFICE", "Convert using ONLYOFFICE", "Download As"} <= _labels(alice)


@pytest.mark.skipif(not available(), reason="python-lolhtml is not installed")
async def test_both_scanners_give_the_same_german_page(stack: Stack) -> None:
    """Bob's page as Confluence sends it, injected with each backend: the very same bytes."""
    status, _, page = await get(
        f"{stack.confluence_url}/pages/viewpageattachments.action?pageId={welcome(stack).id}", "bob"
    )
    assert status == 200
    links = {
        i: AttachmentLinks(mode="view", convert="docx", download=True) for i in scan_page(page).attachment_ids
    }
    out = {
        backend: inject_links(
            page, links, context_path="/confluence", script_url="/s.js", scan=scan_page(page, backend=backend)
        )
        for backend in ("python", "lolhtml")
    }
    assert out["python"] == out["lolhtml"]
    assert b">In ONLYOFFICE anzeigen</a>" in out["python"] and b"in DOCX konvertieren" in out["python"]


async def test_an_unknown_locale_falls_back_to_english(stack: Stack) -> None:
    stack.store.users["bob"].locale = "pt_BR"
    status, _, body = await get(_attachments(stack), "bob")
    assert status == 200 and b'content="pt_BR"' in body
    assert _labels(body) == {"View in ONLYOFFICE", "Download As"}
    assert b"&amp;lang=pt_BR" in body  # the editor still opens in Portuguese


def _page_language(body: bytes) -> str:
    found = re.search(rb'<html lang="([^"]+)">', body)
    assert found is not None
    return found.group(1).decode()


async def test_the_gateways_pages_by_lang_and_by_accept_language(stack: Stack) -> None:
    legacy, report = attachment_id(stack, "legacy.doc"), attachment_id(stack, "report.docx")
    servlet = f"{stack.public_url}/plugins/servlet/onlyoffice"
    cases = [
        # (url, user, Accept-Language, language, a text of the page)
        (
            f"{servlet}/convert?attachmentId={legacy}&lang=de_DE",
            "alice",
            "en",
            "de",
            "legacy.doc wird in DOCX konvertiert…",
        ),
        (
            f"{servlet}/convert?attachmentId={legacy}",
            "alice",
            "fr-FR,fr;q=0.9",
            "fr",
            "Conversion de legacy.doc en DOCX…",
        ),
        (f"{servlet}/download-as?attachmentId={report}&lang=ru_RU", "bob", "de", "ru", "Скачать как"),
        (f"{servlet}/download-as?attachmentId={report}", "bob", "es-ES", "es", "Descargar como"),
        (f"{servlet}/create?pageId={welcome(stack).id}&lang=zh_CN", "alice", "", "zh-CN", "新建文档"),
        (f"{servlet}/create?pageId={welcome(stack).id}", "alice", "pt-BR, it;q=0.8", "it", "Nuovo documento"),
        (f"{servlet}/doceditor?attachmentId={report}&lang=de_DE", "alice", "fr", "de", "Kopie speichern"),
        (f"{servlet}/doceditor?attachmentId={report}", "alice", "zh-Hans-CN", "zh-CN", "保存副本"),
        (f"{servlet}/doceditor?attachmentId=999999&lang=de_DE", "alice", "", "de", "Dokument nicht gefunden"),
        (
            f"{servlet}/convert?attachmentId={legacy}&lang=xx_YY",
            "alice",
            "de",
            "en",
            "Converting legacy.doc to DOCX…",
        ),
    ]
    for url, user, accept, language, expected in cases:
        status, _, body = await get(url, user, headers={"Accept-Language": accept} if accept else {})
        assert status in (200, 404), url
        assert _page_language(body) == language, url
        assert expected in html.unescape(body.decode()), (url, expected)
    # The scripts' texts come in the same language (messages.js fills them).
    _, _, body = await get(
        f"{servlet}/download-as?attachmentId={report}", "bob", headers={"Accept-Language": "de"}
    )
    found = _MESSAGES.search(body)
    assert found is not None
    assert (
        json.loads(found.group(1))["download.failed"]
        == "Das Dokument konnte nicht heruntergeladen werden: {error}"
    )


async def test_translated_pages_still_escape_a_hostile_name(stack: Stack) -> None:
    evil = stack.store.add_attachment(
        welcome(stack).id, EVIL, b"PK\x03\x04not really a docx", "application/octet-stream", by="admin"
    ).id
    servlet = f"{stack.public_url}/plugins/servlet/onlyoffice"
    for lang in ("de_DE", "zh_CN", "fr_FR"):
        status, _, body = await get(f"{servlet}/download-as?attachmentId={evil}&lang={lang}", "bob")
        assert status == 200, lang
        assert b"<script>alert" not in body, lang
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&amp;.docx" in body, lang
    _, _, page = await get(_attachments(stack), "bob")
    assert b"<script>alert" not in page
    titles = {html.unescape(t) for t in re.findall(r' title="([^"]*)"', page.decode())}
    assert f"{EVIL} in ONLYOFFICE anzeigen" in titles
