"""Fixtures for the Document Server simulator contract tests (helpers in docserver_helpers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.testing.docserver import DOCSERVER, create_docserver_app
from gateway.testing.documents import make_document
from tests.simulators.docserver.docserver_helpers import SECRET, Sim, SimFactory, StubHost


@pytest.fixture
async def host(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> StubHost:
    stub = StubHost()
    app = web.Application()
    app.router.add_get("/files/{name}", stub.download)
    app.router.add_post("/callback", stub.callback)
    stub.server = await aiohttp_server(app)
    stub.files["report.docx"] = make_document("docx", "Quarterly report")
    stub.files["notes.odt"] = make_document("odt", "Meeting notes")
    stub.files["budget.xlsx"] = make_document("xlsx", "Budget")
    return stub


@pytest.fixture
async def make_sim(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> AsyncIterator[SimFactory]:
    started: list[Sim] = []

    async def start(**kwargs: Any) -> Sim:
        options: dict[str, Any] = {"jwt_secret": SECRET, "save_delay": 0.2, "retry_base_delay": 0.1}
        options.update(kwargs)
        app = create_docserver_app(**options)
        server = await aiohttp_server(app)
        started.append(Sim(server, app[DOCSERVER]))
        return started[-1]

    yield start
    for sim in started:
        await sim.close()


@pytest.fixture
async def sim(make_sim: SimFactory) -> Sim:
    return await make_sim()


@pytest.fixture
def tmp_data(tmp_path: Path) -> Path:
    return tmp_path / "ds-data"
