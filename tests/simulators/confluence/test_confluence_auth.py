"""Authentication, sessions, remember-me and XSRF rules (reference §2)."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestClient

from gateway.testing.confluence import DEMO_USERS, Store
from tests.simulators.confluence.confluence_helpers import CTX, basic, no_check, upload_form

Client = TestClient[Any, Any]
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


async def test_bad_basic_credentials_are_a_plain_401(client: Client) -> None:
    response = await client.get(f"{CTX}/rest/api/user/current", headers=basic("alice", "wrong"))
    assert response.status == 401
    assert response.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    assert not response.headers["Content-Type"].startswith("application/json")
    garbage = await client.get(f"{CTX}/rest/api/user/current", headers={"Authorization": "Basic !!!"})
    assert garbage.status == 401


async def test_personal_access_tokens(client: Client) -> None:
    for demo in DEMO_USERS:
        response = await client.get(
            f"{CTX}/rest/api/user/current", headers={"Authorization": f"Bearer {demo.token}"}
        )
        assert (await response.json())["username"] == demo.username
        assert response.headers["X-AUSERNAME"] == demo.username
    bad = await client.get(f"{CTX}/rest/api/user/current", headers={"Authorization": "Bearer nope"})
    assert bad.status == 401


async def _login(client: Client, user: str, *, remember: bool = False, destination: str = "") -> Any:
    form = {"os_username": user, "os_password": user, "login": "Log in", "os_destination": destination}
    if remember:
        form["os_cookie"] = "true"
    return await client.post(f"{CTX}/dologin.action", data=form, allow_redirects=False)


async def test_login_form_sets_a_session(client: Client, welcome: int) -> None:
    page = await client.get(f"{CTX}/login.action?os_destination=%2Fpages%2Fviewpage.action%3FpageId%3D1")
    text = await page.text()
    assert 'id="os_username"' in text and 'id="loginButton"' in text and 'name="loginform"' in text
    response = await _login(client, "alice", destination=f"/pages/viewpage.action?pageId={welcome}")
    assert response.status == 302
    assert response.headers["Location"] == f"{CTX}/pages/viewpage.action?pageId={welcome}"
    cookie = response.cookies["JSESSIONID"]
    assert cookie["httponly"] and cookie["path"] == CTX
    assert "seraph.confluence" not in response.cookies
    me = await client.get(f"{CTX}/rest/api/user/current")
    assert (await me.json())["username"] == "alice"
    assert me.headers["X-AUSERNAME"] == "alice" and me.headers["X-ASESSIONID"]


async def test_login_failure_and_open_redirect(client: Client) -> None:
    failed = await client.post(
        f"{CTX}/dologin.action", data={"os_username": "alice", "os_password": "x"}, allow_redirects=False
    )
    assert failed.status == 200 and failed.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    assert "incorrect" in await failed.text()
    evil = await _login(client, "bob", destination="//evil.example.com/")
    assert evil.headers["Location"] == f"{CTX}/index.action"


async def test_remember_me_creates_a_new_session(client: Client) -> None:
    response = await _login(client, "bob", remember=True)
    token = response.cookies["seraph.confluence"].value
    assert response.cookies["seraph.confluence"]["httponly"]
    # a fresh client with only the remember-me cookie: Confluence makes a new session (§2.7)
    url = client.make_url(f"{CTX}/rest/api/user/current")
    async with ClientSession() as fresh:
        reply = await fresh.get(url, headers={"Cookie": f"seraph.confluence={token}"})
        assert (await reply.json())["username"] == "bob"
        assert "JSESSIONID" in reply.cookies
        new_session = reply.cookies["JSESSIONID"].value
    assert new_session != response.cookies["JSESSIONID"].value


async def test_logout_ends_session_and_remember_me(client: Client, store: Store) -> None:
    await _login(client, "alice", remember=True)
    assert store.remember_me
    response = await client.get(f"{CTX}/logout.action", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == f"{CTX}/login.action?logout=true"
    assert not store.remember_me
    me = await client.get(f"{CTX}/rest/api/user/current")
    assert (await me.json())["type"] == "anonymous" and me.headers["X-AUSERNAME"] == "anonymous"


async def test_expired_session_is_silently_anonymous(client: Client) -> None:
    me = await client.get(f"{CTX}/rest/api/user/current", headers={"Cookie": "JSESSIONID=DEADBEEF"})
    assert me.status == 200 and (await me.json())["type"] == "anonymous"


async def test_xsrf_rules(client: Client, welcome: int) -> None:
    url = f"{CTX}/rest/api/content/{welcome}/child/attachment"
    missing = await client.post(url, data=upload_form("x1.txt", b"x"), headers=basic("alice"))
    assert missing.status == 403 and await missing.text() == "XSRF check failed"
    assert not missing.headers["Content-Type"].startswith("application/json")
    deprecated = await client.post(
        url, data=upload_form("x2.txt", b"x"), headers={**basic("alice"), "X-Atlassian-Token": "nocheck"}
    )
    assert deprecated.status == 200
    browser = {**no_check("alice"), "User-Agent": FIREFOX}
    no_origin = await client.post(url, data=upload_form("x3.txt", b"x"), headers=browser)
    assert no_origin.status == 403 and await no_origin.text() == "XSRF check failed"
    foreign = await client.post(
        url, data=upload_form("x4.txt", b"x"), headers={**browser, "Origin": "https://evil.example.com"}
    )
    assert foreign.status == 403
    same = await client.post(
        url,
        data=upload_form("x5.txt", b"x"),
        headers={**browser, "Origin": f"http://{client.host}:{client.port}"},
    )
    assert same.status == 200
    referer = await client.post(
        url,
        data=upload_form("x6.txt", b"x"),
        headers={**browser, "Referer": f"http://{client.host}:{client.port}{CTX}/x"},
    )
    assert referer.status == 200


async def test_json_put_needs_no_xsrf_header(client: Client, store: Store, welcome: int) -> None:
    att = store.attachment_by_name(welcome, "report.docx")
    assert att is not None
    response = await client.put(
        f"{CTX}/rest/api/content/{att.id}",
        json={"version": {"number": 1}},
        headers={**basic("alice"), "User-Agent": FIREFOX},
    )
    assert response.status == 200


async def test_atl_token_for_forms(client: Client, store: Store, welcome: int) -> None:
    await _login(client, "alice")
    page = await (await client.get(f"{CTX}/pages/viewpageattachments.action?pageId={welcome}")).text()
    token = page.split('name="ajs-atl-token" content="')[1].split('"')[0]
    bad = await client.post(
        f"{CTX}/pages/doattachfile.action?pageId={welcome}",
        data=_attach_form("form.txt", b"hello", "wrong-token"),
        allow_redirects=False,
    )
    assert bad.status == 403 and await bad.text() == "XSRF check failed"
    ok = await client.post(
        f"{CTX}/pages/doattachfile.action?pageId={welcome}",
        data=_attach_form("form.txt", b"hello", token),
        allow_redirects=False,
    )
    assert ok.status == 302
    assert ok.headers["Location"] == f"{CTX}/pages/viewpageattachments.action?pageId={welcome}"
    att = store.attachment_by_name(welcome, "form.txt")
    assert att is not None and store.data(att) == b"hello" and att.current.by == "alice"
    again = await client.post(
        f"{CTX}/pages/doattachfile.action?pageId={welcome}",
        data=_attach_form("form.txt", b"second", token),
        allow_redirects=False,
    )
    assert again.status == 302 and att.current.number == 2 and store.data(att) == b"second"


def _attach_form(name: str, data: bytes, token: str) -> Any:
    from aiohttp import FormData

    form = FormData()
    form.add_field("atl_token", token)
    form.add_field("file_0", data, filename=name, content_type="text/plain")
    form.add_field("comment_0", "via the form")
    form.add_field("confirm", "Attach")
    return form


async def test_rest_filter_checks_every_form_like_mutation(
    client: Client, store: Store, welcome: int
) -> None:
    att = store.attachment_by_name(welcome, "report.docx")
    assert att is not None
    no_header = await client.put(
        f"{CTX}/rest/api/content/{att.id}", data=upload_form("report.docx", b"x"), headers=basic("alice")
    )
    assert no_header.status == 403 and await no_header.text() == "XSRF check failed"
    text = await client.put(
        f"{CTX}/rest/api/content/{att.id}", data="x", headers={**basic("alice"), "Content-Type": "text/plain"}
    )
    assert text.status == 403
    with_header = await client.put(
        f"{CTX}/rest/api/content/{att.id}", data=upload_form("report.docx", b"x"), headers=no_check("alice")
    )
    assert with_header.status == 415


async def test_open_session_helper(client: Client, app: Any) -> None:
    from gateway.testing.confluence import open_session

    sid = open_session(app, "bob")
    me = await client.get(f"{CTX}/rest/api/user/current", headers={"Cookie": f"JSESSIONID={sid}"})
    assert (await me.json())["username"] == "bob" and me.headers["X-AUSERNAME"] == "bob"
