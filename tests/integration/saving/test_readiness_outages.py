"""/readyz reports each dependency with a reason, and the gateway degrades instead of failing whole:
Redis (the shared state) stopped, the Document Server stopped, Confluence stopped.

A Redis outage must not take the replica out of service (every replica shares that Redis: 503 on
all of them would turn a partial outage into a whole one): /readyz stays 200 "degraded" and says
what is refused; pages are still proxied with their links and editors still open; a conversion,
which needs the state, gets a clear 503. Confluence down is the one outage that makes /readyz 503.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp

from gateway.testing.stack import Stack, demo_login, running_stack
from tests.integration.saving.redis_process import RedisProcess
from tests.integration.saving.saving_helpers import attachment, editor_config

_FAST_PROBES = {"proxy": {"readiness_cache_seconds": 0}}


async def _readyz(stack: Stack) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(stack.gateway_origin + "/readyz") as response:
        assert response.content_type == "application/json"
        return response.status, await response.json()


def _statuses(body: dict[str, Any]) -> dict[str, str]:
    return {name: check["status"] for name, check in body["checks"].items()}


async def test_readyz_names_every_dependency_and_stays_up_through_a_redis_outage(
    own_redis: RedisProcess,
) -> None:
    settings = {"state": {"redis_url": own_redis.url}, **_FAST_PROBES}
    async with running_stack(settings=settings) as stack:
        status, body = await _readyz(stack)
        assert status == 200 and body["status"] == "ok", body
        assert _statuses(body) == {"confluence": "ok", "state": "ok", "documentserver": "ok"}
        assert body["checks"]["confluence"]["required"] is True
        assert body["checks"]["state"]["reason"] == "redis answers"

        own_redis.stop()
        status, body = await _readyz(stack)
        assert status == 200 and body["status"] == "degraded", body
        assert _statuses(body) == {"confluence": "ok", "state": "down", "documentserver": "ok"}
        assert "state unavailable" in body["reason"]
        assert "redis does not answer" in body["checks"]["state"]["reason"]
        assert "proxying and editors go on" in body["checks"]["state"]["reason"]

        # Still proxying, links included, and the editor still opens.
        att = attachment(stack)
        async with aiohttp.ClientSession(headers=demo_login("alice")) as alice:
            page = f"{stack.public_url}/pages/viewpageattachments.action?pageId={stack.welcome_page_id()}"
            async with alice.get(page) as response:
                assert response.status == 200
                assert 'data-onlyoffice-action="edit"' in await response.text()
        config = await editor_config(stack, att.id, "alice")
        assert config["document"]["key"]

        # A conversion needs the state: refused, clearly, without a traceback.
        legacy = stack.welcome_attachment_id("legacy.doc")
        async with aiohttp.ClientSession(headers=demo_login("alice")) as alice:
            async with alice.get(
                f"{stack.public_url}/plugins/servlet/onlyoffice/convert?attachmentId={legacy}"
            ) as r:
                found = re.search(r'data-csrf="([0-9a-f]+)"', await r.text())
                assert r.status == 200 and found is not None
            async with alice.post(
                f"{stack.public_url}/plugins/servlet/onlyoffice/convert",
                json={"attachmentId": str(legacy), "csrf": found.group(1)},
            ) as refused:
                assert refused.status == 503 and refused.headers["Retry-After"] == "30"
                answer = await refused.json()
                assert answer == {"error": "the gateway's shared state is unavailable; try again in a moment"}

        own_redis.start()
        status, body = await _readyz(stack)
        assert status == 200 and body["status"] == "ok", body


async def test_readyz_when_the_document_server_then_confluence_stop() -> None:
    async with running_stack(settings=_FAST_PROBES) as stack:
        status, body = await _readyz(stack)
        assert status == 200 and _statuses(body) == {
            "confluence": "ok",
            "state": "ok",
            "documentserver": "ok",
        }
        assert body["checks"]["state"]["reason"] == "memory answers"

        await stack.runners[1].cleanup()  # the Document Server simulator
        status, body = await _readyz(stack)
        assert status == 200 and body["status"] == "degraded", body
        assert body["checks"]["documentserver"]["status"] == "down"
        assert "healthcheck at" in body["checks"]["documentserver"]["reason"]

        await stack.runners[0].cleanup()  # the Confluence simulator
        status, body = await _readyz(stack)
        assert status == 503 and body["status"] == "unavailable", body
        assert body["reason"] == "confluence unavailable"
        assert body["checks"]["confluence"] == {
            "status": "down",
            "required": True,
            "reason": "unreachable (ClientConnectorError)",
        }
