"""Download As end to end: the converted bytes arrive through the gateway, under the user's name,
only for the user the link was made for, and only for a few minutes."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import aiohttp
import docx
import pypdf
from yarl import URL

from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.onlyoffice.signed_links import make_link_token, read_link_token
from gateway.testing.stack import Stack
from gateway.testing.stack import demo_login as login
from tests.integration.download_as.dlas_helpers import download_as, page_token

PDF = "application/pdf"
# attr-char of RFC 8187: what may stand unencoded in filename*.
_DISPOSITION = re.compile(
    r'attachment; filename="(?P<fallback>[ !#-\[\]-~]*)"; '
    r"filename\*=UTF-8''(?P<encoded>(?:[A-Za-z0-9!#$&+.^_`|~-]|%[0-9A-F]{2})*)"
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def _link(stack: Stack, user: str, name: str, target: str, file_name: str) -> str:
    attachment = stack.welcome_attachment_id(name)
    async with aiohttp.ClientSession(headers=login(user)) as session:
        token = await page_token(session, stack, attachment)
        status, body = await download_as(session, stack, attachment, token, target=target, name=file_name)
    assert status == 200 and body["done"] is True, body
    return str(body["url"])


async def _fetch(url: str | URL, user: str | None) -> tuple[int, dict[str, str], bytes]:
    async with (
        aiohttp.ClientSession(headers=login(user)) as session,
        session.get(url, allow_redirects=False) as response,
    ):
        return response.status, dict(response.headers), await response.read()


def _disposition(header: str) -> tuple[str, str]:
    """The ASCII fallback and the decoded UTF-8 name of an RFC 6266 attachment header."""
    found = _DISPOSITION.fullmatch(header)
    assert found is not None, header
    return found["fallback"], unquote(found["encoded"], encoding="utf-8", errors="strict")


async def test_alice_downloads_report_docx_as_pdf(stack: Stack) -> None:
    before = len(stack.store.attachments)
    url = await _link(stack, "alice", "report.docx", "pdf", "report")
    status, headers, body = await _fetch(url, "alice")
    assert status == 200
    assert headers["Content-Type"] == PDF
    assert (
        headers["Content-Disposition"] == "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    )
    assert headers["Cache-Control"] == "no-store"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)
    assert "Quarterly report" in text and "Revenue grew 12% this quarter." in text
    assert len(stack.store.attachments) == before  # nothing is stored in Confluence


async def test_bob_downloads_legacy_doc_as_docx(stack: Stack) -> None:
    url = await _link(stack, "bob", "legacy.doc", "docx", "memo.docx")  # the extension is not doubled
    status, headers, body = await _fetch(url, "bob")
    assert status == 200 and headers["Content-Type"] == DOCX
    assert _disposition(headers["Content-Disposition"]) == ("memo.docx", "memo.docx")
    paragraphs = [p.text for p in docx.Document(io.BytesIO(body)).paragraphs]
    assert "Legacy memo" in paragraphs and "This document was written with Word 97." in paragraphs


async def test_a_non_ascii_name_is_sent_as_utf8_with_an_ascii_fallback(stack: Stack) -> None:
    name = "Bericht \u2013 \u00dcbersicht 100% \u65e5\u672c; x=1 'q'"
    url = await _link(stack, "alice", "report.docx", "pdf", name)
    status, headers, _ = await _fetch(url, "alice")
    assert status == 200
    assert headers["Content-Disposition"].isascii()
    assert _disposition(headers["Content-Disposition"]) == (
        "Bericht _ _bersicht 100_ __; x=1 'q'.pdf",
        f"{name}.pdf",
    )


async def test_the_link_is_only_for_its_user_its_attachment_and_a_few_minutes(stack: Stack) -> None:
    url = URL(await _link(stack, "alice", "report.docx", "pdf", "report"))
    assert (await _fetch(url, "alice"))[0] == 200  # may be used again while it lives
    for user in ("bob", "admin", None):
        status, _, body = await _fetch(url, user)
        assert status == 403 and b"%PDF" not in body, user

    legacy = stack.welcome_attachment_id("legacy.doc")
    other = url.update_query(attachmentId=str(legacy))
    assert (await _fetch(other, "alice"))[0] == 403

    context = stack.gateway_app[ONLYOFFICE_CONTEXT]
    claims = read_link_token(url.query["token"], context.link_secret, action="download-as")
    expired = make_link_token(claims, context.link_secret, lifetime=-1)
    status, _, body = await _fetch(url.update_query(token=expired), "alice")
    assert status == 403 and b"expired" in body

    head, payload, signature = url.query["token"].split(".")
    forged = f"{head}.{payload[:-2]}xy.{signature}"
    assert (await _fetch(url.update_query(token=forged), "alice"))[0] == 403
    assert (await _fetch(url.update_query(token=""), "alice"))[0] == 403
