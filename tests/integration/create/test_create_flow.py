"""The plugin's old "create" links (`doceditor?pageId=&fileExt=&fileName=`) lead to the form."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from gateway.testing.stack import Stack, running_stack
from gateway.testing.stack import demo_login as login
from tests.integration.create.create_helpers import welcome_id


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running_stack() as running:
        yield running


@pytest.mark.parametrize(("ext", "expected_type"), [("xlsx", "&type=xlsx"), ("exe", ""), ("", "")])
async def test_old_create_links_redirect_to_the_form_without_creating(
    stack: Stack, ext: str, expected_type: str
) -> None:
    page = welcome_id(stack)
    before = len(stack.store.attachments)
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?pageId={page}&fileExt={ext}&fileName=Plan"
    async with (
        aiohttp.ClientSession(headers=login("alice")) as session,
        session.get(url, allow_redirects=False) as response,
    ):
        assert response.status == 302
        assert response.headers["Location"] == (
            f"{stack.public_url}/plugins/servlet/onlyoffice/create?pageId={page}{expected_type}"
        )
    assert len(stack.store.attachments) == before  # a GET never creates anything
