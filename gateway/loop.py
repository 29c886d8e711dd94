"""The event loop the gateway runs on: uvloop when installed (the `speed` extra), else asyncio's.

uvloop's transports do the per-request socket and timer work in C; measured on the proxy hot
path it cuts the gateway's CPU per request (numbers in the commit that added it). Set
`GATEWAY_EVENT_LOOP=asyncio` to run on the standard loop anyway (to rule it out when debugging).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["ENV", "EventLoopError", "loop_factory", "run"]

log = logging.getLogger("gateway.loop")

ENV = "GATEWAY_EVENT_LOOP"
_CHOICES = ("auto", "uvloop", "asyncio")

_T = TypeVar("_T")


class EventLoopError(ValueError):
    """$GATEWAY_EVENT_LOOP names no loop this installation can run."""


def loop_factory(choice: str | None = None) -> tuple[str, Callable[[], asyncio.AbstractEventLoop] | None]:
    """The loop's name and factory for `choice` (default: $GATEWAY_EVENT_LOOP, else "auto").

    "auto" takes uvloop if it imports, "uvloop" insists on it, "asyncio" never uses it.
    """
    choice = (choice if choice is not None else os.environ.get(ENV, "auto")).strip().lower() or "auto"
    if choice not in _CHOICES:
        raise EventLoopError(f"{ENV} must be one of {', '.join(_CHOICES)}, not {choice[:40]!r}")
    if choice == "asyncio":
        return "asyncio", None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise EventLoopError(
                f"{ENV}=uvloop but uvloop is not installed (pip install '.[speed]')"
            ) from None
        return "asyncio", None
    version = getattr(uvloop, "__version__", "?")
    return f"uvloop {version}", uvloop.new_event_loop


def run(main: Coroutine[Any, Any, _T], choice: str | None = None) -> _T:
    """asyncio.run(main) on the loop `loop_factory` picks, saying which one in the log."""
    try:
        name, factory = loop_factory(choice)
    except EventLoopError:
        main.close()  # never awaited: no "coroutine was never awaited" warning on a bad setting
        raise
    log.info("event loop: %s", name)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
