"""The processes a bench run starts: pinned with taskset, measured with psutil, all stopped at the end.

Every server runs in its own session (process group), so stopping one stops its workers too, and
stopping goes by the group ids this run started, never by name. `Processes` is a context manager:
leaving it, also through Ctrl-C or an error, terminates and then kills whatever is left.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import psutil  # type: ignore[import-untyped,unused-ignore]

MiB = 1024 * 1024


def pinned(command: Sequence[str], cpus: str | None) -> list[str]:
    """`command` run under `taskset -c cpus` (None: unpinned, or taskset missing)."""
    if cpus is None or shutil.which("taskset") is None:
        return list(command)
    return ["taskset", "-c", cpus, *command]


class Processes:
    """Servers started for one run; stopped (group by group) when the block is left."""

    def __init__(self, logs: Path) -> None:
        self._logs = logs
        self._started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: Sequence[str], cpus: str | None = None) -> subprocess.Popen[bytes]:
        """Start a server; its output goes to `logs/name.log` (shown when it dies early)."""
        log = (self._logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            pinned(command, cpus), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self._started.append((name, process))
        return process

    def check_alive(self) -> None:
        """Fail with the server's own log when one of them has exited."""
        for name, process in self._started:
            if process.poll() is not None:
                tail = (self._logs / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail}")

    def stop(self) -> None:
        for _, process in self._started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, process in self._started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        self._started.clear()

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def tree(pid: int) -> list[psutil.Process]:
    """The process and all its descendants (a gateway's supervisor and workers)."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def tree_rss(pid: int) -> int:
    total = 0
    for process in tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += process.memory_info().rss
    return total


def python_processes(pid: int) -> int:
    """How many processes of the tree run Python (taskset execs into it, so the root counts)."""
    count = 0
    for process in tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            if "python" in Path(process.exe()).name:
                count += 1
    return count


class PeakRss:
    """Samples a process tree's summed RSS every 20 ms in a thread, while the block runs."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.baseline = 0
        self.peak = 0

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, tree_rss(self._pid))

    @property
    def growth_mib(self) -> float:
        return max(0, self.peak - self.baseline) / MiB

    def __enter__(self) -> PeakRss:
        self.baseline = self.peak = tree_rss(self._pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self._pid))
