"""What tests of the editor page's own requests (Save As, reference data) need, over real HTTP.

`converted_file_link` gives a real Document Server result link, what `onRequestSaveAs` carries:
the simulator's conversion service makes it, asked exactly as the gateway asks it for "Convert"
(its signed download link for the source), so the simulator signed it and serves it from
`/cache/files/...` with its md5/expiry rules. `editor_data` reads the editor page's tokens as a
user gets them; `post_route` POSTs JSON to one of the gateway's routes as a user; `ds_download`
fetches a gateway download link the way the Document Server does (with its JWT).
"""

from __future__ import annotations

import asyncio
import json
import re
from html import unescape
from typing import Any

import aiohttp

from gateway.docserver.jwt import bearer_value, sign_header_payload
from gateway.onlyoffice.actions.conversion_jobs import start_conversion
from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.onlyoffice.keys import document_key
from gateway.testing.stack import Stack
from gateway.testing.stack import demo_login as basic

__all__ = ["converted_file_link", "ds_download", "editor_data", "post_route"]

_DATA = re.compile(r'data-([a-z-]+)="([^"]*)"')


async def converted_file_link(stack: Stack, attachment_id: int, target: str, *, attempts: int = 200) -> str:
    """The simulator's `/cache/files/...` link to the attachment converted to `target`."""
    context = stack.gateway_app[ONLYOFFICE_CONTEXT]
    source = await context.confluence.attachment(str(attachment_id))
    if source is None:
        raise LookupError(f"no attachment {attachment_id}")
    key = document_key(stack.public_url, source.id, source.version)
    for _ in range(attempts):
        result = await start_conversion(context, source, key, target)
        if result.done and result.file_url:
            return result.file_url
        await asyncio.sleep(0.05)
    raise TimeoutError("the Document Server simulator did not finish the conversion")


async def editor_data(
    stack: Stack, user: str | None, attachment_id: int | str, element_id: str = "onlyoffice-copies"
) -> dict[str, str]:
    """The `data-*` attributes of one element of the editor page (by default `onlyoffice-copies`),
    as `user` gets them."""
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/doceditor?attachmentId={attachment_id}"
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
        session.get(url, headers=basic(user), allow_redirects=False) as response,
    ):
        assert response.status == 200, response.status
        text = await response.text()
    start = text.index(f'id="{element_id}"')
    element = text[start : text.index(">", start)]
    return {name: unescape(value) for name, value in _DATA.findall(element)}


async def post_route(
    stack: Stack, route: str, body: Any, user: str | None = None, **headers: str
) -> tuple[int, dict[str, Any]]:
    """POST JSON to `.../onlyoffice/<route>` as `user`: (status, JSON answer)."""
    url = f"{stack.public_url}/plugins/servlet/onlyoffice/{route}"
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
        session.post(
            url, data=data, headers={**basic(user), "Content-Type": "application/json", **headers}
        ) as response,
    ):
        raw = await response.read()
        assert b"Traceback" not in raw
        assert response.headers["Content-Type"].startswith("application/json"), (response.status, raw[:300])
        return response.status, json.loads(raw)


async def ds_download(stack: Stack, url: str, *, signed: bool = True) -> tuple[int, bytes]:
    """GET a download link as the Document Server does: with its JWT over the URL in the header
    (or, with `signed=False`, as anyone else would, without it)."""
    secret = stack.settings.documentserver.jwt.secret.get_secret_value()
    header = stack.settings.documentserver.jwt.header
    headers = {header: bearer_value(sign_header_payload({"url": url}, secret))} if signed else {}
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
        session.get(url, headers=headers) as response,
    ):
        return response.status, await response.read()
