"""Callback success rule, retry schedule and forgotten files (reference §2.3, §8.2)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import aiohttp
import pytest

from gateway.testing.documents import extract_text
from tests.simulators.docserver.docserver_helpers import Sim, SimFactory, StubHost, editor_config

BASE = 0.2  # retry_base_delay for these tests: retries at 0.2 s, 0.4 s, 0.8 s


async def edit_and_leave(sim: Sim, host: StubHost, key: str, replies: list[str]) -> None:
    """One editor opens, types, leaves; the host answers status 2 (and its retries) with `replies`."""
    opened = await sim.state.open(editor_config(host, key), base_url=sim.base)
    await sim.state.drain()
    assert host.bodies(1), "status 1 first"
    host.script = list(replies)
    host.default_reply = replies[-1] if replies else "ok"
    sim.state.type_text(opened.participant, "unsaved words")
    sim.state.leave(opened.participant)
    await sim.state.drain()


def gaps(host: StubHost) -> list[float]:
    times = [r.at for r in host.callbacks[1:]]
    return [b - a for a, b in itertools.pairwise(times)]


@pytest.fixture
async def rsim(make_sim: SimFactory) -> Sim:
    return await make_sim(retry_base_delay=BASE, save_delay=0.05)


@pytest.mark.parametrize("reply", ["500", "503", "429", "drop"])
async def test_status_2_is_retried_three_times_at_1_2_4_base(rsim: Sim, host: StubHost, reply: str) -> None:
    await edit_and_leave(rsim, host, f"r-{reply}", [reply])
    attempts = host.bodies(2)
    assert len(attempts) == 4
    measured = gaps(host)
    assert len(measured) == 3
    for gap, expected in zip(measured, [BASE, 2 * BASE, 4 * BASE], strict=True):
        assert gap >= expected * 0.95
    assert measured[2] > measured[0]
    # Each retry regenerates fresh signed links.
    assert len({a["url"] for a in attempts}) == 4
    log = [a for a in rsim.state.callback_log if a.status == 2]
    assert [a.attempt for a in log] == [0, 1, 2, 3]
    assert not any(a.success for a in log)
    assert f"r-{reply}" in rsim.state.forgotten


@pytest.mark.parametrize("reply", ["404", "400", "error1", "empty204"])
async def test_no_retry_for_4xx_or_200_with_error(rsim: Sim, host: StubHost, reply: str) -> None:
    await edit_and_leave(rsim, host, f"n-{reply}", [reply])
    assert len(host.bodies(2)) == 1
    assert f"n-{reply}" in rsim.state.forgotten


async def test_success_after_a_retry_keeps_nothing_forgotten(rsim: Sim, host: StubHost) -> None:
    await edit_and_leave(rsim, host, "r-ok", ["500", "ok"])
    assert len(host.bodies(2)) == 2
    assert "r-ok" not in rsim.state.forgotten
    assert rsim.state.callback_log[-1].success is True
    assert rsim.state.callback_log[-1].http_status == 200


async def test_string_zero_is_success(rsim: Sim, host: StubHost) -> None:
    await edit_and_leave(rsim, host, "r-str", ["zero-string"])
    assert len(host.bodies(2)) == 1
    assert "r-str" not in rsim.state.forgotten


async def test_status_1_4_and_6_are_never_retried(rsim: Sim, host: StubHost) -> None:
    host.default_reply = "500"
    opened = await rsim.state.open(editor_config(host, "r-146", forcesave=True), base_url=rsim.base)
    await rsim.state.drain()
    rsim.state.type_text(opened.participant, "x")
    assert await rsim.state.force_save(opened.participant) is True
    await rsim.state.drain()
    other = await rsim.state.open(editor_config(host, "r-146b"), base_url=rsim.base)
    rsim.state.leave(other.participant)
    await rsim.state.drain()
    statuses = [b["status"] for b in host.bodies()]
    assert statuses == [1, 6, 1, 4]


async def test_forgotten_file_reopens_and_is_fetched_by_command(rsim: Sim, host: StubHost) -> None:
    await edit_and_leave(rsim, host, "forgot-1", ["500"])
    assert "forgot-1" in rsim.state.forgotten
    content = rsim.state.forgotten_content("forgot-1")
    assert content is not None and extract_text("docx", content) == "Quarterly report\nunsaved words"

    async with aiohttp.ClientSession() as client:
        resp = await client.post(rsim.url("/command"), json={"token": _cmd_token({"c": "getForgottenList"})})
        assert (await resp.json())["keys"] == ["forgot-1"]
        resp = await client.post(
            rsim.url("/command"), json={"token": _cmd_token({"c": "getForgotten", "key": "forgot-1"})}
        )
        answer = await resp.json()
        assert answer["error"] == 0 and answer["key"] == "forgot-1"
        resp = await client.get(answer["url"])
        assert extract_text("docx", await resp.read()) == "Quarterly report\nunsaved words"

    # Reopening the key opens the forgotten content; the next successful save has history {}.
    host.script, host.default_reply = [], "ok"
    downloads = len(host.downloads)
    again = await rsim.state.open(editor_config(host, "forgot-1"), base_url=rsim.base)
    assert again.session.text == "Quarterly report\nunsaved words"
    assert again.warning is not None and "forgotten" in again.warning
    assert len(host.downloads) == downloads
    rsim.state.leave(again.participant)
    await rsim.state.drain()
    final = host.bodies(2)[-1]
    assert final["history"] == {}
    assert "changesurl" not in final
    assert "forgot-1" not in rsim.state.forgotten


def _cmd_token(payload: dict[str, Any]) -> str:
    from tests.simulators.docserver.docserver_helpers import sign

    return sign(payload)


async def test_callback_log_records_responses(rsim: Sim, host: StubHost) -> None:
    await edit_and_leave(rsim, host, "log-1", ["error1"])
    entry = next(a for a in rsim.state.callback_log if a.status == 2)
    assert entry.http_status == 200
    assert json.loads(entry.response_text or "") == {"error": 1}
    assert entry.as_dict()["success"] is False
