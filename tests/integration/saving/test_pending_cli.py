"""`onlyoffice-gateway pending` on a real backlog: edits made while Confluence was down.

The gateway's own recovery loop is slowed to once an hour, so what finishes the save is the
command run as a subprocess (`python -m gateway pending --retry KEY`), exactly as an admin would.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.testing.confluence import FAULTS
from gateway.testing.stack import SERVICE_ACCOUNT_TOKEN, Stack, free_port, running_stack
from tests.integration.saving.saving_helpers import FAST, attachment, text_of
from tests.integration.saving.test_saving_recovery import _edit_while_confluence_is_down

SLOW_RECOVERY = {"recovery_interval": 3600.0}  # only the command line finishes saves here


@pytest.fixture(params=["sqlite", "redis"])
def durable_state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    if request.param == "sqlite":
        yield {"path": str(tmp_path / "state.sqlite3")}
        return
    redis_url: str = request.getfixturevalue("redis_url")
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield {"redis_url": redis_url}
    client.flushdb()
    client.close()


def _config_file(stack: Stack, folder: Path, state: dict[str, Any] | None) -> Path:
    """The running gateway's config as an admin's file: same URLs, secret and state."""
    settings = stack.settings
    data: dict[str, Any] = {
        "listen": {"host": stack.host, "port": stack.gateway_port, "workers": 1},
        "public_url": settings.public_url,
        "confluence": {"url": settings.confluence.url, "auth": {"token": SERVICE_ACCOUNT_TOKEN}},
        "documentserver": {
            "public_url": settings.documentserver.public_url,
            "jwt": {"secret": settings.documentserver.jwt.secret.get_secret_value()},
        },
    }
    if state is not None:
        data["state"] = state
    path = folder / "gateway.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


async def _pending(config: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the command in its own process; the simulators keep serving on this event loop meanwhile."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "pending",
        "--config",
        str(config),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def stack(durable_state: dict[str, Any]) -> AsyncIterator[Stack]:
    settings = {"documentserver": SLOW_RECOVERY, "state": durable_state}
    async with running_stack(**FAST, settings=settings) as running:
        yield running


async def test_lists_the_backlog_and_retries_one_save_exactly_once(
    stack: Stack, durable_state: dict[str, Any], tmp_path: Path
) -> None:
    config = _config_file(stack, tmp_path, durable_state)
    att = attachment(stack)
    key = await _edit_while_confluence_is_down(stack, "Saved by the admin's retry")

    # Confluence still down: listed from the state and the Document Server, names unknown.
    code, out, err = await _pending(config)
    assert code == 0, err
    assert "1 save not yet in Confluence" in out
    line = next(line for line in out.splitlines() if line.startswith(key))
    assert f"attachment {att.id}" in line and "ready" in line and "from version 1" in line
    assert "attempts 0" in line and "editors Alice Example" in line
    assert "file names unknown: Confluence did not answer" in err

    # A retry while Confluence is down fails, says why, and is counted.
    code, out, err = await _pending(config, "--retry", key)
    assert code == 1 and "not saved: may pass, retried at the next recovery pass" in err, (out, err)
    code, out, _ = await _pending(config, "--json")
    listing = json.loads(out)
    assert code == 0 and listing["complete"] is True
    [row] = listing["pending"]
    assert row["key"] == key and row["attachment_id"] == str(att.id) and row["base_version"] == 1
    assert row["status"] == "ready" and row["in_state"] and row["copy_on_docserver"]
    assert row["attempts"] == 1 and row["last_error"] and row["since"] > 0
    assert len(att.versions) == 1

    # Confluence back: the names appear; the retry adds exactly one version and empties the backlog.
    stack.confluence_app[FAULTS].unavailable = False
    code, out, err = await _pending(config)
    assert code == 0 and "'report.docx' on page" in out and "'Welcome'" in out, (out, err)
    code, out, err = await _pending(config, "--retry", key)
    assert code == 0 and f"{key}: saved as version 2" in out, (out, err)
    assert len(att.versions) == 2
    assert "Saved by the admin's retry" in text_of(stack, att)
    assert att.current.comment == "Edited in ONLYOFFICE by Alice Example (recovered after a failed save)"
    assert key not in stack.docserver.forgotten
    code, out, _ = await _pending(config)
    assert code == 0 and "no saves pending" in out
    assert json.loads((await _pending(config, "--json"))[1])["pending"] == []

    # Once more: nothing pending under that key any more, and no second version.
    code, out, err = await _pending(config, "--retry", key)
    assert code == 0 and f"{key}: not pending: already saved (version 2)" in out, (out, err)
    code, out, err = await _pending(config, "--retry", key.rsplit("_", 1)[0] + "_7")
    assert code == 1 and "unknown key" in err and "not pending" in err
    await asyncio.sleep(0.5)
    assert len(att.versions) == 2


async def test_memory_state_says_the_records_are_out_of_reach(tmp_path: Path) -> None:
    async with running_stack(**FAST, settings={"documentserver": SLOW_RECOVERY}) as stack:
        config = _config_file(stack, tmp_path, None)
        key = await _edit_while_confluence_is_down(stack, "Kept by the Document Server")
        code, out, err = await _pending(config)
        assert code == 3, (out, err)
        assert "the shared state is in memory" in err and "cannot be read from here" in err
        assert key in out  # the Document Server's copy is still listed
        code, out, err = await _pending(config, "--json")
        listing = json.loads(out)
        assert code == 3 and listing["complete"] is False and listing["warnings"]
        assert [row["key"] for row in listing["pending"]] == [key]
        code, _, err = await _pending(config, "--retry", key)
        assert code == 1 and "cannot retry" in err and "could not share the running gateway's locks" in err
        assert len(attachment(stack).versions) == 1


async def test_unreachable_state_is_an_error_not_an_empty_backlog(tmp_path: Path) -> None:
    async with running_stack(**FAST, settings={"documentserver": SLOW_RECOVERY}) as stack:
        down = _config_file(stack, tmp_path, {"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
        code, out, err = await _pending(down)
        assert code == 1 and out == ""
        assert "cannot read the pending saves" in err and "Redis" in err
        code, _, err = await _pending(down, "--retry", "anything")
        assert code == 1 and "cannot read the pending saves" in err
        missing = tmp_path / "nowhere" / "state.sqlite3"
        code, out, err = await _pending(_config_file(stack, tmp_path, {"path": str(missing)}))
        assert code == 1 and f"no state file at {missing}" in err
        assert not missing.exists()  # nothing created by looking
        # Several workers and no state keys: the default file, found through $STATE_DIRECTORY.
        several = _config_file(stack, tmp_path, None)
        several.write_text(several.read_text().replace("workers: 1", "workers: 2"))
        code, _, err = await _pending(several, env={"STATE_DIRECTORY": str(tmp_path / "service-state")})
        assert code == 1 and f"no state file at {tmp_path / 'service-state' / 'state.sqlite3'}" in err
        assert "$STATE_DIRECTORY" in err


async def test_a_retry_racing_the_gateways_own_recovery_saves_once(tmp_path: Path) -> None:
    """The command and a running gateway's recovery pass on the same key: one version, not two."""
    state = {"path": str(tmp_path / "state.sqlite3")}
    settings = {"documentserver": {"recovery_interval": 0.2}, "state": state}
    async with running_stack(**FAST, settings=settings) as stack:
        config = _config_file(stack, tmp_path, state)
        att = attachment(stack)
        key = await _edit_while_confluence_is_down(stack, "Raced")
        stack.confluence_app[FAULTS].unavailable = False  # the gateway's next pass saves it too
        code, out, err = await _pending(config, "--retry", key)
        assert code == 0, (out, err)
        assert f"{key}: saved as version 2" in out or f"{key}: not pending: already saved (version 2)" in out
        await asyncio.sleep(1.0)  # more recovery passes
        assert len(att.versions) == 2
        assert "Raced" in text_of(stack, att)
        code, out, _ = await _pending(config)
        assert code == 0 and "no saves pending" in out
