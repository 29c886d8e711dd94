"""`listen.workers: 2` as real processes: a supervisor, two workers on one port, in front of the stub.

Several workers need shared state, so these run with the session's real Redis.
"""

from __future__ import annotations

import asyncio
import re
import signal
import socket
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from aiohttp.test_utils import TestServer

from gateway.testing.stack import free_port
from tests.integration.proxy.proxy_fixtures import gateway_settings
from tests.integration.proxy.upstream_stub import CTX, STATE
from tests.integration.saving.saving_helpers import wait_for
from tests.integration.workers.workers_helpers import gateway_tree, pids_in_log, write_config

SECRETS = {"token": "service-token", "jwt": "s" * 32}


def _config(
    tmp_path: Path, stub: TestServer, redis_url: str, workers: int = 2, **proxy: Any
) -> tuple[Path, int]:
    assert stub.port is not None
    port = free_port()
    settings = gateway_settings(stub.port, port, **proxy)
    config = write_config(
        tmp_path / "gateway.yaml",
        settings,
        SECRETS,
        listen={"workers": workers},
        state={"redis_url": redis_url},
        logging={"level": "INFO", "format": "text", "access_log": True},
    )
    return config, port


async def _get(url: str) -> tuple[int, str]:
    """One request on its own connection (keep-alive would pin it to one worker)."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session, session.get(url) as response:
        return response.status, await response.text()


def _metric(text: str, name: str) -> float:
    return sum(float(m) for m in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


async def test_two_workers_share_the_port_and_metrics(
    tmp_path: Path, stub: TestServer, redis_url: str
) -> None:
    config, port = _config(tmp_path, stub, redis_url)
    async with gateway_tree(tmp_path, config, port, workers=2) as gateway:
        workers = {w.pid for w in gateway.workers()}
        assert len(workers) == 2 and gateway.process.pid not in workers
        sent = 0
        for _ in range(200):  # until both workers have answered (the kernel spreads connections)
            assert (await _get(gateway.url(f"{CTX}/echo")))[0] == 200
            sent += 1
            served = {
                int(pid)
                for pid in re.findall(r"aiohttp\.access: .*GET /confluence/echo.* pid=(\d+)", gateway.log())
            }
            if served == workers:
                break
        assert served == workers, (served, workers)
        # Both workers answer health probes, and any worker's /metrics counts every worker's requests.
        for _ in range(4):
            assert await _get(gateway.url("/livez")) == (200, "ok\n")
        status, body = await _get(gateway.url("/metrics"))
        assert status == 200
        # Only the echoes went to Confluence: the sum over both workers is exactly what we sent.
        assert _metric(body, "gateway_upstream_response_seconds_count") == sent
        assert _metric(body, "gateway_requests_total") >= sent + 4
        # The supervisor's lines say who wrote them, as the workers' do.
        assert "worker='supervisor'" in gateway.log()
        assert re.search(r"gateway listening on .* pid=\d+ worker=[01]\b", gateway.log())


async def test_killed_worker_is_replaced(tmp_path: Path, stub: TestServer, redis_url: str) -> None:
    config, port = _config(tmp_path, stub, redis_url)
    async with gateway_tree(tmp_path, config, port, workers=2) as gateway:
        sent = 0
        while {int(p) for p in re.findall(r"GET /confluence/echo.* pid=(\d+)", gateway.log())} != {
            w.pid for w in gateway.workers()
        }:  # both workers have answered, so the victim has counters to keep
            assert (await _get(gateway.url(f"{CTX}/echo")))[0] == 200
            sent += 1
            assert sent < 200
        victim = gateway.workers()[0]
        before = {w.pid for w in gateway.workers()}
        victim.kill()
        replaced = await wait_for(
            lambda: len(now := {w.pid for w in gateway.workers()}) == 2 and now != before and now,
            timeout=60,
            what="a replacement worker",
        )
        assert victim.pid not in replaced
        assert f"(pid {victim.pid}) was killed by SIGKILL" in gateway.log()
        for _ in range(20):
            assert (await _get(gateway.url(f"{CTX}/echo")))[0] == 200
        # Counters of the dead worker are kept: the scrape still counts what it answered before.
        status, body = await _get(gateway.url("/metrics"))
        assert status == 200 and _metric(body, "gateway_upstream_response_seconds_count") == 20 + sent


async def test_sigterm_drains_in_flight_request_then_all_exit_0(
    tmp_path: Path, stub: TestServer, redis_url: str
) -> None:
    config, port = _config(tmp_path, stub, redis_url, shutdown_drain_delay=1.0)
    async with gateway_tree(tmp_path, config, port, workers=2) as gateway:
        workers = gateway.workers()
        in_flight = asyncio.create_task(_get(gateway.url(f"{CTX}/slow?delay=3")))
        await wait_for(
            lambda: any(p.startswith(f"{CTX}/slow") for p in stub.app[STATE].paths), what="upstream"
        )
        gateway.process.send_signal(signal.SIGTERM)
        assert await in_flight == (200, "slow done")
        assert await asyncio.wait_for(gateway.process.wait(), 60) == 0
        for worker in workers:
            assert not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE
        log = gateway.log()
        assert "SIGTERM: stopping 2 workers" in log
        assert log.count("gateway stopped") == 3  # both workers, then the supervisor


async def test_port_taken_is_a_clear_error_not_a_restart_loop(
    tmp_path: Path, stub: TestServer, redis_url: str
) -> None:
    config, port = _config(tmp_path, stub, redis_url)
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # even a SO_REUSEPORT listener
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        async with gateway_tree(tmp_path, config, port, ready=False) as gateway:
            assert await asyncio.wait_for(gateway.process.wait(), 60) == 1
            log = gateway.log()
            assert f"cannot listen on 127.0.0.1:{port}: address already in use; no worker started" in log
            assert "worker 0 started" not in log and "Traceback" not in log


async def test_one_worker_runs_without_a_supervisor(tmp_path: Path, stub: TestServer, redis_url: str) -> None:
    config, port = _config(tmp_path, stub, redis_url, workers=1)
    async with gateway_tree(tmp_path, config, port) as gateway:
        assert gateway.workers() == []  # the process serving is the one we started
        assert (await _get(gateway.url(f"{CTX}/echo")))[0] == 200
        assert "supervisor" not in gateway.log() and not pids_in_log(gateway.log())
        gateway.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(gateway.process.wait(), 30) == 0


async def test_unusable_state_file_stops_before_any_worker(tmp_path: Path, stub: TestServer) -> None:
    assert stub.port is not None
    port = free_port()
    broken = tmp_path / "state.sqlite3"
    broken.write_text("x" * 5000)  # not a database
    config = write_config(
        tmp_path / "gateway.yaml",
        gateway_settings(stub.port, port),
        SECRETS,
        listen={"workers": 2},
        state={"path": str(broken)},
    )
    async with gateway_tree(tmp_path, config, port, ready=False) as gateway:
        assert await asyncio.wait_for(gateway.process.wait(), 60) == 1
        log = gateway.log()
        assert "cannot start: shared state (SQLite file" in log and "no worker started" in log
        assert "worker 0 started" not in log and "Traceback" not in log


async def test_workers_leave_when_the_supervisor_is_killed(
    tmp_path: Path, stub: TestServer, redis_url: str
) -> None:
    """No orphan keeps serving (and holding the port) after its supervisor died without a word."""
    config, port = _config(tmp_path, stub, redis_url)
    async with gateway_tree(tmp_path, config, port, workers=2) as gateway:
        workers = gateway.workers()
        gateway.process.kill()
        await gateway.process.wait()
        gone = await asyncio.to_thread(psutil.wait_procs, workers, 60)
        assert not gone[1], gone[1]
        for worker in workers:  # not our children (their exit status went to init): they say they drained
            assert re.search(rf"gateway stopped pid={worker.pid} ", gateway.log()), gateway.log()


async def test_a_worker_that_does_not_drain_is_killed(
    tmp_path: Path, stub: TestServer, redis_url: str
) -> None:
    """A stopped (SIGSTOP) worker never drains: after drain delay + shutdown_timeout + the margin the
    supervisor SIGKILLs it and exits 1, so systemd or Kubernetes sees that the stop was not clean."""
    config, port = _config(tmp_path, stub, redis_url, shutdown_timeout=0)
    async with gateway_tree(tmp_path, config, port, workers=2) as gateway:
        stuck, other = gateway.workers()
        stuck.suspend()
        gateway.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(gateway.process.wait(), 90) == 1
        log = gateway.log()
        assert f"(pid {stuck.pid}) did not drain in time; killing it" in log
        assert re.search(rf"gateway stopped pid={other.pid} ", log)
        assert not stuck.is_running()
