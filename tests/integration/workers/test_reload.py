"""SIGHUP reloads the config file in the running process (`systemctl reload`), one worker or two.

Real `python -m gateway serve` processes on loopback: in front of the Confluence simulator for the
links a rule change adds or removes, in front of the stub for a slow request and a WebSocket that
must outlive the reload. The pids are checked: a reload is not a restart.
"""

from __future__ import annotations

import asyncio
import base64
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp.test_utils import TestServer

from gateway.testing.stack import SERVICE_ACCOUNT_TOKEN, Stack, free_port, running_stack
from tests.integration.proxy.proxy_fixtures import gateway_process
from tests.integration.saving.saving_helpers import wait_for
from tests.integration.workers.workers_helpers import GatewayTree, gateway_tree, write_config

_ACTION = re.compile(r'data-onlyoffice-action="(\w+)"')
_RULES_OFF = [{"spaces": ["DEMO"], "enabled": False}]


def _basic(user: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{user}".encode()).decode()


async def _actions(url: str, user: str) -> set[str]:
    """The ONLYOFFICE link actions on a page, fetched on a fresh connection (so: any worker)."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        session.get(url, headers={"Authorization": _basic(user)}) as response,
    ):
        assert response.status == 200
        return set(_ACTION.findall(await response.text()))


def _config(stack: Stack, tmp_path: Path, workers: int, **sections: Any) -> Path:
    return write_config(
        tmp_path / "gateway.yaml",
        stack.settings,
        {"token": SERVICE_ACCOUNT_TOKEN, "jwt": stack.settings.documentserver.jwt.secret.get_secret_value()},
        listen={"workers": workers},
        state={"path": str(tmp_path / "state.sqlite3")} if workers > 1 else {},
        logging={"level": "INFO", "format": "text", "access_log": False},
        **sections,
    )


def _rewrite(config: Path, **changes: Any) -> None:
    data = yaml.safe_load(config.read_text())
    for key, value in changes.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    config.write_text(yaml.safe_dump(data))


def _reloaders(gateway: GatewayTree) -> int:
    """How many processes log each reload: the one process, or the supervisor and every worker."""
    workers = len(gateway.workers())
    return workers + 1 if workers else 1


async def _hangup(gateway: GatewayTree, expect: str, count: int) -> None:
    """SIGHUP to the main process; wait until `expect` was logged `count` times more than before."""
    before = gateway.log().count(expect)
    gateway.process.send_signal(signal.SIGHUP)
    await wait_for(lambda: gateway.log().count(expect) >= before + count, timeout=20)


@pytest.fixture
async def stack_gateway(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Stack, GatewayTree]]:
    workers: int = request.param
    async with running_stack() as stack:
        await stack.runners.pop().cleanup()  # the real process takes the in-process gateway's port
        config = _config(stack, tmp_path, workers)
        async with gateway_tree(
            tmp_path, config, stack.gateway_port, workers=workers if workers > 1 else None
        ) as gw:
            yield stack, gw


def _page(stack: Stack) -> str:
    return f"{stack.public_url}/pages/viewpageattachments.action?pageId={stack.welcome_page_id()}"


def _pids(gateway: GatewayTree) -> set[int]:
    return {gateway.process.pid, *(w.pid for w in gateway.workers())}


@pytest.mark.parametrize("stack_gateway", [1, 2], indirect=True, ids=["workers=1", "workers=2"])
async def test_sighup_applies_new_rules_in_the_same_processes(
    stack_gateway: tuple[Stack, GatewayTree],
) -> None:
    stack, gateway = stack_gateway
    reloaders = _reloaders(gateway)
    pids = _pids(gateway)
    for _ in range(4):
        assert "edit" in await _actions(_page(stack), "alice")
    config = Path(gateway.log_path.parent / "gateway.yaml")

    _rewrite(config, rules=_RULES_OFF)
    await _hangup(gateway, "applied rules", reloaders)
    for _ in range(6):  # fresh connections: both workers answer
        assert await _actions(_page(stack), "alice") == set()
    assert _pids(gateway) == pids and gateway.process.returncode is None

    _rewrite(config, rules=[])  # and back: links again, still the same processes
    await _hangup(gateway, "applied rules", reloaders)
    for _ in range(4):
        assert "edit" in await _actions(_page(stack), "alice")
    assert _pids(gateway) == pids
    assert "not applied until restart" not in gateway.log()


@pytest.mark.parametrize("stack_gateway", [1, 2], indirect=True, ids=["workers=1", "workers=2"])
async def test_sighup_with_a_bad_file_keeps_the_old_rules(stack_gateway: tuple[Stack, GatewayTree]) -> None:
    stack, gateway = stack_gateway
    pids = _pids(gateway)
    config = Path(gateway.log_path.parent / "gateway.yaml")
    # Valid YAML, invalid config: an unknown key inside a rule that would switch everything off.
    _rewrite(config, rules=[{"spaces": ["DEMO"], "enabledd": False}])
    line = next(n for n, text in enumerate(config.read_text().splitlines(), 1) if "enabledd" in text)
    await _hangup(gateway, "reload refused", 1)
    log = gateway.log()
    assert f"{config}:{line}: rules[0].enabledd: unknown key" in log
    assert log.count("reload refused") == 1  # with workers: reported once, by the supervisor
    assert SERVICE_ACCOUNT_TOKEN not in log
    for _ in range(4):
        assert "edit" in await _actions(_page(stack), "alice")
    assert _pids(gateway) == pids and gateway.process.returncode is None


@pytest.mark.parametrize("stack_gateway", [1, 2], indirect=True, ids=["workers=1", "workers=2"])
async def test_restart_only_keys_are_named_and_not_applied(stack_gateway: tuple[Stack, GatewayTree]) -> None:
    stack, gateway = stack_gateway
    workers, reloaders = len(gateway.workers()), _reloaders(gateway)
    config = Path(gateway.log_path.parent / "gateway.yaml")
    _rewrite(
        config, listen={"port": free_port(), "workers": 3}, rules=_RULES_OFF, proxy={"shutdown_timeout": 5}
    )
    await _hangup(gateway, "applied rules", reloaders)
    await wait_for(lambda: "not applied until restart" in gateway.log(), timeout=5)
    named = re.search(r"not applied until restart: (.*?)(?: pid=| worker=|$)", gateway.log(), re.M)
    assert named is not None
    assert named.group(1) == "listen.port, listen.workers, proxy.shutdown_timeout"
    assert gateway.log().count("not applied until restart") == 1  # once, not once per worker
    assert len(gateway.workers()) == workers  # as many workers as before, still on the old port
    assert await _actions(_page(stack), "alice") == set()


async def test_in_flight_request_and_websocket_survive_a_reload(tmp_path: Path, stub: TestServer) -> None:
    assert stub.port is not None
    async with gateway_process(tmp_path, stub.port) as gateway, aiohttp.ClientSession() as session:
        pid = gateway.process.pid
        slow = asyncio.ensure_future(session.get(gateway.url("/confluence/slow?delay=2")))
        async with session.ws_connect(gateway.url("/synchrony/v1")) as ws:
            await asyncio.sleep(0.5)  # the slow request is upstream now
            config = tmp_path / "gateway.yaml"
            _rewrite(config, rules=_RULES_OFF, logging={"level": "DEBUG"})
            gateway.process.send_signal(signal.SIGHUP)
            await wait_for(lambda: "applied rules, logging.level" in gateway.log(), timeout=10)
            await ws.send_str("after reload")
            echoed = await ws.receive(timeout=5)
            assert echoed.type == aiohttp.WSMsgType.TEXT and "after reload" in echoed.data
        response = await slow
        assert response.status == 200 and await response.text() == "slow done"
        response.release()
        assert gateway.process.returncode is None and gateway.process.pid == pid


async def test_sighup_while_workers_start_kills_none(tmp_path: Path) -> None:
    """A worker starts with SIGHUP blocked (inherited from the supervisor), so reloads sent while
    its interpreter is still importing wait for its handler instead of ending it."""
    async with running_stack() as stack:
        await stack.runners.pop().cleanup()
        config = _config(stack, tmp_path, 2)
        async with gateway_tree(tmp_path, config, stack.gateway_port, ready=False) as gateway:
            await wait_for(lambda: "starting 2 workers" in gateway.log(), timeout=30)
            for _ in range(10):  # through the workers' start-up, before they listen
                gateway.process.send_signal(signal.SIGHUP)
                await asyncio.sleep(0.05)
            await wait_for(lambda: len(gateway.listening()) == 2, timeout=60)
            await asyncio.sleep(0.5)
            log = gateway.log()
            assert "SIGHUP" not in log.replace("SIGHUP: ", ""), log  # no "was killed by SIGHUP"
            assert "restarting it" not in log
            assert gateway.process.returncode is None
            assert await _actions(_page(stack), "alice") != set()
