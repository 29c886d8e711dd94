"""Which backend holds the shared state, decided once at start from `state` and the worker count."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from gateway.settings.models import StateSettings
from gateway.state.base import SharedState
from gateway.state.memory import MemoryState
from gateway.state.redis import RedisState
from gateway.state.sqlite import SqliteState

__all__ = ["create_state", "default_state_path"]

log = logging.getLogger("gateway.state")

_FILE = "state.sqlite3"
_APP = "onlyoffice-gateway"


def default_state_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where several workers share state when nothing is configured: systemd's StateDirectory, else XDG."""
    env = os.environ if environ is None else environ
    if env.get("STATE_DIRECTORY"):
        # systemd may list several directories, separated by ":"; the first is ours.
        return Path(env["STATE_DIRECTORY"].split(":")[0]) / _FILE
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]) / _APP / _FILE
    return Path.home() / ".local" / "state" / _APP / _FILE


def create_state(
    settings: StateSettings, *, workers: int = 1, environ: Mapping[str, str] | None = None
) -> SharedState:
    """Redis when `redis_url` is set (several hosts); else SQLite at `path`; else memory for one
    worker; else (several workers, nothing configured) SQLite at `default_state_path()`.

    Raises `StateUnavailable` (naming the file) when the SQLite file cannot be opened.
    """
    if settings.redis_url:
        log.info("shared state: Redis")
        return RedisState(settings.redis_url)
    if settings.path:
        path, why = Path(settings.path), "state.path"
    elif workers <= 1:
        log.info("shared state: in memory (one worker; set state.path to keep it across restarts)")
        return MemoryState()
    else:
        path, why = default_state_path(environ), f"default for {workers} workers"
    state = SqliteState(path)
    log.info("shared state: SQLite file %s (%s)", path, why)
    return state
