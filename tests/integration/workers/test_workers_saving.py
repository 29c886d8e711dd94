"""Exactly-once, no-loss saving with a 2-worker gateway, on SQLite and on Redis.

The simulators run in the test's event loop (running_stack); its in-process gateway is stopped and a
real `python -m gateway serve` with `listen.workers: 2` takes its port, so the Document Server's
callbacks and the browsers' requests land on either worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.testing.stack import SERVICE_ACCOUNT_TOKEN, Stack, free_port, running_stack
from tests.integration.saving.saving_helpers import attachment, callbacks, open_editor, text_of, wait_for
from tests.integration.workers.workers_helpers import GatewayTree, gateway_tree, write_config

_UPLOAD = re.compile(r"/rest/api/content/\d+/child/attachment/\d+/data$")
_CALLBACK_BY = re.compile(r"POST /confluence/plugins/servlet/onlyoffice/callback.* pid=(\d+)")
_HOP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}


@pytest.fixture(params=["sqlite", "redis"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "sqlite":
        return {"path": str(tmp_path / "state.sqlite3")}
    return {"redis_url": request.getfixturevalue("redis_url")}


@contextlib.asynccontextmanager
async def _workers_gateway(stack: Stack, tmp_path: Path, state: dict[str, str]) -> AsyncIterator[GatewayTree]:
    await stack.runners.pop().cleanup()  # the in-process gateway gives its port to the real one
    config = write_config(
        tmp_path / "gateway.yaml",
        stack.settings,
        {"token": SERVICE_ACCOUNT_TOKEN, "jwt": stack.settings.documentserver.jwt.secret.get_secret_value()},
        listen={"workers": 2},
        state=state,
        documentserver={"recovery_interval": 1.0},
        logging={"level": "INFO", "format": "text", "access_log": True},
    )
    async with gateway_tree(tmp_path, config, stack.gateway_port, workers=2) as gateway:
        yield gateway


async def _replay(attempt: Any, times: int) -> list[str]:
    """The Document Server's callback sent again, each on its own connection (so to either worker)."""

    async def once() -> str:
        connector = aiohttp.TCPConnector(force_close=True)
        async with (
            aiohttp.ClientSession(connector=connector) as client,
            client.post(attempt.url, json=attempt.body, headers=attempt.headers) as response,
        ):
            return f"{response.status} {await response.text()}"

    return list(await asyncio.gather(*(once() for _ in range(times))))


async def test_replayed_callbacks_on_two_workers_save_once(tmp_path: Path, state: dict[str, str]) -> None:
    async with (
        running_stack(save_delay=0.2, retry_base_delay=0.2) as stack,
        _workers_gateway(stack, tmp_path, state) as gateway,
    ):
        att = attachment(stack)
        _, alice = await open_editor(stack, att.id)
        stack.docserver.type_text(alice, "Saved once by two workers")
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        saved = callbacks(stack, status=2)
        assert saved and saved[-1].success, [a.as_dict() for a in saved]
        assert [v.number for v in att.versions] == [1, 2]
        served: set[str] = set()
        for _ in range(10):  # until the callback has reached both workers
            answers = await _replay(saved[-1], 8)
            assert all(a.startswith("200 ") for a in answers), answers
            served = set(_CALLBACK_BY.findall(gateway.log()))
            if len(served) == 2:
                break
        assert len(served) == 2, gateway.log()[-2000:]
        assert [v.number for v in att.versions] == [1, 2]  # replays on either worker add nothing
        assert "Saved once by two workers" in text_of(stack, att)


async def test_workers_killed_mid_callback_still_save_once(
    tmp_path: Path, state: dict[str, str], aiohttp_server: Callable[..., Awaitable[TestServer]]
) -> None:
    """Both workers are SIGKILLed while the save's upload is on its way to Confluence: the
    supervisor replaces them, and the Document Server's retry (or recovery) saves the edit once."""
    holder: dict[str, Any] = {}
    seen_upload = asyncio.Event()

    async def front(request: web.Request) -> web.StreamResponse:
        stack: Stack = holder["stack"]
        body = await request.read()
        if request.method == "POST" and _UPLOAD.search(request.path) and not seen_upload.is_set():
            seen_upload.set()
            await asyncio.sleep(30)  # held until the worker that sent it is killed
        target = f"http://127.0.0.1:{stack.confluence_port}{request.path_qs}"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with (
            aiohttp.ClientSession(auto_decompress=False, skip_auto_headers=("Accept-Encoding",)) as client,
            client.request(request.method, target, headers=headers, data=body, allow_redirects=False) as up,
        ):
            copied = {k: v for k, v in up.headers.items() if k.lower() not in _HOP}
            return web.Response(status=up.status, body=await up.read(), headers=copied)

    app = web.Application(client_max_size=1024**3)
    app.router.add_route("*", "/{tail:.*}", front)
    server = await aiohttp_server(app, port=free_port())
    front_url = str(server.make_url("/confluence"))
    async with running_stack(
        save_delay=0.2, retry_base_delay=1.0, settings={"confluence": {"url": front_url}}
    ) as stack:
        holder["stack"] = stack
        async with _workers_gateway(stack, tmp_path, state) as gateway:
            att = attachment(stack)
            _, alice = await open_editor(stack, att.id)
            stack.docserver.type_text(alice, "Survives a killed worker")
            stack.docserver.leave(alice)
            await asyncio.wait_for(seen_upload.wait(), 60)
            killed = gateway.workers()
            for worker in killed:
                worker.kill()
            await wait_for(
                lambda: (
                    len(gateway.workers()) == 2
                    and not {w.pid for w in gateway.workers()} & {k.pid for k in killed}
                ),
                timeout=60,
                what="two new workers",
            )
            await stack.docserver.drain()
            await wait_for(lambda: len(att.versions) >= 2, timeout=90, what="the edit saved")
            await asyncio.sleep(3)  # a retry or recovery pass that would save it twice had its chance
            assert [v.number for v in att.versions] == [1, 2]
            assert "Survives a killed worker" in text_of(stack, att)
