"""Run the gateway: `serve(settings)` blocks until SIGTERM/SIGINT, then drains gracefully.

Shutdown order (what Kubernetes and load balancers expect): /readyz turns 503 first, optionally
for `proxy.shutdown_drain_delay` seconds so balancers stop sending; then the listener closes,
open WebSockets are told 1001 (going away), in-flight requests get up to `proxy.shutdown_timeout`
to finish, and only then the upstream session closes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Sequence
from pathlib import Path

import aiohttp
from aiohttp import web

from gateway.allocator import trim_periodically, tune_allocator
from gateway.app import create_app
from gateway.logs import configure_for
from gateway.loop import run as run_on_loop
from gateway.observability import READINESS_KEY
from gateway.proxy.connections import CappedTCPSite, raise_open_files_limit
from gateway.proxy.context import PROXY_KEY
from gateway.proxy.plugin import Plugin
from gateway.reload import reload_live
from gateway.settings import Settings
from gateway.tasks import cancel_and_wait

__all__ = ["CannotListen", "parser_kind", "run", "serve"]

log = logging.getLogger("gateway.server")


class CannotListen(Exception):
    """The listening address is taken or not ours to bind: an operator error, not worth a retry."""


def parser_kind() -> str:
    """Which HTTP parser aiohttp uses; the pure-Python one had smuggling bugs the C one did not."""
    from aiohttp import helpers, http_parser

    if helpers.NO_EXTENSIONS or http_parser.HttpRequestParser is http_parser.HttpRequestParserPy:
        return "python"
    return "c (llhttp)"


async def run(
    settings: Settings,
    plugins: Sequence[Plugin],
    *,
    worker: int | None = None,
    stop: asyncio.Event | None = None,
    config_path: Path | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT (or `stop` is set), then drain. A `worker` (index under the
    supervisor) binds with SO_REUSEPORT beside its siblings and ignores repeated signals.
    SIGHUP reloads `config_path` (reload.py); a worker starts with SIGHUP blocked by its
    supervisor and unblocks it here, once a reload can be handled."""
    app = create_app(settings, plugins)
    proxy = settings.proxy
    runner = web.AppRunner(
        app,
        handle_signals=False,
        shutdown_timeout=proxy.shutdown_timeout,
        # Always given: `logging.access_log: false` disables the logger, which aiohttp asks per
        # connection, so a reload can turn it on or off.
        access_log=logging.getLogger("aiohttp.access"),
    )
    try:
        await runner.setup()
    except BaseException:  # a failed start (state file unusable) still closes what it had opened
        await runner.cleanup()
        raise
    raise_open_files_limit(settings)
    site = CappedTCPSite(
        runner,
        settings.listen.host,
        settings.listen.port,
        max_connections=settings.listen.max_connections,
        reuse_port=worker is not None,
    )
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        raise CannotListen(
            f"cannot listen on {settings.listen.host}:{settings.listen.port}: {error.strerror}"
        ) from error

    # Everything built so far (modules, settings, compiled rules, templates: ~57k objects) lives as
    # long as the process: out of the collector's sight, a full collection walks only what requests
    # allocate. Measured on the rewritten attachments page: full collections took 0.62 s of a
    # 15 s run (~29 ms each, a pause every request then waits for), 0.04 s after.
    gc.collect()
    gc.freeze()

    kind = parser_kind()
    if kind == "python":
        log.warning(
            "aiohttp runs its pure-Python HTTP parser (AIOHTTP_NO_EXTENSIONS or no wheel): slower "
            "and historically weaker against request smuggling; install the compiled wheel"
        )
    log.info(
        "gateway listening on http://%s:%s, public URL %s, upstream %s (aiohttp %s, HTTP parser: %s)",
        settings.listen.host,
        settings.listen.port,
        settings.public_url,
        settings.confluence.url,
        aiohttp.__version__,
        kind,
    )

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    live = app[PROXY_KEY].live

    def hangup() -> None:
        if config_path is None:
            log.warning("SIGHUP: nothing to reload (settings not read from a file)")
            return
        # A worker's supervisor has already validated the file and named the restart-only keys.
        reload_live(live, config_path, worker=worker, name_restart=worker is None)

    loop.add_signal_handler(signal.SIGHUP, hangup)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGHUP})
    trimming = asyncio.create_task(trim_periodically(), name="malloc-trim")
    try:
        await stop.wait()
    finally:
        # One process: a second Ctrl-C stops at once, as always. A worker keeps its handlers: systemd
        # signals every process of the unit and the supervisor forwards too; the drain must go on.
        if worker is None:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
    log.info("shutting down: readiness off, draining in-flight requests (up to %ss)", proxy.shutdown_timeout)
    app[READINESS_KEY].draining = True
    if proxy.shutdown_drain_delay:
        await asyncio.sleep(proxy.shutdown_drain_delay)
    await runner.cleanup()
    await cancel_and_wait(trimming)
    log.info("gateway stopped")


def serve(settings: Settings, plugins: Sequence[Plugin] = (), config_path: Path | None = None) -> None:
    """Run the gateway until SIGTERM/SIGINT (blocks); returns after a graceful shutdown. SIGHUP
    reloads `config_path`."""
    tune_allocator()
    configure_for(settings)
    try:
        run_on_loop(run(settings, plugins, config_path=config_path))
    except CannotListen as error:
        log.error("%s", error)
        raise SystemExit(1) from None
