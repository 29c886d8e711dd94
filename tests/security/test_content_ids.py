"""Attachment ids from requests are ASCII digits only: `str.isdigit` also accepts other scripts'
digits ("١٢٣") and superscripts, which must never reach Confluence's REST paths or a token check."""

from __future__ import annotations

from urllib.parse import quote

import aiohttp
import pytest

from gateway.testing.confluence.common import REST_CALLS
from gateway.testing.stack import demo_login, running_stack


@pytest.mark.parametrize("raw", ["١٢٣", "²", "12³"])
async def test_the_convert_page_refuses_non_ascii_digits(raw: str) -> None:
    async with running_stack() as stack:
        url = f"{stack.public_url}/plugins/servlet/onlyoffice/convert?attachmentId={quote(raw)}"
        async with (
            aiohttp.ClientSession(headers=demo_login("alice")) as session,
            session.get(url) as response,
        ):
            assert response.status == 400
            assert "attachmentId" in await response.text()
        # nothing of it went to Confluence's REST API
        assert not [path for _, path in stack.confluence_app[REST_CALLS].recent if "/content/" in path]
