"""The supervisor: with `listen.workers` > 1, one parent process runs N worker processes on one port.

How the port is shared: every worker binds it with SO_REUSEPORT and the kernel spreads new
connections across the workers' accept queues. A socket bound once in the parent and inherited
(aiohttp's SockSite) was the other choice; on Linux every idle worker is woken for each connection
on a shared socket (asyncio cannot ask for EPOLLEXCLUSIVE) and the last one back in epoll_wait tends
to win, so load spreads unevenly, which is what the benchmarks against nginx measure. The costs of
SO_REUSEPORT are handled here: (1) it would let us join a stale gateway still on the port, so the
supervisor first binds the port *without* SO_REUSEPORT, which fails while anyone listens: "port
taken" is reported before any worker starts; (2) between worker restarts another program could take
the port, so the supervisor keeps a bound, non-listening SO_REUSEPORT socket for its lifetime (it
gets no connections; only our own uid's SO_REUSEPORT sockets can join it); (3) connections queued on
a worker that dies are reset (Linux >= 5.14 moves them with net.ipv4.tcp_migrate_req=1).

Workers are fresh interpreters (`python -m gateway.worker`), never forks: the parent has imported
aiohttp and may have threads, and no event loop, thread or session may cross a fork. The parent has
no event loop either: a loop over select() on a signal wake-up pipe, and waitpid.

Restarts: a worker that exits while we are not stopping is started again, at once if it ran for a
while, after a growing delay if it died within QUICK_DEATH seconds of starting; GIVE_UP such deaths
in a row and the supervisor stops everything and exits 1 (a crash loop must not spin). A worker
that cannot bind or start (state file unusable) says so in its exit status and the supervisor
exits 1 at once.

SIGHUP: the supervisor re-reads and validates the config file (reload.py); when it is invalid
the reason is logged once and nothing changes; otherwise the reloadable keys are applied (also for
workers started later), the keys needing a restart are named, and SIGHUP goes to every worker,
which re-reads the file and swaps its own settings. A worker is started with SIGHUP blocked (the
mask survives exec), so a reload arriving while it is still starting waits instead of killing it.

SIGTERM/SIGINT: forwarded (as SIGTERM) to every worker, which drains as one process does (readiness
503, in-flight requests get proxy.shutdown_timeout); workers still running after drain delay +
shutdown_timeout + STOP_MARGIN are SIGKILLed. Exit 0 when every worker drained.

Metrics: a private PROMETHEUS_MULTIPROC_DIR made before the first worker starts and removed at
exit; a worker's live gauges are dropped (mark_process_dead) when it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from prometheus_client.multiprocess import mark_process_dead

from gateway.logs import configure_for
from gateway.observability import MULTIPROC_DIR_ENV
from gateway.reload import log_outcome, read_reload
from gateway.settings import ConfigError, Settings
from gateway.settings.live import resolve_workers
from gateway.state import StateUnavailable, create_state
from gateway.worker import EXIT_CANNOT_LISTEN, EXIT_CANNOT_START, PluginFactory, pack_start

__all__ = ["GIVE_UP", "QUICK_DEATH", "STOP_MARGIN", "resolve_workers", "supervise"]

log = logging.getLogger("gateway.supervisor")

QUICK_DEATH = 10.0  # seconds: a worker dying sooner than this after its start counts towards GIVE_UP
GIVE_UP = 5  # quick deaths in a row of one worker slot
MAX_BACKOFF = 8.0
STOP_MARGIN = 10.0  # seconds beyond the drain for a worker to finish starting and close its session


@dataclass
class _Slot:
    index: int
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_deaths: int = 0
    restart_at: float | None = None


@dataclass
class _Supervisor:
    settings: Settings
    factory: PluginFactory
    metrics_dir: str
    wakeup: socket.socket
    received: list[int]  # appended to by the SIGTERM/SIGINT/SIGHUP handler
    config_path: Path | None = None
    slots: list[_Slot] = field(default_factory=list)
    failed: bool = False

    @property
    def stop_signal(self) -> int | None:
        return next((s for s in self.received if s != signal.SIGHUP), None)

    def reload(self) -> None:
        """SIGHUPs received: validate the file once here, then have every worker reload it."""
        if signal.SIGHUP not in self.received:
            return
        self.received[:] = [s for s in self.received if s != signal.SIGHUP]
        if self.config_path is None:
            log.warning("SIGHUP: nothing to reload (settings not read from a file)")
            return
        try:
            reloaded = read_reload(self.config_path, self.settings)
        except ConfigError as error:
            log.error("reload refused, workers keep the previous settings: %s", "; ".join(error.problems))
            return
        self.settings = reloaded.settings  # what workers started from now on get
        configure_for(reloaded.settings, worker="supervisor")
        log_outcome(self.config_path, reloaded)
        for slot in self.slots:
            if slot.process is not None and slot.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    slot.process.send_signal(signal.SIGHUP)

    def wait(self, timeout: float) -> None:
        """Sleep until a signal arrives (SIGCHLD included) or `timeout` passes."""
        ready, _, _ = select.select([self.wakeup], [], [], timeout)
        if ready:
            with contextlib.suppress(BlockingIOError):
                while self.wakeup.recv(4096):
                    pass

    def start(self, slot: _Slot) -> None:
        # Blocked across the fork and exec: the worker inherits the mask and unblocks SIGHUP once it
        # handles it; one arriving here meanwhile is delivered to us right after.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "gateway.worker", str(slot.index)],
                stdin=subprocess.PIPE,
                process_group=0,  # a terminal's Ctrl-C reaches the supervisor only; it forwards
            )
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGHUP})
        assert process.stdin is not None
        try:
            process.stdin.write(pack_start(self.settings, self.factory, self.config_path))
            process.stdin.flush()  # and stays open: its end of file tells the worker we are gone
        except BrokenPipeError:
            pass  # it died at once; reaped like any other exit
        slot.process, slot.started, slot.restart_at = process, time.monotonic(), None
        log.info("worker %d started (pid %d)", slot.index, process.pid)

    def reap(self, slot: _Slot) -> int | None:
        """The exit code of a worker that ended (its metrics files tidied), None while it runs."""
        process = slot.process
        if process is None or process.poll() is None:
            return None
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        mark_process_dead(process.pid, self.metrics_dir)  # type: ignore[no-untyped-call]
        slot.process = None
        return process.returncode

    def died(self, slot: _Slot, pid: int, code: int) -> None:
        """A worker ended while we were serving: schedule its restart, or give up."""
        lived = time.monotonic() - slot.started
        how = _describe(code)
        if code in (EXIT_CANNOT_LISTEN, EXIT_CANNOT_START):
            what = "cannot listen" if code == EXIT_CANNOT_LISTEN else "cannot start"
            log.error("worker %d (pid %d) %s; stopping (see its error above)", slot.index, pid, what)
            self.failed = True
            return
        slot.quick_deaths = slot.quick_deaths + 1 if lived < QUICK_DEATH else 0
        if slot.quick_deaths >= GIVE_UP:
            log.error(
                "worker %d died %d times within %.0f s of starting (last: %s); giving up",
                slot.index,
                slot.quick_deaths,
                QUICK_DEATH,
                how,
            )
            self.failed = True
            return
        delay = min(MAX_BACKOFF, 0.5 * 2 ** (slot.quick_deaths - 1)) if slot.quick_deaths else 0.0
        log.warning(
            "worker %d (pid %d) %s after %.1f s; restarting it in %.1f s", slot.index, pid, how, lived, delay
        )
        slot.restart_at = time.monotonic() + delay

    def serve(self) -> None:
        for slot in self.slots:
            self.start(slot)
        while self.stop_signal is None and not self.failed:
            now = time.monotonic()
            waits = [s.restart_at - now for s in self.slots if s.restart_at is not None]
            self.wait(max(0.0, min(waits)) if waits else 1.0)
            self.reload()
            for slot in self.slots:
                pid = slot.process.pid if slot.process else 0
                code = self.reap(slot)
                if code is not None and self.stop_signal is None:
                    self.died(slot, pid, code)
            now = time.monotonic()
            for slot in self.slots:
                if slot.restart_at is not None and slot.restart_at <= now and not self.failed:
                    self.start(slot)

    def kill_all(self) -> None:
        """Never leave a worker behind, whatever went wrong."""
        for slot in self.slots:
            if slot.process is not None and slot.process.poll() is None:
                slot.process.kill()
                slot.process.wait()

    def stop(self) -> bool:
        """SIGTERM to every worker, wait for their drain, SIGKILL stragglers; True if all drained."""
        proxy = self.settings.proxy
        running = [s for s in self.slots if s.process is not None]
        if self.stop_signal is not None:
            log.info(
                "%s: stopping %d workers (draining up to %.0f s)",
                signal.Signals(self.stop_signal).name,
                len(running),
                proxy.shutdown_timeout,
            )
        for slot in running:
            assert slot.process is not None
            with contextlib.suppress(ProcessLookupError):
                slot.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + proxy.shutdown_drain_delay + proxy.shutdown_timeout + STOP_MARGIN
        clean = True
        while running:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                for slot in running:
                    assert slot.process is not None
                    log.error(
                        "worker %d (pid %d) did not drain in time; killing it", slot.index, slot.process.pid
                    )
                    slot.process.kill()
                    slot.process.wait()
                    self.reap(slot)
                return False
            self.wait(min(remaining, 1.0))
            for slot in list(running):
                assert slot.process is not None
                pid = slot.process.pid
                code = self.reap(slot)
                if code is None:
                    continue
                running.remove(slot)
                if code not in (0, -signal.SIGTERM):  # -SIGTERM: still starting, nothing in flight
                    log.error("worker %d (pid %d) %s while stopping", slot.index, pid, _describe(code))
                    clean = False
        return clean


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


def _probe_port(host: str, port: int) -> None:
    """Raise OSError if anyone listens on host:port, SO_REUSEPORT listeners (a stale gateway) included."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


@contextlib.contextmanager
def _reserved_port(host: str, port: int) -> Iterator[None]:
    """Hold host:port for our workers (bound, SO_REUSEPORT, never listening) while we run."""
    _probe_port(host, port)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as reserve:
        reserve.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        reserve.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        reserve.bind((host, port))
        yield


@contextlib.contextmanager
def _signals() -> Iterator[tuple[socket.socket, list[int]]]:
    """SIGTERM/SIGINT/SIGHUP recorded, and every signal (SIGCHLD too) wakes the select() loop."""
    received: list[int] = []
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)

    def on_stop(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    handled = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)
    previous = {s: signal.getsignal(s) for s in handled}
    old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGHUP, on_stop)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)  # only to wake select()
    try:
        yield reader, received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(old_fd)
        reader.close()
        writer.close()


def _state_opens(settings: Settings) -> bool:
    """Open and close the shared state once here, so an unusable state file is one clear line
    before any worker starts (not N workers failing the same way)."""
    try:
        state = create_state(settings.state, workers=settings.listen.worker_count)
    except StateUnavailable as error:
        log.error("cannot start: %s; no worker started", error)
        return False
    asyncio.run(state.close())  # a loop of its own, gone before any worker starts (they are not forks)
    return True


def supervise(settings: Settings, factory: PluginFactory, config_path: Path | None = None) -> int:
    """Run `settings.listen.worker_count` workers until SIGTERM/SIGINT; the process's exit status.
    SIGHUP reloads `config_path` (see the module's docstring)."""
    configure_for(settings, worker="supervisor")
    host, port, count = settings.listen.host, settings.listen.port, settings.listen.worker_count
    if not _state_opens(settings):
        return 1
    with contextlib.ExitStack() as cleanup:
        try:
            cleanup.enter_context(_reserved_port(host, port))
        except OSError as error:
            reason = "address already in use" if error.errno == errno.EADDRINUSE else error.strerror
            log.error("cannot listen on %s:%s: %s; no worker started", host, port, reason)
            return 1
        metrics_dir = tempfile.mkdtemp(prefix="onlyoffice-gateway-metrics-")
        cleanup.callback(shutil.rmtree, metrics_dir, ignore_errors=True)
        # Before any worker starts: prometheus-client picks its value class when a worker imports it.
        os.environ[MULTIPROC_DIR_ENV] = metrics_dir
        cleanup.callback(os.environ.pop, MULTIPROC_DIR_ENV, None)
        wakeup, received = cleanup.enter_context(_signals())
        supervisor = _Supervisor(settings, factory, metrics_dir, wakeup, received, config_path)
        supervisor.slots = [_Slot(i) for i in range(count)]
        cleanup.callback(supervisor.kill_all)
        log.info("supervisor (pid %d) starting %d workers on %s:%s", os.getpid(), count, host, port)
        supervisor.serve()
        clean = supervisor.stop()
    if supervisor.failed or not clean:
        return 1
    log.info("gateway stopped")
    return 0
