"""Forged or misdirected callbacks are refused with nothing fetched and nothing saved.

The gateway's Document Server internal address is a small counting file server here, so a
correctly signed callback (the positive control) is fetched and saved, and every forgery is
shown to fetch nothing: no request reaches the file server or the "evil" server.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.testing.documents import make_document
from gateway.testing.stack import Stack, running_stack
from tests.integration.saving.saving_helpers import attachment, editor_config, metric_value, text_of


@dataclass
class FileServers:
    files: TestServer
    evil: TestServer
    hits: list[str] = field(default_factory=list)
    evil_hits: list[str] = field(default_factory=list)

    def url(self, name: str = "output.docx") -> str:
        return str(self.files.make_url(f"/cache/files/data/k_1/{name}/{name}?md5=x&expires=9999999999"))


@pytest.fixture
async def servers(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> FileServers:
    document = make_document("docx", "Forged content")
    holder: dict[str, FileServers] = {}

    async def evil(request: web.Request) -> web.Response:
        holder["s"].evil_hits.append(request.path_qs)
        return web.Response(body=document)

    async def files(request: web.Request) -> web.StreamResponse:
        holder["s"].hits.append(request.path_qs)
        name = request.match_info["file"]
        if name == "redirect.docx":
            raise web.HTTPFound(str(holder["s"].evil.make_url("/stolen.docx")))
        if name == "big.docx":
            return web.Response(body=document + b"\0" * (256 * 1024))
        return web.Response(body=document, content_type="application/octet-stream")

    evil_app = web.Application()
    evil_app.router.add_route("*", "/{tail:.*}", evil)
    files_app = web.Application()
    files_app.router.add_get("/cache/files/data/{id}/{file}/{friendly}", files)
    evil_server = await aiohttp_server(evil_app)
    files_server = await aiohttp_server(files_app)
    holder["s"] = FileServers(files_server, evil_server)
    return holder["s"]


@pytest.fixture
async def stack(servers: FileServers) -> AsyncIterator[Stack]:
    settings = {
        "documentserver": {"internal_url": str(servers.files.make_url("/"))},
        "proxy": {"max_upload_bytes": 64 * 1024},
    }
    async with running_stack(save_delay=0.2, retry_base_delay=0.05, settings=settings) as running:
        yield running


def _secret(stack: Stack) -> str:
    return stack.settings.documentserver.jwt.secret.get_secret_value()


def _save_body(key: str, url: str, **extra: Any) -> dict[str, Any]:
    return {
        "key": key,
        "status": 2,
        "url": url,
        "filetype": "docx",
        "users": ["forger"],
        "actions": [{"type": 0, "userid": "forger"}],
        "lastsave": "2026-01-01T00:00:00.000Z",
        "notmodified": False,
        **extra,
    }


def _signed(body: dict[str, Any], secret: str, **claims: Any) -> dict[str, Any]:
    now = int(time.time())
    return {**body, "token": jwt.encode({**body, "iat": now, "exp": now + 300, **claims}, secret)}


async def _post(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with (
        aiohttp.ClientSession() as client,
        client.post(url, data=data, headers={"Content-Type": "application/json", **(headers or {})}) as r,
    ):
        text = await r.text()
        try:
            return r.status, json.loads(text)
        except ValueError:
            return r.status, text


async def _callback_url(stack: Stack, title: str = "report.docx") -> tuple[str, str]:
    config = await editor_config(stack, attachment(stack, title).id)
    return config["editorConfig"]["callbackUrl"], config["document"]["key"]


async def test_a_correctly_signed_callback_is_fetched_and_saved(stack: Stack, servers: FileServers) -> None:
    """The positive control: the same setup does save when nothing is forged."""
    url, key = await _callback_url(stack)
    status, answer = await _post(url, _signed(_save_body(key, servers.url()), _secret(stack)))
    assert (status, answer) == (200, {"error": 0})
    assert len(servers.hits) == 1
    att = attachment(stack)
    assert len(att.versions) == 2 and "Forged content" in text_of(stack, att)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_the_header_token_alone_is_accepted(stack: Stack, servers: FileServers) -> None:
    url, key = await _callback_url(stack)
    body = _save_body(key, servers.url())
    now = int(time.time())
    token = jwt.encode({"payload": body, "iat": now, "exp": now + 300}, _secret(stack), algorithm="HS512")
    status, answer = await _post(url, body, {"Authorization": f"Bearer {token}"})
    assert (status, answer) == (200, {"error": 0})
    assert len(attachment(stack).versions) == 2


def _forgeries(stack: Stack, servers: FileServers, key: str) -> dict[str, Any]:
    secret = _secret(stack)
    body = _save_body(key, servers.url())
    now = int(time.time())
    return {
        "no token": body,
        "wrong secret": _signed(body, "not-the-secret-" + "x" * 20),
        "alg none": {**body, "token": jwt.encode({**body, "iat": now}, None, algorithm="none")},
        "expired": _signed(body, secret, iat=now - 3600, exp=now - 600),
        "unsigned fields beside a valid token": {
            **_signed(_save_body(key, servers.url(), status=4), secret),
            "status": 2,
        },
        "url on another origin": _signed(_save_body(key, str(servers.evil.make_url("/x.docx"))), secret),
        "redirect to another origin": _signed(_save_body(key, servers.url("redirect.docx")), secret),
        "userinfo trick": _signed(
            _save_body(key, f"http://{servers.files.host}:{servers.files.port}@evil.invalid/x.docx"), secret
        ),
    }


@pytest.mark.parametrize(
    "forgery",
    [
        "no token",
        "wrong secret",
        "alg none",
        "expired",
        "unsigned fields beside a valid token",
        "url on another origin",
        "redirect to another origin",
        "userinfo trick",
    ],
)
async def test_forged_callbacks_are_refused(stack: Stack, servers: FileServers, forgery: str) -> None:
    url, key = await _callback_url(stack)
    body = _forgeries(stack, servers, key)[forgery]
    status, answer = await _post(url, body)
    if forgery == "unsigned fields beside a valid token":
        assert (status, answer) == (200, {"error": 0})  # taken as the signed status 4: nothing to save
    else:
        assert status != 200 or answer != {"error": 0}, (status, answer)
    assert servers.evil_hits == []
    if forgery != "redirect to another origin":
        assert servers.hits == []
    else:
        assert len(servers.hits) == 1  # the Document Server's own address, which redirected: not followed
    assert len(attachment(stack).versions) == 1


async def test_a_callback_token_for_another_document_is_refused(stack: Stack, servers: FileServers) -> None:
    secret = _secret(stack)
    report_url, report_key = await _callback_url(stack, "report.docx")
    budget_url, budget_key = await _callback_url(stack, "budget.xlsx")
    # The signed key of one document posted to the other's callback link, both ways.
    for url, key in ((report_url, budget_key), (budget_url, report_key)):
        status, _ = await _post(url, _signed(_save_body(key, servers.url()), secret))
        assert status == 403
    # A link token for another action (the download link) is no callback link.
    download = (await editor_config(stack, attachment(stack).id))["document"]["url"]
    token = download.split("token=", 1)[1]
    callback_path = report_url.split("?", 1)[0]
    status, _ = await _post(
        f"{callback_path}?token={token}", _signed(_save_body(report_key, servers.url()), secret)
    )
    assert status == 403
    # No link token, or a tampered one.
    status, _ = await _post(callback_path, _signed(_save_body(report_key, servers.url()), secret))
    assert status == 403
    status, _ = await _post(report_url[:-3] + "abc", _signed(_save_body(report_key, servers.url()), secret))
    assert status == 403
    assert servers.hits == []
    assert len(attachment(stack).versions) == 1
    assert len(attachment(stack, "budget.xlsx").versions) == 1
    assert await metric_value(stack, "onlyoffice_callbacks_total", outcome="refused") >= 4


async def test_oversize_bodies_and_files_are_refused(stack: Stack, servers: FileServers) -> None:
    url, key = await _callback_url(stack)
    secret = _secret(stack)
    huge = _signed(_save_body(key, servers.url(), padding="x" * (9 * 1024 * 1024)), secret)
    status, _ = await _post(url, huge)
    assert status == 413
    assert servers.hits == []
    # A file larger than proxy.max_upload_bytes is fetched no further than the cap and not saved.
    status, answer = await _post(url, _signed(_save_body(key, servers.url("big.docx")), secret))
    assert answer != {"error": 0}
    assert len(attachment(stack).versions) == 1
    assert attachment(stack).current.comment == "Demo file"


async def test_bad_json_is_a_clear_400(stack: Stack) -> None:
    url, _ = await _callback_url(stack)
    status, answer = await _post(url, b"{not json")
    assert status == 400 and answer == {"error": 1, "message": "the request body is not valid JSON"}


async def test_a_large_but_allowed_body_is_read_whole(stack: Stack, servers: FileServers) -> None:
    """Many co-authors make long histories; the body (sent twice: plain and in the token) is read whole."""
    url, key = await _callback_url(stack)
    changes = [
        {"created": "2026-01-01 00:00:00", "user": {"id": f"u{n}", "name": "Alice Example"}}
        for n in range(12000)
    ]
    body = _signed(
        _save_body(key, servers.url(), history={"serverVersion": "9.3.0", "changes": changes}), _secret(stack)
    )
    assert len(json.dumps(body)) > 2 * 1024 * 1024
    status, answer = await _post(url, body)
    assert (status, answer) == (200, {"error": 0})
    assert attachment(stack).current.comment == "Edited in ONLYOFFICE by Alice Example"
