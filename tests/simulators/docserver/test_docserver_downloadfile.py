"""`/downloadfile/<docid>`: DS fetches what the request's token names and streams it back (§6, §7)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
import pytest

from tests.simulators.docserver.docserver_helpers import SECRET, Sim, SimFactory, StubHost, sign

CHANGES = b"PK\x03\x04 changes.zip of one session"


@dataclass
class Storage:
    """A storage host on a raw socket: its answers carry a cookie, a Content-Disposition with a
    control character (which aiohttp itself would refuse to send) and ranges."""

    port: int = 0
    seen: list[dict[str, str]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        path = head[0].split(" ")[1]
        headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
        self.seen.append(headers)
        if path == "/ranged.zip" and headers.get("Range") == "bytes=0-3":
            status, body, extra = (
                "206 Partial Content",
                CHANGES[:4],
                f"Content-Range: bytes 0-3/{len(CHANGES)}\r\n",
            )
        else:
            status, body = "200 OK", CHANGES
            extra = 'Set-Cookie: storage-session=secret\r\nContent-Disposition: attachment; filename="diff.zip"\x07\r\n'
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: application/zip\r\nContent-Length: {len(body)}\r\n"
            f"{extra}Connection: close\r\n\r\n".encode("latin-1")
            + body
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def storage() -> AsyncIterator[Storage]:
    found = Storage()
    server = await asyncio.start_server(found.serve, "127.0.0.1", 0)
    found.port = server.sockets[0].getsockname()[1]
    async with server:
        yield found


async def fetch(
    sim: Sim, *, json: Any = None, headers: dict[str, str] | None = None
) -> aiohttp.ClientResponse:
    if json is None:
        return await sim.client.get(sim.url("/downloadfile/doc-1"), headers=headers or {})
    return await sim.client.post(sim.url("/downloadfile/doc-1"), json=json, headers=headers or {})


async def test_a_history_changes_url_in_the_body_token_is_fetched_with_the_outbox_token(
    sim: Sim, storage: Storage
) -> None:
    url = storage.url("/changes.zip")
    resp = await fetch(sim, json={"token": sign({"changesUrl": url, "version": 2})})
    assert resp.status == 200 and await resp.read() == CHANGES
    assert "Set-Cookie" not in resp.headers  # it would reset the browser's session with DS
    assert resp.headers["Content-Disposition"] == 'attachment; filename="diff.zip"'
    (told,) = storage.seen
    claims = jwt.decode(told["Authorization"][len("Bearer ") :], SECRET, algorithms=["HS256"])
    assert claims["payload"] == {"url": url} and claims["exp"] - claims["iat"] == 300


async def test_the_header_token_and_get_work_too_and_range_is_passed_on(sim: Sim, storage: Storage) -> None:
    url = storage.url("/ranged.zip")
    token = sign({"payload": {"changesUrl": url}})
    resp = await fetch(sim, headers={"Authorization": f"Bearer {token}", "Range": "bytes=0-3"})
    assert resp.status == 206 and await resp.read() == CHANGES[:4]
    assert resp.headers["Content-Range"] == f"bytes 0-3/{len(CHANGES)}"
    assert storage.seen[0]["Range"] == "bytes=0-3"


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"document": {"fileType": "pdf", "url": "FILE"}}, 200),
        ({"document": {"fileType": "xlsx", "url": "FILE"}}, 200),
        ({"document": {"fileType": "docx", "url": "FILE"}}, 403),  # not in downloadFileAllowExt
        ({"url": "FILE", "fileType": "pdf"}, 200),
        ({"url": "FILE", "fileType": "docx"}, 403),
        ({"url": "FILE"}, 403),  # with JWT on, a bare url is access deny
        ({"title": "nothing to fetch"}, 403),
    ],
)
async def test_what_may_be_fetched_comes_from_the_token(
    sim: Sim, host: StubHost, payload: dict[str, Any], status: int
) -> None:
    file_url = host.url("/files/report.docx")
    signed = {k: v for k, v in payload.items()}
    if "document" in signed:
        signed["document"] = {**signed["document"], "url": file_url}
    if "url" in signed:
        signed["url"] = file_url
    resp = await fetch(sim, json={"token": sign(signed)})
    assert resp.status == status
    if status == 200:
        assert await resp.read() == host.files["report.docx"]
    assert len(host.downloads) == (1 if status == 200 else 0)


@pytest.mark.parametrize("problem", ["missing", "unsigned body", "wrong secret", "expired", "not json"])
async def test_a_missing_or_bad_token_is_403(sim: Sim, host: StubHost, problem: str) -> None:
    params = {"changesUrl": host.url("/files/report.docx")}
    if problem == "missing":
        resp = await fetch(sim)
    elif problem == "unsigned body":
        resp = await fetch(sim, json=params)
    elif problem == "wrong secret":
        resp = await fetch(sim, json={"token": sign(params, secret="another-secret-another-secret-xx")})
    elif problem == "expired":
        resp = await fetch(sim, json={"token": sign(params, exp=int(time.time()) - 3600)})
    else:
        resp = await sim.client.post(sim.url("/downloadfile/doc-1"), data=b"[1, 2")
    assert resp.status == 403
    assert host.downloads == []


async def test_failed_fetches_answer_as_ds_does(sim: Sim, host: StubHost) -> None:
    resp = await fetch(sim, json={"token": sign({"changesUrl": host.url("/files/missing.zip")})})
    assert resp.status == 404  # the storage's own status
    resp = await fetch(sim, json={"token": sign({"changesUrl": "http://127.0.0.1:9/changes.zip"})})
    assert resp.status == 400  # no HTTP status to pass on
    resp = await fetch(sim, json={"token": sign({"changesUrl": "ftp://example.com/x"})})
    assert resp.status == 400


async def test_without_jwt_a_plain_url_is_fetched_if_the_address_is_allowed(
    make_sim: SimFactory, host: StubHost
) -> None:
    url = host.url("/files/report.docx")
    strict = await make_sim(jwt_enabled=False, jwt_secret="")
    resp = await fetch(strict, json={"url": url})
    assert resp.status == 400  # unsigned: request-filtering-agent refuses the loopback address
    relaxed = await make_sim(jwt_enabled=False, jwt_secret="", allow_private_ip_unsigned=True)
    resp = await fetch(relaxed, json={"url": url})
    assert resp.status == 200 and await resp.read() == host.files["report.docx"]
    assert "Authorization" not in host.downloads[-1].headers  # no outbox token with JWT off
