"""Nothing lost: Confluence down longer than the Document Server retries, gateway restarts, refusals.

Each test also runs with the SQLite state backend (a file: the workers of one host, durable) and the
Redis one (a real redis-server, several hosts).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.testing.confluence import FAULTS
from gateway.testing.stack import Stack, running_stack
from tests.integration.saving.saving_helpers import (
    FAST,
    attachment,
    callbacks,
    metric_value,
    open_editor,
    text_of,
    wait_for,
)

RECOVERY = {"recovery_interval": 0.3}


@pytest.fixture(params=["memory", "sqlite", "redis"])
def state_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    if request.param == "memory":
        yield {"documentserver": RECOVERY}
        return
    if request.param == "sqlite":
        yield {"documentserver": RECOVERY, "state": {"path": str(tmp_path / "state.sqlite3")}}
        return
    redis_url: str = request.getfixturevalue("redis_url")
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()  # every stack seeds the same attachment ids
    yield {"documentserver": RECOVERY, "state": {"redis_url": redis_url}}
    client.flushdb()
    client.close()


@pytest.fixture
async def stack(state_settings: dict[str, Any]) -> AsyncIterator[Stack]:
    async with running_stack(**FAST, settings=state_settings) as running:
        yield running


async def _edit_while_confluence_is_down(stack: Stack, text: str) -> str:
    att = attachment(stack)
    config, alice = await open_editor(stack, att.id)
    stack.docserver.type_text(alice, text)
    stack.confluence_app[FAULTS].unavailable = True
    stack.docserver.leave(alice)
    await stack.docserver.drain()
    key: str = config["document"]["key"]
    attempts = callbacks(stack, status=2, key=key)
    # The Document Server tried four times (1 + 3 retries), was told 503 each time, then kept the file.
    assert [a.http_status for a in attempts] == [503, 503, 503, 503]
    assert key in stack.docserver.forgotten
    assert len(att.versions) == 1
    return key


async def test_confluence_down_longer_than_the_retries_then_back(stack: Stack) -> None:
    key = await _edit_while_confluence_is_down(stack, "Written while Confluence was down")
    att = attachment(stack)
    assert await metric_value(stack, "onlyoffice_saves_total", kind="final", outcome="retry") == 4
    stack.confluence_app[FAULTS].unavailable = False
    await wait_for(lambda: len(att.versions) == 2, what="the recovered version")
    assert "Written while Confluence was down" in text_of(stack, att)
    assert att.current.comment == "Edited in ONLYOFFICE by Alice Example (recovered after a failed save)"
    await wait_for(lambda: key not in stack.docserver.forgotten, what="deleteForgotten")
    state = stack.gateway_app[ONLYOFFICE_CONTEXT].state
    assert await state.keys("pending:") == []
    assert await metric_value(stack, "onlyoffice_saves_total", kind="recovered", outcome="ok") == 1
    await asyncio.sleep(1.0)  # later recovery passes add nothing
    assert len(att.versions) == 2


async def test_gateway_restarted_between_callback_and_upload(
    stack: Stack, state_settings: dict[str, Any]
) -> None:
    key = await _edit_while_confluence_is_down(stack, "Survives a restart")
    await stack.restart_gateway()  # in-memory records are gone; SQLite and Redis keep them
    stack.confluence_app[FAULTS].unavailable = False
    att = attachment(stack)
    await wait_for(lambda: len(att.versions) == 2, what="the recovered version")
    assert "Survives a restart" in text_of(stack, att)
    if "state" in state_settings:
        assert att.current.comment == "Edited in ONLYOFFICE by Alice Example (recovered after a failed save)"
    else:
        assert "recovered after a failed save" in att.current.comment
    await wait_for(lambda: key not in stack.docserver.forgotten, what="deleteForgotten")


@pytest.fixture(params=["sqlite", "redis"])
def durable_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """State that outlives the gateway process: a SQLite file, or Redis."""
    if request.param == "sqlite":
        yield {"documentserver": RECOVERY, "state": {"path": str(tmp_path / "state.sqlite3")}}
        return
    redis_url: str = request.getfixturevalue("redis_url")
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield {"documentserver": RECOVERY, "state": {"redis_url": redis_url}}
    client.flushdb()
    client.close()


async def test_replayed_callback_adds_no_second_version_across_a_restart(
    durable_settings: dict[str, Any],
) -> None:
    """Idempotency records in SQLite or Redis outlive the gateway that wrote them (memory state cannot)."""
    async with running_stack(**FAST, settings=durable_settings) as stack:
        att = attachment(stack)
        _, alice = await open_editor(stack, att.id)
        stack.docserver.type_text(alice, "Once")
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        assert len(att.versions) == 2
        save = callbacks(stack, status=2)[0]
        await stack.restart_gateway()
        async with (
            aiohttp.ClientSession() as http,
            http.post(save.url, json=save.body, headers=save.headers) as response,
        ):
            assert response.status == 200 and await response.json() == {"error": 0}
        assert len(att.versions) == 2


async def test_a_permanent_refusal_keeps_the_file_recoverable_and_visible(stack: Stack) -> None:
    att = attachment(stack)
    config, alice = await open_editor(stack, att.id)
    key = config["document"]["key"]
    stack.docserver.type_text(alice, "Nobody can take this")
    att.status = "trashed"  # deleted in Confluence while being edited
    stack.docserver.leave(alice)
    await stack.docserver.drain()
    attempts = callbacks(stack, status=2, key=key)
    assert len(attempts) == 1 and attempts[0].response_text == '{"error": 1}'  # refused: not retried
    assert key in stack.docserver.forgotten
    content = stack.docserver.forgotten_content(key)
    assert content is not None and "Nobody can take this" in extract(content)
    assert await metric_value(stack, "onlyoffice_saves_total", kind="final", outcome="refused") == 1

    async def pending() -> float:
        return await metric_value(stack, "onlyoffice_pending_saves")

    for _ in range(50):
        if await pending() >= 1:
            break
        await asyncio.sleep(0.1)
    assert await pending() == 1
    state = stack.gateway_app[ONLYOFFICE_CONTEXT].state
    record = await state.get(f"pending:{key}")
    assert record is not None and "no longer exists" in record["refused"]
    # Recovery does not hammer a refusal: the file stays, nothing is saved anywhere.
    await asyncio.sleep(1.0)
    assert key in stack.docserver.forgotten
    assert len(att.versions) == 1


def extract(content: bytes) -> str:
    from gateway.testing.documents import extract_text

    return extract_text("docx", content)
