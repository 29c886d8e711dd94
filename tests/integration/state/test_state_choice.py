"""Which store `create_state` opens, and where the SQLite file goes when nobody said."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gateway.onlyoffice.context import ONLYOFFICE_CONTEXT
from gateway.settings.models import StateSettings
from gateway.state import MemoryState, RedisState, SqliteState, create_state, default_state_path
from gateway.testing.stack import running_stack


def test_default_location_follows_systemd_then_xdg_then_home(tmp_path: Path) -> None:
    assert default_state_path(
        {"STATE_DIRECTORY": "/var/lib/gw:/var/lib/other", "XDG_STATE_HOME": "/x"}
    ) == Path("/var/lib/gw/state.sqlite3")
    assert default_state_path({"XDG_STATE_HOME": "/x", "HOME": "/home/u"}) == Path(
        "/x/onlyoffice-gateway/state.sqlite3"
    )
    assert default_state_path({"HOME": "/home/u"}) == Path(
        "/home/u/.local/state/onlyoffice-gateway/state.sqlite3"
    )


async def test_the_choice_and_its_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gateway.state")
    environ = {"STATE_DIRECTORY": str(tmp_path / "systemd")}
    memory = create_state(StateSettings(), workers=1, environ=environ)
    assert isinstance(memory, MemoryState)
    assert "shared state: in memory (one worker; set state.path" in caplog.text

    configured = create_state(StateSettings(path=str(tmp_path / "mine.sqlite3")), workers=1, environ=environ)
    assert isinstance(configured, SqliteState) and configured.path == tmp_path / "mine.sqlite3"
    assert f"shared state: SQLite file {tmp_path}/mine.sqlite3 (state.path)" in caplog.text
    await configured.close()

    default = create_state(StateSettings(), workers=3, environ=environ)
    assert isinstance(default, SqliteState) and default.path == tmp_path / "systemd" / "state.sqlite3"
    assert (tmp_path / "systemd" / "state.sqlite3").is_file()
    assert f"SQLite file {tmp_path}/systemd/state.sqlite3 (default for 3 workers" in caplog.text
    await default.close()

    both = StateSettings(redis_url="redis://127.0.0.1:1/0", path=str(tmp_path / "unused.sqlite3"))
    redis = create_state(both, workers=3, environ=environ)
    assert isinstance(redis, RedisState) and not (tmp_path / "unused.sqlite3").exists()
    await redis.close()


async def test_the_test_stack_keeps_memory_unless_several_workers_are_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_stack() as stack:
        assert isinstance(stack.gateway_app[ONLYOFFICE_CONTEXT].state, MemoryState)
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path))
    async with running_stack(settings={"listen": {"workers": 2}}) as stack:
        state = stack.gateway_app[ONLYOFFICE_CONTEXT].state
        assert isinstance(state, SqliteState) and state.path == tmp_path / "state.sqlite3"
