"""The doceditor page through the gateway: errors a person can act on, and a correct, signed config."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from yarl import URL

from gateway.docserver.jwt import JwtError, verify
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.testing.stack import Stack, running_stack
from tests.integration.onlyoffice.oo_stack_helpers import (
    attachment_id,
    editor_config,
    editor_url,
    get,
    welcome,
)


def _no_traceback(body: bytes) -> None:
    assert b"Traceback" not in body
    assert b'File "' not in body


async def test_bad_attachment_id_is_400(stack: Stack) -> None:
    report = str(attachment_id(stack, "report.docx"))
    # Other scripts' digits pass str.isdigit; a number beyond a Java long is no Confluence id.
    for bad in (
        "",
        "abc",
        "-1",
        "1e3",
        "12;DROP",
        "\u0661\u0662",
        report + "\u0660",
        "²",
        "9" * 20,
        "0" * 30,
    ):
        status, headers, body = await get(editor_url(stack, bad), "alice")
        assert status == 400, bad
        assert headers["Content-Type"].startswith("text/html")
        _no_traceback(body)
    status, _, body = await get(f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor", "alice")
    assert status == 400
    _no_traceback(body)


async def test_unknown_or_hidden_attachment_is_404(stack: Stack) -> None:
    status, _, body = await get(editor_url(stack, 99999999), "alice")
    assert status == 404
    _no_traceback(body)
    secret = stack.store.add_page("DEMO", "Secret", body="hush", by="admin")
    stack.store.restrict(secret.id, "read", users=("admin", "alice"))
    hidden = stack.store.add_attachment(
        secret.id, "plan.docx", stack.store.data(_report(stack)), "application/octet-stream", by="admin"
    )
    status, _, body = await get(editor_url(stack, hidden.id), "bob")
    assert status == 404
    assert b"plan.docx" not in body
    status, _, body = await get(editor_url(stack, hidden.id), "alice")
    assert status == 200
    assert editor_config(body)["editorConfig"]["mode"] == "edit"


async def test_anonymous_is_sent_to_login_and_back(stack: Stack) -> None:
    report = attachment_id(stack, "report.docx")
    status, headers, _ = await get(editor_url(stack, report))
    assert status == 302
    location = URL(headers["Location"])
    assert location.path == "/confluence/login.action"
    assert location.origin() == URL(stack.public_url).origin()
    destination = f"/plugins/servlet/onlyoffice/doceditor?attachmentId={report}"
    assert location.query["os_destination"] == destination
    # Logging in there brings the user back to the editor.
    async with aiohttp.ClientSession() as session:
        async with session.get(headers["Location"]) as login_page:
            assert login_page.status == 200
        form = {
            "os_username": "alice",
            "os_password": "alice",
            "os_destination": destination,
            "login": "Log in",
        }
        async with session.post(
            f"{stack.public_url}/dologin.action", data=form, allow_redirects=False
        ) as answer:
            assert answer.status == 302
            assert answer.headers["Location"].endswith("/confluence" + destination)


async def test_unsupported_format_is_415(stack: Stack) -> None:
    status, _, body = await get(editor_url(stack, attachment_id(stack, "diagram.png")), "alice")
    assert status == 415
    assert b"Format not supported" in body
    _no_traceback(body)
    zipped = stack.store.add_attachment(
        welcome(stack).id, "archive.zip", b"PK", "application/zip", by="admin"
    )
    status, _, _ = await get(editor_url(stack, zipped.id), "alice")
    assert status == 415


def _report(stack: Stack):  # type: ignore[no-untyped-def]
    found = stack.store.attachment_by_name(welcome(stack).id, "report.docx")
    assert found is not None
    return found


async def test_config_for_alice_edit_and_bob_view(stack: Stack) -> None:
    report = _report(stack)
    secret = stack.settings.documentserver.jwt.secret.get_secret_value()
    status, headers, body = await get(editor_url(stack, report.id), "alice")
    assert status == 200
    assert "Content-Security-Policy" in headers
    alice = editor_config(body)
    assert alice["documentType"] == "word"
    assert alice["document"]["fileType"] == "docx"
    assert alice["document"]["title"] == "report.docx"
    assert alice["editorConfig"]["mode"] == "edit"
    assert alice["document"]["permissions"]["edit"] is True
    user = stack.store.users["alice"]
    assert alice["editorConfig"]["user"]["id"] == user.user_key
    assert alice["editorConfig"]["user"]["name"] == user.display_name
    back = URL(alice["editorConfig"]["customization"]["goback"]["url"])
    assert str(back) == f"{stack.public_url}/pages/viewpageattachments.action?pageId={welcome(stack).id}"
    callback = URL(alice["editorConfig"]["callbackUrl"])
    assert str(callback).startswith(f"{stack.public_url}/plugins/servlet/onlyoffice/callback?")
    download = URL(alice["document"]["url"])
    assert str(download).startswith(f"{stack.public_url}/plugins/servlet/onlyoffice/download?")
    # The token verifies with the secret and covers what the Document Server checks.
    claims = verify(alice["token"], secret)
    assert claims["document"]["key"] == alice["document"]["key"]
    assert claims["document"]["url"] == alice["document"]["url"]
    assert claims["document"]["permissions"] == alice["document"]["permissions"]
    assert claims["editorConfig"]["callbackUrl"] == alice["editorConfig"]["callbackUrl"]
    assert claims["editorConfig"]["mode"] == "edit"
    with pytest.raises(JwtError):
        verify(alice["token"], secret + "x")

    status, _, body = await get(editor_url(stack, report.id), "bob")
    assert status == 200
    bob = editor_config(body)
    assert bob["editorConfig"]["mode"] == "view"
    assert bob["document"]["permissions"]["edit"] is False
    assert "callbackUrl" not in bob["editorConfig"]
    assert "callbackUrl" not in verify(bob["token"], secret)["editorConfig"]
    assert bob["editorConfig"]["user"]["id"] == stack.store.users["bob"].user_key
    assert bob["document"]["key"] == alice["document"]["key"]

    # Alice may ask for view mode herself; then no callback either.
    _, _, body = await get(editor_url(stack, report.id, mode="view"), "alice")
    viewing = editor_config(body)
    assert viewing["editorConfig"]["mode"] == "view"
    assert "callbackUrl" not in viewing["editorConfig"]


async def test_same_key_for_co_editors_new_key_after_new_version(stack: Stack) -> None:
    report = _report(stack)
    _, _, alice = await get(editor_url(stack, report.id), "alice")
    _, _, admin = await get(editor_url(stack, report.id), "admin")
    key = editor_config(alice)["document"]["key"]
    assert editor_config(admin)["document"]["key"] == key
    assert len(key) <= 128
    assert all(c.isalnum() or c in "-._=" for c in key)
    stack.store.add_version(report, b"PK\x03\x04 new bytes", "application/octet-stream", by="admin")
    _, _, after = await get(editor_url(stack, report.id), "alice")
    new_key = editor_config(after)["document"]["key"]
    assert new_key != key
    _, _, admin_after = await get(editor_url(stack, report.id), "admin")
    assert editor_config(admin_after)["document"]["key"] == new_key


async def test_language_from_param_then_accept_language(stack: Stack) -> None:
    report = _report(stack)
    _, _, body = await get(
        editor_url(stack, report.id), "alice", headers={"Accept-Language": "de-DE,de;q=0.9"}
    )
    assert editor_config(body)["editorConfig"]["lang"] == "de-DE"
    _, _, body = await get(
        editor_url(stack, report.id, lang="fr_FR"), "alice", headers={"Accept-Language": "de-DE"}
    )
    assert editor_config(body)["editorConfig"]["lang"] == "fr-FR"
    _, _, body = await get(
        editor_url(stack, report.id, lang='"><script>'), "alice", headers={"Accept-Language": "*"}
    )
    assert b'"><script>' not in body
    _, _, body = await get(editor_url(stack, report.id), "alice", headers={"Accept-Language": "*"})
    lang = editor_config(body)["editorConfig"]["lang"]
    assert lang != "*"


@pytest.fixture
async def internal_stack() -> AsyncIterator[Stack]:
    async with running_stack(settings={"internal_url": "http://127.0.0.1:1/confluence"}) as running:
        yield running


async def test_document_and_callback_urls_use_internal_url(internal_stack: Stack) -> None:
    stack = internal_stack
    _, _, body = await get(editor_url(stack, _report(stack).id), "alice")
    config = editor_config(body)
    assert config["document"]["url"].startswith(
        "http://127.0.0.1:1/confluence/plugins/servlet/onlyoffice/download?"
    )
    assert config["editorConfig"]["callbackUrl"].startswith(
        "http://127.0.0.1:1/confluence/plugins/servlet/onlyoffice/callback?"
    )
    # What the browser follows stays public.
    assert config["editorConfig"]["customization"]["goback"]["url"].startswith(stack.public_url)


@pytest.fixture
async def no_docserver_stack() -> AsyncIterator[Stack]:
    async with running_stack(settings={"documentserver": {"public_url": "http://127.0.0.1:1/"}}) as running:
        yield running


async def test_unreachable_docserver_page_still_renders_with_the_message(no_docserver_stack: Stack) -> None:
    stack = no_docserver_stack
    status, _, body = await get(editor_url(stack, _report(stack).id), "alice")
    assert status == 200
    assert b"cannot be reached" in body
    assert b"http://127.0.0.1:1/web-apps/apps/api/documents/api.js" in body
    _no_traceback(body)


async def test_action_data_and_fill_forms_mode_as_the_plugin(stack: Stack) -> None:
    report = _report(stack)
    secret = stack.settings.documentserver.jwt.secret.get_secret_value()
    action = '{"action":{"type":"bookmark","data":"</script><script>alert(1)</script>"}}'
    status, _, body = await get(editor_url(stack, report.id, actionData=action), "alice")
    assert status == 200
    assert b"</script><script>alert(1)" not in body
    config = editor_config(body)
    assert config["editorConfig"]["actionLink"] == json.loads(action)
    assert verify(config["token"], secret)["editorConfig"]["actionLink"] == json.loads(action)
    for junk in ("not json", "[1,2]", "{" * 10000):
        _, _, body = await get(editor_url(stack, report.id, actionData=junk), "alice")
        assert "actionLink" not in editor_config(body)["editorConfig"]

    form = stack.store.attachment_by_name(welcome(stack).id, "form.pdf")
    assert form is not None
    context = stack.gateway_app[ONLYOFFICE_CONTEXT]
    for _ in range(100):  # PDF forms open as forms once the Document Server's version is known
        if context.server_version is not None:
            break
        await asyncio.sleep(0.05)
    _, _, body = await get(editor_url(stack, form.id), "alice")
    plain = editor_config(body)
    _, _, body = await get(editor_url(stack, form.id, mode="fillForms"), "alice")
    filling = editor_config(body)
    assert plain["document"]["permissions"]["fillForms"] is True
    assert filling["document"]["permissions"] == {**plain["document"]["permissions"], "edit": False}
    assert filling["editorConfig"]["mode"] == "edit"
    assert "callbackUrl" in filling["editorConfig"]
    # For a document that is no form, fillForms changes nothing.
    _, _, body = await get(editor_url(stack, report.id, mode="fillForms"), "alice")
    assert editor_config(body)["document"]["permissions"]["edit"] is True


async def test_odd_attachments(stack: Stack) -> None:
    page = welcome(stack)
    # A page id is no attachment id.
    status, _, body = await get(editor_url(stack, page.id), "alice")
    assert status == 404
    _no_traceback(body)
    data = stack.store.data(_report(stack))
    shout = stack.store.add_attachment(page.id, "SHOUT.DOCX", data, "application/octet-stream", by="admin")
    status, _, body = await get(editor_url(stack, shout.id), "alice")
    assert status == 200
    config = editor_config(body)
    assert config["document"]["fileType"] == "docx"
    assert config["document"]["title"] == "SHOUT.DOCX"
    bare = stack.store.add_attachment(page.id, "README", b"text", "text/plain", by="admin")
    status, _, _ = await get(editor_url(stack, bare.id), "alice")
    assert status == 415
    dotted = stack.store.add_attachment(
        page.id, "archive.tar.docx", data, "application/octet-stream", by="admin"
    )
    status, _, body = await get(editor_url(stack, dotted.id), "alice")
    assert status == 200
    assert editor_config(body)["document"]["fileType"] == "docx"


async def test_anonymous_views_where_the_space_allows_it_and_never_edits(stack: Stack) -> None:
    stack.store.spaces["DEMO"].anonymous_view = True
    status, _, body = await get(editor_url(stack, attachment_id(stack, "report.docx")))
    assert status == 200
    config = editor_config(body)
    assert config["editorConfig"]["mode"] == "view"
    assert config["document"]["permissions"]["edit"] is False
    assert "callbackUrl" not in config["editorConfig"] and "user" not in config["editorConfig"]
    status, _, body = await get(editor_url(stack, attachment_id(stack, "report.docx"), mode="edit"))
    assert status == 200 and editor_config(body)["editorConfig"]["mode"] == "view"
    links = await get(f"{stack.public_url}/pages/viewpageattachments.action?pageId={welcome(stack).id}")
    assert links[0] == 200
    assert b"onlyoffice-docviewer" in links[2] and b"onlyoffice-doceditor" not in links[2]


@pytest.mark.parametrize("leading_slash", [True, False], ids=["gateway-link", "plugin-link"])
async def test_login_through_the_gateway_lands_on_the_editor(stack: Stack, leading_slash: bool) -> None:
    """As a browser does it: the login page's own form (its hidden os_destination), then the
    redirect, then the editor, all at the gateway's address. The Java plugin's links carry the
    destination without its leading slash; a bookmark of one must land on the editor too."""
    report = attachment_id(stack, "report.docx")
    destination = f"plugins/servlet/onlyoffice/doceditor?attachmentId={report}"
    login = URL(f"{stack.public_url}/login.action").with_query(
        permissionViolation="true", os_destination=("/" if leading_slash else "") + destination
    )
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(login) as page:
            form_html = await page.text()
        found = re.search(r'name="os_destination" value="([^"]*)"', form_html)
        assert found is not None and found.group(1) == "/" + destination
        form = {"os_username": "alice", "os_password": "alice", "os_destination": found.group(1)}
        async with browser.post(f"{stack.public_url}/dologin.action", data=form, allow_redirects=False) as r:
            assert r.status == 302
            assert r.headers["Location"] == "/confluence/" + destination
            target = URL(stack.public_url).join(URL(r.headers["Location"]))
        async with browser.get(target, allow_redirects=False) as editor:
            assert editor.status == 200
            assert editor_config(await editor.read())["editorConfig"]["mode"] == "edit"
