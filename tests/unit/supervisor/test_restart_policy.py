"""The supervisor's restart policy: quick deaths back off and finally give up; a worker that ran a
while is restarted at once; a worker that cannot listen or start stops everything."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from gateway.settings import Settings
from gateway.supervisor import GIVE_UP, MAX_BACKOFF, QUICK_DEATH, _Slot, _Supervisor
from gateway.testing.stack import _settings
from gateway.worker import EXIT_CANNOT_LISTEN, EXIT_CANNOT_START


@pytest.fixture
def supervisor(tmp_path: object) -> Iterator[_Supervisor]:
    settings: Settings = _settings("127.0.0.1", 1, 2, 3, {})
    reader, writer = socket.socketpair()
    try:
        yield _Supervisor(settings, lambda s: [], str(tmp_path), reader, [])
    finally:
        reader.close()
        writer.close()


def _delay(slot: _Slot) -> float:
    assert slot.restart_at is not None
    return slot.restart_at - time.monotonic()


def test_quick_deaths_back_off_then_give_up(supervisor: _Supervisor) -> None:
    slot = _Slot(0)
    delays = []
    for _ in range(GIVE_UP - 1):
        slot.started = time.monotonic()
        supervisor.died(slot, 123, 1)
        assert not supervisor.failed
        delays.append(_delay(slot))
    assert delays == sorted(delays) and delays[0] > 0 and delays[-1] <= MAX_BACKOFF
    slot.started = time.monotonic()
    supervisor.died(slot, 123, 1)
    assert supervisor.failed


def test_a_worker_that_ran_a_while_is_restarted_at_once(supervisor: _Supervisor) -> None:
    slot = _Slot(0, quick_deaths=GIVE_UP - 1)
    slot.started = time.monotonic() - QUICK_DEATH - 1
    supervisor.died(slot, 123, -9)
    assert not supervisor.failed and slot.quick_deaths == 0 and _delay(slot) <= 0


@pytest.mark.parametrize("code", [EXIT_CANNOT_LISTEN, EXIT_CANNOT_START])
def test_cannot_listen_or_start_is_not_retried(supervisor: _Supervisor, code: int) -> None:
    slot = _Slot(0)
    slot.started = time.monotonic() - 100
    supervisor.died(slot, 123, code)
    assert supervisor.failed and slot.restart_at is None
