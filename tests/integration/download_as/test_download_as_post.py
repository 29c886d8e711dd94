"""The Download As POST: the plugin's checks in its order (403, 400, 415), and nothing stored."""

from __future__ import annotations

import aiohttp
import pytest

from gateway.confluence.client import UserCredentials
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.onlyoffice.signed_links import page_token as make_page_token
from gateway.testing.stack import Stack, running_stack
from gateway.testing.stack import demo_login as login
from tests.integration.download_as.dlas_helpers import download_as, page_token


async def test_without_the_page_token_it_is_403(stack: Stack) -> None:
    report = stack.welcome_attachment_id("report.docx")
    legacy = stack.welcome_attachment_id("legacy.doc")
    async with aiohttp.ClientSession(headers=login("alice")) as alice:
        token = await page_token(alice, stack, report)
        assert (await download_as(alice, stack, report, ""))[0] == 403
        assert (await download_as(alice, stack, report, "0" * 64))[0] == 403
        assert (await download_as(alice, stack, report, "ünïcödé"))[0] == 403
        assert (await download_as(alice, stack, legacy, token))[0] == 403  # the token is per attachment
        origin = await download_as(alice, stack, report, token, Origin="https://evil.example")
        assert origin[0] == 403
        async with alice.post(
            f"{stack.public_url}/plugins/servlet/onlyoffice/download-as",
            data=b"[1, 2]",
            headers={"Content-Type": "application/json"},
        ) as response:
            assert response.status == 400
    async with aiohttp.ClientSession(headers=login("bob")) as bob:
        status, body = await download_as(bob, stack, report, token)  # another user's token
    assert status == 403 and body == {"error": "the request did not come from the Download As page"}


FORBIDDEN = 'A file name cannot contain any of these characters: \\ / " : ? * < | >'


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Enter a file name."),
        ("   ", "Enter a file name."),
        *((f"a{c}b", FORBIDDEN) for c in '\\/":?*<|>'),
        ("tab\there", "A file name cannot contain control or text-direction characters."),
        ("evil\u202etxt.exe", "A file name cannot contain control or text-direction characters."),
        ("x" * 201, "A file name can have at most 200 characters."),
    ],
)
async def test_a_bad_name_is_400_with_what_to_do(stack: Stack, name: str, message: str) -> None:
    report = stack.welcome_attachment_id("report.docx")
    async with aiohttp.ClientSession(headers=login("alice")) as alice:
        token = await page_token(alice, stack, report)
        status, body = await download_as(alice, stack, report, token, name=name)
    assert (status, body) == (400, {"error": message})


@pytest.mark.parametrize("target", ["docx", "exe", "xlsx", "", "PDF/../x"])
async def test_a_target_not_in_the_convert_list_is_415(stack: Stack, target: str) -> None:
    report = stack.welcome_attachment_id("report.docx")
    async with aiohttp.ClientSession(headers=login("alice")) as alice:
        token = await page_token(alice, stack, report)
        status, body = await download_as(alice, stack, report, token, target=target)
    assert status == 415
    assert body == {"error": "This document cannot be downloaded in that format."}


async def test_bob_may_download_a_file_he_may_only_view_anonymous_may_not(stack: Stack) -> None:
    report = stack.welcome_attachment_id("report.docx")
    before = len(stack.store.attachments)
    async with aiohttp.ClientSession(headers=login("bob")) as bob:
        token = await page_token(bob, stack, report)
        status, body = await download_as(bob, stack, report, token)
    assert status == 200 and body["done"] is True and body["fileName"] == "report.pdf"
    assert str(body["url"]).startswith(f"{stack.public_url}/plugins/servlet/onlyoffice/download-as/file?")
    assert len(stack.store.attachments) == before  # nothing is stored in Confluence

    # Even with a valid page token for anonymous credentials, Confluence does not show them the file.
    context = stack.gateway_app[ONLYOFFICE_CONTEXT]
    anonymous_token = make_page_token(context, UserCredentials(), "download-as", str(report))
    async with aiohttp.ClientSession() as anonymous:
        status, body = await download_as(anonymous, stack, report, anonymous_token)
    assert status == 403 and body == {"error": "You may not download this document."}


async def test_rules_without_download_refuse_the_post_and_show_no_link() -> None:
    rules = [{"actions": ["edit", "view", "convert", "create"]}]
    async with running_stack(settings={"rules": rules}) as stack:
        report = stack.welcome_attachment_id("report.docx")
        context = stack.gateway_app[ONLYOFFICE_CONTEXT]
        credentials = UserCredentials(authorization=login("alice")["Authorization"])
        token = make_page_token(context, credentials, "download-as", str(report))
        async with aiohttp.ClientSession(headers=login("alice")) as alice:
            status, body = await download_as(alice, stack, report, token)
            assert status == 403 and body == {"error": "You may not download this document."}
            page = f"{stack.public_url}/pages/viewpageattachments.action?pageId={stack.welcome_page_id()}"
            async with alice.get(page) as response:
                html = await response.text()
            async with alice.get(
                f"{stack.public_url}/plugins/servlet/onlyoffice/access?attachmentId={report}"
            ) as response:
                decided = await response.json()
    assert "onlyoffice-doceditor" in html  # the gateway is on: edit links are there
    # No link (the script's labels, in the page, name "Download As" whatever the rules say).
    assert 'data-onlyoffice-action="download"' not in html and "Download As</a>" not in html
    assert decided[str(report)]["download"] is False
