"""Redis (the shared state of several gateways) stopped and started again in the middle of a save,
with a 2-worker gateway."""

from __future__ import annotations

from pathlib import Path

from tests.faults.faults_helpers import fault_stack, wait_for
from tests.integration.saving.redis_process import RedisProcess


async def test_redis_stopped_and_restarted_mid_save(tmp_path: Path, own_redis: RedisProcess) -> None:
    """What the user sees: the editor closes normally; /readyz says the state is down (the replica
    stays in service, "degraded"); once Redis is back (empty: it kept nothing) the edit is saved
    as one new version."""
    async with fault_stack(tmp_path, state={"redis_url": own_redis.url}) as stack:
        att = await stack.attachment()
        _, alice = await stack.open_editor(att["id"])
        stack.docserver.type_text(alice, "Kept through a Redis restart")
        own_redis.stop()
        ready = await stack.readyz()
        assert ready["checks"]["state"]["status"] == "down", ready
        assert ready["status"] == "degraded", ready
        stack.docserver.leave(alice)
        await stack.docserver.drain()
        attempts = stack.callbacks(status=2)
        assert [a.http_status for a in attempts] == [503, 503, 503, 503], [
            (a.http_status, a.response_text) for a in attempts
        ]
        assert stack.docserver.forgotten and await stack.versions() == 1
        own_redis.start()
        await wait_for(lambda: stack.version_is(2), timeout=30, what="the save after Redis is back")
        await wait_for(lambda: not stack.docserver.forgotten, what="deleteForgotten")
        ready = await stack.readyz()
        assert ready["checks"]["state"]["status"] == "ok", ready
        assert await stack.versions() == 2
        assert "Kept through a Redis restart" in await stack.text()
        assert "Traceback" not in stack.gateway.log()
