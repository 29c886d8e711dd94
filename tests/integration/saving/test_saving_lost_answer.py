"""Confluence stores the version but its answer is lost: the Document Server's retry adds no second one."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.testing.stack import Stack, free_port, running_stack
from tests.integration.saving.saving_helpers import FAST, attachment, callbacks, open_editor, text_of

_UPLOAD = re.compile(r"/rest/api/content/\d+/child/attachment/\d+/data$")
_HOP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}


async def test_an_upload_whose_answer_was_lost_is_not_repeated(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> None:
    """A front in front of Confluence forwards everything, but drops the answer of the first upload."""
    holder: dict[str, Stack] = {}
    dropped: list[str] = []

    async def front(request: web.Request) -> web.StreamResponse:
        stack = holder["stack"]
        target = f"http://127.0.0.1:{stack.confluence_port}{request.path_qs}"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with (
            aiohttp.ClientSession(auto_decompress=False, skip_auto_headers=("Accept-Encoding",)) as client,
            client.request(
                request.method, target, headers=headers, data=await request.read(), allow_redirects=False
            ) as upstream,
        ):
            body = await upstream.read()
            if request.method == "POST" and _UPLOAD.search(request.path) and not dropped:
                dropped.append(request.path)
                assert request.transport is not None
                request.transport.abort()  # stored by Confluence, never answered
                raise web.HTTPInternalServerError()
            copied = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP}
            return web.Response(status=upstream.status, body=body, headers=copied)

    app = web.Application(client_max_size=1024**3)
    app.router.add_route("*", "/{tail:.*}", front)
    server = await aiohttp_server(app, port=free_port())
    front_url = str(server.make_url("/confluence"))
    async with running_stack(**FAST, settings={"confluence": {"url": front_url}}) as stack:
        holder["stack"] = stack
        att = attachment(stack)
        _, alice = await open_editor(stack, att.id)
        stack.docserver.type_text(alice, "Saved exactly once")
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        assert dropped, "the front never saw the upload"
        attempts = callbacks(stack, status=2)
        assert [a.http_status for a in attempts] == [503, 200]
        assert attempts[-1].response_text == '{"error": 0}'
        assert [v.number for v in att.versions] == [1, 2]
        assert "Saved exactly once" in text_of(stack, att)
        assert att.current.comment == "Edited in ONLYOFFICE by Alice Example"
