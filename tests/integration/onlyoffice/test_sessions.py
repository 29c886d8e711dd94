"""Browser-style cookie sessions through the gateway: identity side calls never leak cookies."""

from __future__ import annotations

import aiohttp

from gateway.testing.stack import Stack
from tests.integration.onlyoffice.oo_stack_helpers import (
    attachment_id,
    editor_config,
    editor_url,
    link_actions,
    welcome,
)


async def _login(stack: Stack, user: str, *, remember: bool) -> dict[str, str]:
    """Log in through the gateway's proxied form; the cookies a browser would keep."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        form = {"os_username": user, "os_password": user, "login": "Log in"}
        if remember:
            form["os_cookie"] = "true"
        async with session.post(
            f"{stack.public_url}/dologin.action", data=form, allow_redirects=False
        ) as answer:
            assert answer.status == 302
        return {cookie.key: cookie.value for cookie in jar}


async def test_remember_me_only_browser_gets_no_session_cookie_from_side_calls(stack: Stack) -> None:
    cookies = await _login(stack, "alice", remember=True)
    assert "seraph.confluence" in cookies
    remember_only = {"Cookie": f"seraph.confluence={cookies['seraph.confluence']}"}
    page_id = welcome(stack).id
    report = attachment_id(stack, "report.docx")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        async with session.get(
            editor_url(stack, report), headers=remember_only, allow_redirects=False
        ) as answer:
            assert answer.status == 200
            assert "Set-Cookie" not in answer.headers
            config = editor_config(await answer.read())
            assert config["editorConfig"]["mode"] == "edit"
            assert config["editorConfig"]["user"]["id"] == stack.store.users["alice"].user_key
        access = f"{stack.public_url}/plugins/servlet/onlyoffice/access?attachmentId={report}"
        async with session.get(access, headers=remember_only) as answer:
            assert "Set-Cookie" not in answer.headers
            assert (await answer.json())[str(report)]["mode"] == "edit"
        page = f"{stack.public_url}/pages/viewpageattachments.action?pageId={page_id}"
        async with session.get(page, headers=remember_only) as answer:
            # Confluence's own answer may start a session (its Set-Cookie is for the browser);
            # the gateway's side calls must not add any.
            set_cookies = answer.headers.getall("Set-Cookie", [])
            assert len(set_cookies) <= 1
            assert "edit" in link_actions(await answer.read())[str(report)]


async def test_session_cookie_user_sees_their_own_links(stack: Stack) -> None:
    alice = await _login(stack, "alice", remember=False)
    bob = await _login(stack, "bob", remember=False)
    page = f"{stack.public_url}/pages/viewpageattachments.action?pageId={welcome(stack).id}"
    report = str(attachment_id(stack, "report.docx"))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        for cookies, expected in (
            (alice, {"edit", "download"}),
            (bob, {"view", "download"}),
            (alice, {"edit", "download"}),
        ):
            header = "; ".join(f"{k}={v}" for k, v in cookies.items())
            async with session.get(page, headers={"Cookie": header}) as answer:
                assert link_actions(await answer.read())[report] == expected


async def test_update_restriction_makes_alice_a_viewer(stack: Stack) -> None:
    page = welcome(stack)
    stack.store.restrict(page.id, "update", users=("admin",))
    report = attachment_id(stack, "report.docx")
    async with aiohttp.ClientSession() as session:
        auth = {"Authorization": aiohttp.encode_basic_auth("alice", "alice")}
        async with session.get(editor_url(stack, report), headers=auth) as answer:
            assert editor_config(await answer.read())["editorConfig"]["mode"] == "view"
        url = f"{stack.public_url}/pages/viewpageattachments.action?pageId={page.id}"
        async with session.get(url, headers=auth) as answer:
            assert link_actions(await answer.read())[str(report)] == {"view", "download"}
