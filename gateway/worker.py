"""One worker process under the supervisor: `python -m gateway.worker INDEX`, settings on stdin.

The supervisor writes the validated settings, the plugin factory and the config file's path
(pickled: it loaded and checked the config once, so every worker serves the same one) to the
worker's stdin and keeps the pipe open. SIGHUP (sent by the supervisor once it has validated a
changed file) makes the worker re-read that file and swap its reloadable settings (reload.py). End of file on stdin means the supervisor is gone (even SIGKILLed): the worker then drains and
exits instead of serving on as an orphan that holds the port. Exit codes tell the supervisor what
happened: 0 drained after a signal, EXIT_CANNOT_LISTEN or EXIT_CANNOT_START (do not restart),
anything else a crash.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import struct
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from gateway.allocator import tune_allocator
from gateway.logs import configure_for
from gateway.loop import EventLoopError
from gateway.loop import run as run_on_loop
from gateway.proxy.plugin import Plugin
from gateway.server import CannotListen, run
from gateway.settings import Settings
from gateway.state import StateUnavailable

__all__ = ["EXIT_CANNOT_LISTEN", "EXIT_CANNOT_START", "PluginFactory", "main", "pack_start"]

EXIT_CANNOT_LISTEN = 3
EXIT_CANNOT_START = 4  # the state file unusable, say: every restart would fail the same way
_LENGTH = struct.Struct("!Q")

PluginFactory = Callable[[Settings], Sequence[Plugin]]


async def _serve(settings: Settings, plugins: Sequence[Plugin], index: int, config_path: Path | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    stdin = sys.stdin.fileno()

    def supervisor_gone() -> None:
        if not os.read(stdin, 4096):
            loop.remove_reader(stdin)
            stop.set()

    os.set_blocking(stdin, False)
    loop.add_reader(stdin, supervisor_gone)
    await run(settings, plugins, worker=index, stop=stop, config_path=config_path)


def pack_start(settings: Settings, factory: PluginFactory, config_path: Path | None = None) -> bytes:
    """What the supervisor writes to a new worker's stdin: length, then the pickled triple."""
    payload = pickle.dumps((settings, factory, config_path))
    return _LENGTH.pack(len(payload)) + payload


def _read_start() -> tuple[Settings, PluginFactory, Path | None]:
    stdin = sys.stdin.buffer
    (length,) = _LENGTH.unpack(stdin.read(_LENGTH.size))
    settings, factory, config_path = pickle.loads(stdin.read(length))  # our own supervisor's, through a pipe
    return settings, factory, config_path


def main(argv: Sequence[str] | None = None) -> int:
    tune_allocator()  # before the first thread
    index = int((argv if argv is not None else sys.argv[1:])[0])
    settings, factory, config_path = _read_start()
    configure_for(settings, worker=index)
    try:
        run_on_loop(_serve(settings, factory(settings), index, config_path))
    except CannotListen as error:
        logging.getLogger("gateway.worker").error("%s", error)
        return EXIT_CANNOT_LISTEN
    except (StateUnavailable, EventLoopError) as error:
        logging.getLogger("gateway.worker").error("cannot start: %s", error)
        return EXIT_CANNOT_START
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
