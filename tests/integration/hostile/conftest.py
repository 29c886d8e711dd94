"""Stacks for the hostile-input tests: the plain demo stack, and one whose Document Server address
is a small file server, so a correctly signed callback really saves (the positive control)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.testing.documents import make_document
from gateway.testing.stack import Stack, running_stack


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running_stack() as running:
        yield running


@pytest.fixture
async def file_server(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> TestServer:
    document = make_document("docx", "Saved after the hostile bodies")

    async def files(request: web.Request) -> web.Response:
        return web.Response(body=document, content_type="application/octet-stream")

    app = web.Application()
    app.router.add_get("/cache/files/data/{id}/{file}/{friendly}", files)
    return await aiohttp_server(app)


@pytest.fixture
async def saving_stack(file_server: TestServer) -> AsyncIterator[Stack]:
    settings = {"documentserver": {"internal_url": str(file_server.make_url("/"))}}
    async with running_stack(save_delay=0.2, retry_base_delay=0.05, settings=settings) as running:
        yield running
