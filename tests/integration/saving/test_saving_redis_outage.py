"""Redis (the shared state) goes away during a save: the Document Server is told to retry, nothing is lost."""

from __future__ import annotations

from gateway.testing.stack import running_stack
from tests.integration.saving.redis_process import RedisProcess
from tests.integration.saving.saving_helpers import (
    FAST,
    attachment,
    callbacks,
    open_editor,
    text_of,
    wait_for,
)


async def test_redis_down_during_the_save_then_back(own_redis: RedisProcess) -> None:
    settings = {"state": {"redis_url": own_redis.url}, "documentserver": {"recovery_interval": 0.3}}
    async with running_stack(**FAST, settings=settings) as stack:
        att = attachment(stack)
        config, alice = await open_editor(stack, att.id)
        key = config["document"]["key"]
        stack.docserver.type_text(alice, "Kept through a Redis outage")
        await stack.docserver.drain()
        own_redis.stop()
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        attempts = callbacks(stack, status=2, key=key)
        assert [a.http_status for a in attempts] == [503, 503, 503, 503]
        assert all(a.response_text == '{"error": 1}' for a in attempts)
        assert key in stack.docserver.forgotten and len(att.versions) == 1
        own_redis.start()  # empty: every record is gone, the key alone leads back to the attachment
        await wait_for(lambda: len(att.versions) == 2, what="recovery after Redis came back")
        assert "Kept through a Redis outage" in text_of(stack, att)
        await wait_for(lambda: key not in stack.docserver.forgotten, what="deleteForgotten")
