"""`os_destination` after a successful login: back where the user was going, never off site."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.simulators.confluence.confluence_helpers import CTX

Client = TestClient[Any, Any]


async def _login(client: Client, destination: str | None) -> str:
    form = {"os_username": "alice", "os_password": "alice", "login": "Log in"}
    if destination is not None:
        form["os_destination"] = destination
    response = await client.post(f"{CTX}/dologin.action", data=form, allow_redirects=False)
    assert response.status == 302
    location: str = response.headers["Location"]
    return location


@pytest.mark.parametrize(
    ("destination", "location"),
    [
        ("/pages/viewpage.action?pageId=7", "/pages/viewpage.action?pageId=7"),
        # the ONLYOFFICE plugin's form: no leading slash, resolved under the context path
        (
            "plugins/servlet/onlyoffice/doceditor?attachmentId=9",
            "/plugins/servlet/onlyoffice/doceditor?attachmentId=9",
        ),
        ("/display/DEMO/Welcome#anchor", "/display/DEMO/Welcome#anchor"),
        (None, "/index.action"),
        ("", "/index.action"),
    ],
)
async def test_same_site_destinations_are_followed(
    client: Client, destination: str | None, location: str
) -> None:
    assert await _login(client, destination) == CTX + location


async def test_an_absolute_url_on_confluences_own_origin_and_context(client: Client) -> None:
    own = str(client.make_url(f"{CTX}/pages/viewpage.action?pageId=7"))
    assert await _login(client, own) == f"{CTX}/pages/viewpage.action?pageId=7"
    outside_context = str(client.make_url("/other-app/x"))
    assert await _login(client, outside_context) == f"{CTX}/index.action"


@pytest.mark.parametrize(
    "destination",
    [
        "//evil.example.com/",
        "https://evil.example.com/confluence/x",
        "http://127.0.0.1:1/confluence/x",  # another port is another origin
        "/\\evil.example.com",
        "\\\\evil.example.com",
        "javascript:alert(1)",
        "/x\r\nSet-Cookie: a=b",
        "https://user:pw@evil.example.com/",
    ],
)
async def test_off_site_destinations_go_to_the_dashboard(client: Client, destination: str) -> None:
    assert await _login(client, destination) == f"{CTX}/index.action"


async def test_the_login_page_carries_the_destination_into_its_form(client: Client) -> None:
    page = await client.get(
        f"{CTX}/login.action?os_destination=plugins%2Fservlet%2Fonlyoffice%2Fdoceditor%3FattachmentId%3D9"
    )
    text = await page.text()
    assert 'name="os_destination" value="/plugins/servlet/onlyoffice/doceditor?attachmentId=9"' in text
    evil = await client.get(f"{CTX}/login.action?os_destination=%2F%2Fevil.example.com")
    assert 'name="os_destination" value="/index.action"' in await evil.text()


async def test_a_failed_login_keeps_the_destination(client: Client) -> None:
    form = {"os_username": "alice", "os_password": "wrong", "os_destination": "/display/DEMO/Welcome"}
    failed = await client.post(f"{CTX}/dologin.action", data=form)
    assert 'name="os_destination" value="/display/DEMO/Welcome"' in await failed.text()
