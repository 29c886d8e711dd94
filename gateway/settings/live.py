"""The settings in force now, swappable on reload (SIGHUP), and which keys a reload may change.

A reload never mutates a Settings object: it builds a new one and swaps the reference. Handlers
read `LiveSettings.current` once per request and use that object throughout, so one request sees
one consistent set of rules even when a reload lands while it waits on Confluence.

Which keys change without a restart is a short allow-list (RELOADABLE): everything else was used
at start to build something long-lived (the listener, worker processes, the shared state, upstream
sessions and clients, the routes under public_url, the JWT and link secrets), and a reload keeps
its old value and names the key as "not applied until restart".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from gateway.settings.models import ProxySettings, Settings

__all__ = ["RELOADABLE", "LiveSettings", "changed_keys", "merge_reload", "resolve_workers"]

# Dotted keys (or whole sections) a reload applies. Each is read per request (or per new
# connection or WebSocket) from LiveSettings.current, never captured at start.
RELOADABLE: tuple[str, ...] = (
    "rules",
    "injection",
    "logging",
    "proxy.max_upload_bytes",
    "proxy.websocket_heartbeat",
    "proxy.websocket_max_message_bytes",
)


class LiveSettings:
    """Holds the current Settings; `swap` replaces it whole (readers never see a half-applied one)."""

    __slots__ = ("_current",)

    def __init__(self, settings: Settings) -> None:
        self._current = settings

    @property
    def current(self) -> Settings:
        return self._current

    def swap(self, settings: Settings) -> None:
        self._current = settings


def resolve_workers(settings: Settings) -> Settings:
    """`settings` with listen.workers fixed to the number that will run, so the supervisor and every
    worker agree on it (state backend, upstream pool share) even where CPUs are counted differently."""
    count = settings.listen.worker_count
    return settings.model_copy(update={"listen": settings.listen.model_copy(update={"workers": count})})


def _leaves(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """(dotted key, value) for every key of a model, descending into nested models only."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _leaves(getattr(value, name), f"{prefix}.{name}" if prefix else name)
    else:
        yield prefix, value


def _reloadable(key: str) -> bool:
    return any(key == r or key.startswith(r + ".") for r in RELOADABLE)


def changed_keys(old: Settings, new: Settings) -> list[str]:
    """Dotted keys whose values differ (secrets compare by value and are named, never shown)."""
    before = dict(_leaves(old, ""))
    after = dict(_leaves(new, ""))
    return [key for key in after if before.get(key) != after[key]]


def merge_reload(current: Settings, new: Settings) -> tuple[Settings, list[str], list[str]]:
    """The settings a reload puts in force: `new`'s reloadable keys on top of `current`.

    Returns (effective settings, keys applied, keys not applied until restart).
    """
    changed = changed_keys(current, new)
    applied = [k for k in changed if _reloadable(k)]
    restart = [k for k in changed if not _reloadable(k)]
    proxy_update = {
        name: getattr(new.proxy, name) for name in ProxySettings.model_fields if _reloadable(f"proxy.{name}")
    }
    effective = current.model_copy(
        update={
            "rules": new.rules,
            "injection": new.injection,
            "logging": new.logging,
            "proxy": current.proxy.model_copy(update=proxy_update),
        }
    )
    return effective, applied, restart
