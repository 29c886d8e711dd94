"""Fixtures for the Confluence simulator contract tests: a real server on a loopback port."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient

from gateway.testing.confluence import STORE, Store, create_confluence_app

CTX = "/confluence"
ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


def basic(user: str, password: str | None = None) -> dict[str, str]:
    raw = f"{user}:{password if password is not None else user}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def no_check(user: str) -> dict[str, str]:
    return {**basic(user), "X-Atlassian-Token": "no-check"}


def upload_form(
    name: str, data: bytes, content_type: str = "application/octet-stream", **fields: str
) -> FormData:
    form = FormData()
    for key, value in fields.items():
        form.add_field(key, value)
    form.add_field("file", data, filename=name, content_type=content_type)
    return form


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
