"""The Download As page (GET): who gets it, what it offers, and that file names stay text."""

from __future__ import annotations

from html.parser import HTMLParser

import aiohttp
from yarl import URL

from gateway.testing.stack import Stack, running_stack
from gateway.testing.stack import demo_login as login
from tests.integration.download_as.dlas_helpers import page

EVIL = '<img src=x onerror=alert(1)>"&.docx'


class _Form(HTMLParser):
    """The page's parsed markup: start tags with attributes, and the options of the select."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.options: list[str] = []
        self.selected: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "option":
            self.options.append(found["value"] or "")
            if "selected" in found:
                self.selected = found["value"]


def _parse(html: str) -> _Form:
    form = _Form()
    form.feed(html)
    return form


async def test_alice_gets_the_form_with_the_formats_of_the_convert_list(stack: Stack) -> None:
    report = stack.welcome_attachment_id("report.docx")
    async with (
        aiohttp.ClientSession(headers=login("alice")) as session,
        session.get(f"{stack.public_url}/plugins/servlet/onlyoffice/download-as?attachmentId={report}") as r,
    ):
        assert r.status == 200
        assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        assert r.headers["Cache-Control"] == "no-store"
        form = _parse(await r.text())
    name = next(attrs for tag, attrs in form.tags if tag == "input" and attrs.get("name") == "fileName")
    assert name["value"] == "report"
    assert form.selected == "pdf"
    assert {"pdf", "odt", "txt", "rtf", "pdfa", "png"} <= set(form.options)
    assert "docx" not in form.options  # not the source's own type


async def test_bob_may_use_it_for_a_file_he_may_only_view(stack: Stack) -> None:
    legacy = stack.welcome_attachment_id("legacy.doc")
    async with aiohttp.ClientSession(headers=login("bob")) as session:
        status, html = await page(session, stack, legacy)
    assert status == 200
    form = _parse(html)
    assert form.selected == "docx" and "pdf" in form.options


async def test_a_hostile_file_name_stays_text(stack: Stack) -> None:
    evil = stack.store.add_attachment(
        stack.welcome_page_id(),
        EVIL,
        stack.store.data(stack.store.attachments[stack.welcome_attachment_id("report.docx")]),
        "application/octet-stream",
        by="admin",
    )
    async with aiohttp.ClientSession(headers=login("alice")) as session:
        status, html = await page(session, stack, evil.id)
    assert status == 200
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    form = _parse(html)
    assert not any(tag == "img" for tag, _ in form.tags)
    name = next(attrs for tag, attrs in form.tags if tag == "input" and attrs.get("name") == "fileName")
    assert name["value"] == EVIL[: -len(".docx")]  # escaped once: the field shows the real stem


async def test_anonymous_goes_to_login_others_get_404(stack: Stack) -> None:
    report = stack.welcome_attachment_id("report.docx")
    async with aiohttp.ClientSession() as anonymous:
        status, _ = await page(anonymous, stack, report)
        async with anonymous.get(
            f"{stack.public_url}/plugins/servlet/onlyoffice/download-as?attachmentId={report}",
            allow_redirects=False,
        ) as response:
            location = URL(response.headers["Location"])
    assert status == 302
    assert location.path == "/confluence/login.action"
    assert (
        location.query["os_destination"] == f"/plugins/servlet/onlyoffice/download-as?attachmentId={report}"
    )

    secret = stack.store.add_page("DEMO", "Secret", body="hush", by="admin")
    stack.store.restrict(secret.id, "read", users=("admin",))
    hidden = stack.store.add_attachment(secret.id, "plan.docx", b"PK", "application/octet-stream", by="admin")
    async with aiohttp.ClientSession(headers=login("bob")) as bob:
        assert (await page(bob, stack, hidden.id))[0] == 404
        assert (await page(bob, stack, 999999))[0] == 404
        assert (await page(bob, stack, "12ab"))[0] == 400
        diagram = stack.welcome_attachment_id("diagram.png")
        status, html = await page(bob, stack, diagram)  # no format: nothing to convert to
        assert status == 403 and "Traceback" not in html


async def test_rules_without_download_refuse_the_page() -> None:
    rules = [{"actions": ["edit", "view", "convert", "create"]}]
    async with running_stack(settings={"rules": rules}) as stack:
        report = stack.welcome_attachment_id("report.docx")
        async with aiohttp.ClientSession(headers=login("alice")) as session:
            status, html = await page(session, stack, report)
    assert status == 403
    assert "Download As is not enabled for this document here." in html
