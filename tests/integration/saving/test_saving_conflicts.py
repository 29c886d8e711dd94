"""Format round trips, uploads made meanwhile, and saves of one document that must not interleave."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.testing.documents import extract_text, make_document
from gateway.testing.stack import Stack, running_stack
from tests.integration.saving.saving_helpers import (
    FAST,
    attachment,
    basic,
    editor_config,
    open_editor,
    text_of,
)


def _signed(stack: Stack, body: dict[str, Any]) -> dict[str, Any]:
    now = int(time.time())
    secret = stack.settings.documentserver.jwt.secret.get_secret_value()
    return {**body, "token": jwt.encode({**body, "iat": now, "exp": now + 300}, secret)}


async def _post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as client, client.post(url, json=body) as response:
        return response.status, json.loads(await response.text())


async def test_a_file_returned_in_another_format_is_converted_back() -> None:
    """notes.odt (editable as a lossy format here) comes back as docx: saved as odt again."""
    async with running_stack(**FAST, settings={"rules": [{"lossy_edit": ["odt"]}]}) as stack:
        att = attachment(stack, "notes.odt")
        config = await editor_config(stack, att.id)
        assert config["editorConfig"]["mode"] == "edit"
        docx = make_document("docx", "Came back as docx")
        stack.docserver.cache.put("converted_1", "output.docx", docx)
        url = stack.docserver.cache.link(stack.docserver_url, "converted_1", "output.docx")
        body = {
            "key": config["document"]["key"],
            "status": 2,
            "url": url,
            "filetype": "docx",
            "users": [config["editorConfig"]["user"]["id"]],
            "history": {
                "serverVersion": "9.3.0",
                "changes": [{"user": {"id": "x", "name": "Alice Example"}}],
            },
            "lastsave": "2026-01-01T00:00:00.000Z",
        }
        status, answer = await _post(config["editorConfig"]["callbackUrl"], _signed(stack, body))
        assert (status, answer) == (200, {"error": 0})
        assert len(att.versions) == 2
        data = stack.store.data(att)
        assert data[:2] == b"PK" and b"mimetypeapplication/vnd.oasis.opendocument.text" in data[:100]
        assert "Came back as docx" in extract_text("odt", data)
        assert att.title == "notes.odt"
        assert att.current.media_type == "application/vnd.oasis.opendocument.text"


async def test_an_upload_made_meanwhile_is_not_overwritten_silently() -> None:
    async with running_stack(**FAST) as stack:
        att = attachment(stack)
        _, alice = await open_editor(stack, att.id)
        stack.docserver.type_text(alice, "Alice's edit")
        # Bob... may only view; admin uploads a new version through Confluence (via the gateway).
        form = aiohttp.FormData()
        form.add_field(
            "file",
            make_document("docx", "Uploaded meanwhile"),
            filename="report.docx",
            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        form.add_field("comment", "manual upload")
        url = f"{stack.public_url}/rest/api/content/{att.page_id}/child/attachment/{att.id}/data"
        async with (
            aiohttp.ClientSession() as client,
            client.post(
                url,
                data=form,
                headers={"Authorization": basic("admin", "admin"), "X-Atlassian-Token": "no-check"},
            ) as response,
        ):
            assert response.status == 200, await response.text()
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        assert [v.number for v in att.versions] == [1, 2, 3]
        assert "Uploaded meanwhile" in text_of(stack, att, 2)
        assert "Alice's edit" in text_of(stack, att, 3)
        assert att.current.comment == (
            "Edited in ONLYOFFICE by Alice Example; based on version 1, saved after version 2 was uploaded meanwhile"
        )


async def test_two_saves_of_one_document_never_interleave(
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> None:
    """Two different saves arrive together; the file server is slow, so overlap would show."""
    spans: list[tuple[float, float]] = []

    async def slow_file(request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        text = request.match_info["id"]
        data = make_document("docx", f"Save {text}")
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.content_length = len(data)
        await response.prepare(request)
        half = len(data) // 2
        await response.write(data[:half])
        await asyncio.sleep(0.5)
        await response.write(data[half:])
        await response.write_eof()
        spans.append((started, time.monotonic()))
        return response

    app = web.Application()
    app.router.add_get("/cache/files/data/{id}/{file}/{friendly}", slow_file)
    files = await aiohttp_server(app)
    settings = {"documentserver": {"internal_url": str(files.make_url("/"))}}
    async with running_stack(**FAST, settings=settings) as stack:
        att = attachment(stack)
        config = await editor_config(stack, att.id)
        key = config["document"]["key"]

        def body(n: int) -> dict[str, Any]:
            return _signed(
                stack,
                {
                    "key": key,
                    "status": 6,
                    "forcesavetype": 0,
                    "url": str(files.make_url(f"/cache/files/data/{n}/output.docx/output.docx")),
                    "filetype": "docx",
                    "users": ["u"],
                    "lastsave": f"2026-01-01T00:00:0{n}.000Z",
                },
            )

        results = await asyncio.gather(
            *(_post(config["editorConfig"]["callbackUrl"], body(n)) for n in (1, 2, 3))
        )
        assert all(r == (200, {"error": 0}) for r in results)
        assert len(att.versions) == 4
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end, spans
        texts = {text_of(stack, att, n) for n in (2, 3, 4)}
        assert texts == {"Save 1", "Save 2", "Save 3"}
