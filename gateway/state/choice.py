"""Which backend holds the shared state, decided once at start from `state` and the worker count."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gateway.settings.models import StateSettings
from gateway.state.base import SharedState
from gateway.state.memory import MemoryState
from gateway.state.redis import RedisState
from gateway.state.sqlite import SqliteState

__all__ = ["StateChoice", "choose_state", "create_state", "default_state_path"]

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
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".local" / "state" / _APP / _FILE


@dataclass(frozen=True)
class StateChoice:
    kind: Literal["redis", "sqlite", "memory"]
    why: str  # what made it so, for the start log and `check`
    path: Path | None = None  # the SQLite file

    def describe(self) -> str:
        if self.kind == "sqlite":
            return f"SQLite file {self.path} ({self.why})"
        return f"{'Redis' if self.kind == 'redis' else 'in memory'} ({self.why})"


def choose_state(
    settings: StateSettings, *, workers: int = 1, environ: Mapping[str, str] | None = None
) -> StateChoice:
    """Redis when `redis_url` is set (several hosts); else SQLite at `path`; else memory for one
    worker; else (several workers, nothing configured) SQLite at `default_state_path()`."""
    if settings.redis_url:
        return StateChoice("redis", "state.redis_url")
    if settings.path:
        return StateChoice("sqlite", "state.path", Path(settings.path))
    if workers <= 1:
        return StateChoice("memory", "one worker; set state.path to keep it across restarts")
    where = default_state_path(environ)
    return StateChoice("sqlite", f"default for {workers} workers; set state.path to choose", where)


def create_state(
    settings: StateSettings, *, workers: int = 1, environ: Mapping[str, str] | None = None
) -> SharedState:
    """The backend `choose_state` picks, opened; logs which one.

    Raises `StateUnavailable` (naming the file) when the SQLite file cannot be opened.
    """
    choice = choose_state(settings, workers=workers, environ=environ)
    state: SharedState
    if settings.redis_url:  # what choose_state picks first
        state = RedisState(settings.redis_url)
    elif choice.path is not None:
        state = SqliteState(choice.path)
    else:
        state = MemoryState()
    log.info("shared state: %s", choice.describe())
    return state
