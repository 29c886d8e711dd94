"""The "New document" control on the attachments page: who gets it, where, and where it leads."""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from gateway.confluence.client import UserCredentials
from gateway.onlyoffice.access import create_access_for
from gateway.onlyoffice.actions.create import create_token
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.testing.stack import Stack, running_stack
from gateway.testing.stack import demo_login as login
from tests.integration.create.create_helpers import create, form, welcome_id

CONTROL = re.compile(r'<a class="aui-button onlyoffice-filecreate" href="([^"]+)"')


async def attachments_page(stack: Stack, user: str | None, page_id: str) -> str:
    headers = login(user) if user else {}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.get(f"{stack.public_url}/pages/viewpageattachments.action?pageId={page_id}") as response,
    ):
        assert response.status == 200
        return await response.text()


def controls(page: str) -> list[str]:
    return CONTROL.findall(page)


async def test_alice_gets_one_control_in_the_upload_area_leading_to_the_form() -> None:
    async with running_stack() as stack:
        page_id = welcome_id(stack)
        page = await attachments_page(stack, "alice", page_id)
        found = controls(page)
        # The link passes alice's Confluence locale on: the form speaks her language.
        assert found == [f"/confluence/plugins/servlet/onlyoffice/create?pageId={page_id}&amp;lang=en_GB"]
        upload = page.index('<div class="plugin_attachments_upload_container">')
        assert page.index("onlyoffice-filecreate") > upload
        assert page.index("onlyoffice-filecreate") < page.index("Attach more files")
        async with (
            aiohttp.ClientSession(headers=login("alice")) as session,
            session.get(f"{stack.gateway_origin}{found[0]}") as response,
        ):
            assert response.status == 200
            assert "New document" in await response.text()
        # Only the attachments page gets the control, not the page view with its attachments macro.
        async with (
            aiohttp.ClientSession(headers=login("alice")) as session,
            session.get(f"{stack.public_url}/pages/viewpage.action?pageId={page_id}") as response,
        ):
            assert "onlyoffice-filecreate" not in await response.text()


async def test_bob_and_anonymous_get_no_control() -> None:
    async with running_stack() as stack:
        page_id = welcome_id(stack)
        assert controls(await attachments_page(stack, "bob", page_id)) == []
        # The decision itself, not only Confluence hiding the upload area from bob:
        context = stack.gateway_app[ONLYOFFICE_CONTEXT]
        bob = await create_access_for(context, login("bob"), page_id)
        alice = await create_access_for(context, login("alice"), page_id)
        assert bob is not None and not bob.may_attach and not bob.allowed
        assert alice is not None and alice.allowed and alice.kinds == ("docx", "xlsx", "pptx", "pdf")
        async with aiohttp.ClientSession() as anonymous:
            url = f"{stack.public_url}/pages/viewpageattachments.action?pageId={page_id}"
            async with anonymous.get(url) as response:
                assert "onlyoffice-filecreate" not in await response.text()


async def _with_rules(rules: list[dict[str, Any]]) -> tuple[list[str], int, str]:
    """(controls on alice's attachments page, form status, form text) under these rules."""
    async with running_stack(settings={"rules": rules}) as stack:
        page_id = welcome_id(stack)
        found = controls(await attachments_page(stack, "alice", page_id))
        headers = login("alice")
        async with aiohttp.ClientSession(headers=headers, cookie_jar=aiohttp.DummyCookieJar()) as session:
            status, _, text = await form(session, stack, page_id)
            if status != 200:
                # Even with a valid token nothing can be created where the rules forbid it.
                context = stack.gateway_app[ONLYOFFICE_CONTEXT]
                token = create_token(context, UserCredentials.from_headers(headers), page_id)
                refused = await create(session, stack, page_id, token)
                assert refused[0] == 403 and "You may not create documents on this page." in refused[2]
                assert stack.store.attachment_by_name(int(page_id), "Document.docx") is None
        return found, status, text


async def test_rules_without_create_or_disabled_hide_the_control_and_refuse_the_form() -> None:
    no_create = await _with_rules([{"spaces": ["DEMO"], "actions": ["edit", "view", "convert"]}])
    assert no_create[0] == [] and no_create[1] == 403
    disabled = await _with_rules([{"spaces": ["DEMO"], "enabled": False}])
    assert disabled[0] == [] and disabled[1] == 403
    other_space = await _with_rules([{"spaces": ["OTHER"]}])  # nothing matches DEMO
    assert other_space[0] == [] and other_space[1] == 403
    other_group = await _with_rules([{"groups": ["nobody-is-in-this-group"]}])
    assert other_group[0] == [] and other_group[1] == 403


async def test_a_rule_per_kind_limits_the_form() -> None:
    found, status, text = await _with_rules(
        [{"extensions": ["docx"], "actions": ["edit", "view", "create"]}, {"actions": ["edit", "view"]}]
    )
    assert len(found) == 1 and status == 200
    assert 'value="docx"' in text
    assert 'value="xlsx"' not in text and 'value="pptx"' not in text and 'value="pdf"' not in text


async def test_a_kind_the_rules_forbid_cannot_be_posted() -> None:
    rules = [{"extensions": ["docx"], "actions": ["create", "edit"]}, {"actions": ["edit", "view"]}]
    async with running_stack(settings={"rules": rules}) as stack:
        page_id = welcome_id(stack)
        async with aiohttp.ClientSession(headers=login("alice")) as session:
            _, csrf, _ = await form(session, stack, page_id)
            assert (await create(session, stack, page_id, csrf, "xlsx"))[0] == 400
            assert (await create(session, stack, page_id, csrf, "docx"))[0] == 303
        assert stack.store.attachment_by_name(int(page_id), "Spreadsheet.xlsx") is None
        assert stack.store.attachment_by_name(int(page_id), "Document.docx") is not None
