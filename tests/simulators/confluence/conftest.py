"""Fixtures for the Confluence simulator contract tests: a real server on a loopback port."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway.testing.confluence import STORE, Store, create_confluence_app

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def app() -> web.Application:
    return create_confluence_app()


@pytest.fixture
async def client(aiohttp_client: ClientFactory, app: web.Application) -> TestClient[Any, Any]:
    return await aiohttp_client(app)


@pytest.fixture
def store(app: web.Application) -> Store:
    return app[STORE]


@pytest.fixture
def welcome(store: Store) -> int:
    page = store.page_by_title("DEMO", "Welcome")
    assert page is not None
    return page.id
