"""Secure administrator sessions (websudo) before `/admin/...` pages, and their timeout."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway.testing.confluence import CONFIG
from gateway.testing.confluence.common import SESSIONS
from tests.simulators.confluence.confluence_helpers import CTX, basic

Client = TestClient[Any, Any]
GENERAL = "/admin/viewgeneralconfig.action"
AUTHENTICATE = f"{CTX}/authenticate.action?destination=%2Fadmin%2Fviewgeneralconfig.action"


async def _login(client: Client, user: str) -> None:
    form = {"os_username": user, "os_password": user, "login": "Log in"}
    response = await client.post(f"{CTX}/dologin.action", data=form, allow_redirects=False)
    assert response.status == 302


async def _get(client: Client, path: str, **headers: str) -> Any:
    return await client.get(CTX + path, headers=headers, allow_redirects=False)


def _token(html: str) -> str:
    match = re.search(r'name="atl_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


async def _confirm(client: Client, password: str, destination: str = GENERAL) -> Any:
    page = await client.get(f"{CTX}/authenticate.action", params={"destination": destination})
    form = {"password": password, "authenticate": "Confirm", "destination": destination}
    form["atl_token"] = _token(await page.text())
    return await client.post(f"{CTX}/doauthenticate.action", data=form, allow_redirects=False)


async def test_admin_pages_ask_for_the_password_again(client: Client) -> None:
    await _login(client, "admin")
    first = await _get(client, GENERAL + "?tab=1")
    assert first.status == 302
    assert (
        first.headers["Location"]
        == f"{CTX}/authenticate.action?destination=%2Fadmin%2Fviewgeneralconfig.action%3Ftab%3D1"
    )
    page = await client.get(first.headers["Location"])
    text = await page.text()
    assert page.status == 200 and 'id="authenticateform"' in text and 'id="password"' in text
    assert 'name="destination" value="/admin/viewgeneralconfig.action?tab=1"' in text

    wrong = await _confirm(client, "not-the-password")
    assert wrong.status == 200 and 'id="authenticate-error"' in await wrong.text()
    assert (await _get(client, GENERAL)).status == 302  # still not elevated

    right = await _confirm(client, "admin", GENERAL + "?tab=1")
    assert right.status == 302 and right.headers["Location"] == f"{CTX}{GENERAL}?tab=1"
    shown = await _get(client, GENERAL)
    assert shown.status == 200
    text = await shown.text()
    assert "General Configuration" in text and 'id="websudo-banner"' in text
    assert (await _get(client, "/admin/console.action")).status == 200


async def test_the_elevation_lapses_after_the_idle_timeout(client: Client, app: web.Application) -> None:
    assert app[CONFIG].websudo_timeout == 600.0  # Confluence's default: 10 minutes
    await _login(client, "admin")
    assert (await _confirm(client, "admin")).status == 302
    (session,) = app[SESSIONS].values()
    assert session.websudo_at is not None
    session.websudo_at -= 599  # an admin page within the timeout keeps it going...
    assert (await _get(client, GENERAL)).status == 200
    assert session.websudo_at is not None
    session.websudo_at -= 599
    assert (await _get(client, GENERAL)).status == 200
    session.websudo_at -= 600  # ...ten idle minutes end it
    expired = await _get(client, GENERAL)
    assert (expired.status, expired.headers["Location"]) == (302, AUTHENTICATE)
    assert (await _get(client, GENERAL)).status == 302  # and it stays ended


async def test_drop_access_ends_it_at_once(client: Client) -> None:
    await _login(client, "admin")
    await _confirm(client, "admin")
    dropped = await _get(client, "/dropauthentication.action?destination=%2Findex.action")
    assert (dropped.status, dropped.headers["Location"]) == (302, f"{CTX}/index.action")
    assert (await _get(client, GENERAL)).status == 302


async def test_who_may_not_see_admin_pages(client: Client) -> None:
    anonymous = await _get(client, GENERAL)
    assert anonymous.status == 302
    assert anonymous.headers["Location"].startswith(f"{CTX}/login.action?os_destination=%2Fadmin%2F")
    await _login(client, "alice")
    denied = await _get(client, GENERAL)
    assert denied.status == 403 and "Not Permitted" in await denied.text()
    # alice's own password does not make her an administrator
    assert (await _confirm(client, "alice")).status == 302
    assert (await _get(client, GENERAL)).status == 403


async def test_basic_auth_needs_the_step_too_and_gets_a_session_for_it(client: Client) -> None:
    """A request without a session is never elevated; confirming makes one, as Tomcat would."""
    first = await _get(client, GENERAL, **basic("admin"))
    assert (first.status, first.headers["Location"]) == (302, AUTHENTICATE)
    confirm = await client.post(
        f"{CTX}/doauthenticate.action",
        data={"password": "admin", "authenticate": "Confirm", "destination": GENERAL},
        headers={**basic("admin"), "X-Atlassian-Token": "no-check"},
        allow_redirects=False,
    )
    assert confirm.status == 302 and "JSESSIONID" in confirm.cookies
    assert (await _get(client, GENERAL)).status == 200  # the cookie jar now carries that session


async def test_doauthenticate_is_xsrf_protected_and_keeps_destinations_on_site(client: Client) -> None:
    await _login(client, "admin")
    form = {"password": "admin", "authenticate": "Confirm", "destination": GENERAL}
    forged = await client.post(f"{CTX}/doauthenticate.action", data=form, allow_redirects=False)
    assert (forged.status, await forged.text()) == (403, "XSRF check failed")
    evil = await _confirm(client, "admin", "//evil.example.com/")
    assert evil.headers["Location"] == f"{CTX}/index.action"


async def test_with_websudo_off_admins_go_straight_in(client: Client, app: web.Application) -> None:
    app[CONFIG].websudo = False
    await _login(client, "admin")
    assert (await _get(client, GENERAL)).status == 200


async def test_absolute_redirects_when_tomcat_is_told_so(client: Client, app: web.Application) -> None:
    """`useRelativeRedirects="false"`: the Location is absolute, from the request as Tomcat sees it
    (behind a proxy: X-Forwarded-Proto/Host, RemoteIpValve)."""
    app[CONFIG].relative_redirects = False
    await _login(client, "admin")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "wiki.example.com"}
    response = await _get(client, GENERAL, **forwarded)
    assert response.headers["Location"] == "https://wiki.example.com" + AUTHENTICATE
