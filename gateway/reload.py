"""Reload on SIGHUP (`systemctl reload`): re-read the config file, validate it whole, then swap.

The new file goes through the same loader as at start (every problem as `file:line: key: message`,
secrets never shown). Only when it is valid are the reloadable keys (settings/live.py RELOADABLE:
rules, injection, logging, some proxy limits) put in force, by swapping the one Settings
reference requests read; requests already running keep the object they started with, open
WebSockets and uploads are not touched. Keys that need a restart keep their old value and are
named in the log. An invalid file changes nothing: the gateway serves on with what it had.

With worker processes the supervisor validates first (so a bad file is reported once), then
sends SIGHUP to each worker, which re-reads the file and swaps its own settings the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from gateway.logs import configure_for
from gateway.settings import ConfigError, Settings, load_settings
from gateway.settings.live import LiveSettings, merge_reload, resolve_workers

__all__ = ["Reloaded", "read_reload", "reload_live"]

log = logging.getLogger("gateway.reload")


@dataclass(frozen=True)
class Reloaded:
    settings: Settings  # what is in force after the reload
    applied: list[str]  # dotted keys that changed and took effect
    restart: list[str]  # dotted keys that changed but wait for a restart


def read_reload(path: Path, current: Settings) -> Reloaded:
    """The settings `path` asks for, merged onto `current`; raises ConfigError when it is invalid."""
    new = load_settings(path)
    if current.listen.workers is not None and new.listen.workers is None:
        new = resolve_workers(new)  # "one per CPU" as the running gateway counted them
    effective, applied, restart = merge_reload(current, new)
    return Reloaded(effective, applied, restart)


def reload_live(
    live: LiveSettings, path: Path, *, worker: int | str | None = None, name_restart: bool = True
) -> Reloaded | None:
    """Reload `live` from `path`, logging the outcome; None (and nothing changed) when invalid.

    `name_restart`: log the keys that need a restart (a worker leaves that to its supervisor).
    """
    try:
        reloaded = read_reload(path, live.current)
    except ConfigError as error:
        log.error("reload refused, still serving with the previous settings: %s", "; ".join(error.problems))
        return None
    live.swap(reloaded.settings)
    configure_for(reloaded.settings, worker=worker)
    log_outcome(path, reloaded, name_restart=name_restart)
    return reloaded


def log_outcome(path: Path, reloaded: Reloaded, *, name_restart: bool = True) -> None:
    if reloaded.applied:
        log.info("reloaded %s: applied %s", path, ", ".join(reloaded.applied))
    else:
        log.info("reloaded %s: no reloadable key changed", path)
    if reloaded.restart and name_restart:
        log.warning("reload: not applied until restart: %s", ", ".join(reloaded.restart))
