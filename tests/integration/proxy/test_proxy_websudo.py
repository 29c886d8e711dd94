"""Secure administrator sessions through the gateway: the redirect to `authenticate.action`, the
password step and the admin page all reach the browser at the gateway's address, cookies intact."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
from yarl import URL

from gateway.testing.confluence import CONFIG
from gateway.testing.stack import Stack, running_stack


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running_stack() as running:
        yield running


async def test_websudo_round_trip_through_the_gateway(stack: Stack) -> None:
    public = URL(stack.public_url)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:  # IP host
        login = {"os_username": "admin", "os_password": "admin", "login": "Log in"}
        async with browser.post(f"{public}/dologin.action", data=login, allow_redirects=False) as r:
            assert r.status == 302
        async with browser.get(f"{public}/admin/viewgeneralconfig.action", allow_redirects=False) as r:
            assert r.status == 302
            location = r.headers["Location"]
        # relative, under the context path: the browser resolves it against the gateway's origin
        assert location == "/confluence/authenticate.action?destination=%2Fadmin%2Fviewgeneralconfig.action"
        target = public.join(URL(location))
        assert target.origin() == public.origin()
        async with browser.get(target) as r:
            page = await r.text()
            assert r.status == 200 and 'action="/confluence/doauthenticate.action"' in page
        token = re.search(r'name="atl_token" value="([^"]+)"', page)
        assert token is not None
        form = {
            "password": "admin",
            "authenticate": "Confirm",
            "destination": "/admin/viewgeneralconfig.action",
            "atl_token": token.group(1),
        }
        async with browser.post(f"{public}/doauthenticate.action", data=form, allow_redirects=False) as r:
            assert r.status == 302
            assert r.headers["Location"] == "/confluence/admin/viewgeneralconfig.action"
        async with browser.get(public.join(URL(r.headers["Location"])), allow_redirects=False) as r:
            text = await r.text()
            assert r.status == 200 and "General Configuration" in text
            assert stack.public_url in text  # Confluence's base URL is the gateway's public URL


async def test_an_absolute_websudo_redirect_names_the_gateway(stack: Stack) -> None:
    """With Tomcat's absolute redirects, Confluence builds the Location from the Host and
    X-Forwarded-* the gateway sends: the browser is sent to the gateway, never to Confluence."""
    stack.confluence_app[CONFIG].relative_redirects = False
    public = URL(stack.public_url)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        login = {"os_username": "admin", "os_password": "admin", "login": "Log in"}
        async with browser.post(f"{public}/dologin.action", data=login, allow_redirects=False) as r:
            assert URL(r.headers["Location"]).origin() == public.origin()
        async with browser.get(f"{public}/admin/console.action", allow_redirects=False) as r:
            location = URL(r.headers["Location"])
        assert location.origin() == public.origin()
        assert location.path == "/confluence/authenticate.action"
        assert location.query["destination"] == "/admin/console.action"
