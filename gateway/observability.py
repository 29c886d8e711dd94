"""/livez, /readyz and /metrics at the gateway root (never proxied), and the proxy's metrics.

Kubernetes conventions: /livez checks nothing but the process (a Confluence outage must not
restart every replica); /readyz says whether this replica should get traffic (503 while draining
or while Confluence does not answer `GET <ctx>/status` RUNNING) and reports, as JSON, each
dependency with a reason: Confluence, and what plugins add (the shared state, the Document
Server), which degrade the gateway (200, status "degraded") without taking it out of service. Metrics live in a per-application registry so several
gateways can run in one process (tests) without colliding.

Under the supervisor (listen.workers > 1) every worker writes its values to files in
PROMETHEUS_MULTIPROC_DIR (prometheus-client picks that value class when it is imported, so the
supervisor sets the variable before it starts any worker), and a scrape of /metrics on any worker
merges the files of all workers, live and dead: counters are never lost to a restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = [
    "HEALTH_PATHS",
    "METRICS_KEY",
    "READINESS_KEY",
    "DependencyCheck",
    "Metrics",
    "Readiness",
    "UpstreamMeters",
    "add_health_routes",
    "exposition",
]

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

log = logging.getLogger("gateway.health")

HEALTH_PATHS = frozenset({"/livez", "/readyz", "/metrics"})


class UpstreamMeters:
    """The metric children of one upstream ("confluence", "documentserver"), resolved once.

    labels() takes a lock and a dict lookup per call; the hot path uses these instead.
    """

    def __init__(self, metrics: Metrics, name: str) -> None:
        self.name = name
        self.latency = metrics.upstream_latency.labels(upstream=name)
        self.uploaded = metrics.bytes.labels(direction="upload", upstream=name)
        self.downloaded = metrics.bytes.labels(direction="download", upstream=name)
        self.websockets_open = metrics.websockets_open.labels(upstream=name)
        self._errors = {
            kind: metrics.upstream_errors.labels(kind=kind, upstream=name)
            for kind in ("connect", "timeout", "body")
        }

    def error(self, kind: str) -> None:
        """Count a failed request: kind is connect, timeout or body."""
        self._errors[kind].inc()


class Metrics:
    """The proxy core's Prometheus metrics, registered in a registry owned by one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "gateway_requests",
            "Requests answered, by status class (2xx, 3xx, 4xx, 5xx).",
            ["status_class"],
            registry=self.registry,
        )
        self.upstream_latency = Histogram(
            "gateway_upstream_response_seconds",
            "Time from sending a request to an upstream until its response headers arrived.",
            ["upstream"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
        )
        self.upstream_errors = Counter(
            "gateway_upstream_errors",
            "Requests that failed to reach an upstream, by kind (connect, timeout, body).",
            ["kind", "upstream"],
            registry=self.registry,
        )
        self.bytes = Counter(
            "gateway_body_bytes",
            "Body bytes relayed: 'upload' from clients, 'download' to clients.",
            ["direction", "upstream"],
            registry=self.registry,
        )
        self.websockets_open = Gauge(
            "gateway_websockets_open",
            "WebSocket connections currently bridged.",
            ["upstream"],
            registry=self.registry,
            multiprocess_mode="livesum",  # each worker bridges its own; a dead worker's are gone
        )

        self._by_class = {n: self.requests.labels(status_class=f"{n}xx") for n in range(1, 6)}
        self._upstreams: dict[str, UpstreamMeters] = {}
        self.for_upstream("confluence")  # its series exist (at 0) from the start

    def for_upstream(self, name: str) -> UpstreamMeters:
        """The meters of the upstream called `name` (created on first use)."""
        if name not in self._upstreams:
            self._upstreams[name] = UpstreamMeters(self, name)
        return self._upstreams[name]

    def count_response(self, status: int) -> None:
        self._by_class[min(max(status // 100, 1), 5)].inc()


Probe = Callable[[], Awaitable[tuple[bool, str]]]
_CHECK_TIMEOUT = 5.0


@dataclass
class DependencyCheck:
    """One dependency /readyz reports: a probe answering (up, reason), cached for `cache_seconds`
    with one probe in flight at a time, so readiness probes never hammer what they check.

    `required`: down means this replica should get no traffic (Confluence: nothing works without
    it). Otherwise (shared state, Document Server) the gateway keeps proxying and serving what it
    can, and /readyz says what is degraded: failing every replica over a shared dependency would
    turn a partial outage into a whole one.
    """

    name: str
    probe: Probe
    required: bool
    cache_seconds: float
    _checked_at: float = -1e9
    _result: tuple[bool, str] = (False, "not checked yet")
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def result(self) -> tuple[bool, str]:
        async with self._lock:
            if time.monotonic() - self._checked_at < self.cache_seconds:
                return self._result
            try:
                self._result = await asyncio.wait_for(self.probe(), _CHECK_TIMEOUT)
            except TimeoutError:
                self._result = (False, f"no answer within {_CHECK_TIMEOUT:.0f} s")
            self._checked_at = time.monotonic()
            return self._result


@dataclass
class Readiness:
    """Draining flag, the cached Confluence probe and the checks plugins add (see `add_check`)."""

    status_url: str
    cache_seconds: float
    draining: bool = False
    checks: dict[str, DependencyCheck] = field(default_factory=dict)
    _session: aiohttp.ClientSession | None = None

    def add_check(self, name: str, probe: Probe, *, required: bool = False) -> None:
        """Report `name` in /readyz (after Confluence); `required` turns /readyz 503 while it is down."""
        self.checks[name] = DependencyCheck(name, probe, required, self.cache_seconds)

    def watch_confluence(self, session: aiohttp.ClientSession) -> None:
        self._session = session
        self.checks = {
            "confluence": DependencyCheck("confluence", self._probe_confluence, True, self.cache_seconds),
            **self.checks,
        }

    async def report(self) -> tuple[int, dict[str, Any]]:
        """The HTTP status and JSON body of /readyz."""
        if self.draining:
            return 503, {"status": "draining", "reason": "shutting down: finishing requests in flight"}
        names = list(self.checks)
        results = await asyncio.gather(*(self.checks[n].result() for n in names))
        checks = {
            name: {
                "status": "ok" if up else "down",
                "required": self.checks[name].required,
                "reason": reason,
            }
            for name, (up, reason) in zip(names, results, strict=True)
        }
        down = [name for name, (up, _) in zip(names, results, strict=True) if not up]
        required_down = [name for name in down if self.checks[name].required]
        optional_down = [name for name in down if not self.checks[name].required]
        if required_down:
            status, reason, code = "unavailable", f"{', '.join(required_down)} unavailable", 503
        elif optional_down:
            status, code = "degraded", 200
            reason = f"{', '.join(optional_down)} unavailable; proxying Confluence goes on"
        else:
            status, reason, code = "ok", "every dependency answers", 200
        return code, {"status": status, "reason": reason, "checks": checks}

    async def _probe_confluence(self) -> tuple[bool, str]:
        assert self._session is not None
        try:
            async with self._session.get(
                self.status_url, timeout=aiohttp.ClientTimeout(total=_CHECK_TIMEOUT), allow_redirects=False
            ) as response:
                body = await response.content.read(4096)
                if response.status != 200:
                    log.warning("readiness: Confluence status answered HTTP %s", response.status)
                    return False, f"GET <context>/status answered HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("readiness: Confluence unreachable: %s", type(error).__name__)
            return False, f"unreachable ({type(error).__name__})"
        # Confluence answers {"state": "RUNNING"} when it can serve; STARTING, MAINTENANCE... are not ready.
        try:
            state = json.loads(body).get("state", "RUNNING")
        except (ValueError, AttributeError):
            return True, "answers (status page without a state)"  # a 200 still means Confluence is up
        if state != "RUNNING":
            log.warning("readiness: Confluence state is %.40s", state)
            return False, f"state is {str(state)[:40]}, not RUNNING"
        return True, "state RUNNING"


def exposition(registry: CollectorRegistry) -> bytes:
    """The text format of `registry`, or of every worker's files when running under the supervisor."""
    folder = os.environ.get(MULTIPROC_DIR_ENV)
    if not folder:
        return generate_latest(registry)
    merged = CollectorRegistry()
    MultiProcessCollector(merged, path=folder)  # type: ignore[no-untyped-call]
    return generate_latest(merged)


METRICS_KEY = web.AppKey("gateway_metrics", Metrics)
READINESS_KEY = web.AppKey("gateway_readiness", Readiness)


async def _livez(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


def add_health_routes(app: web.Application, session_key: web.AppKey[aiohttp.ClientSession]) -> None:
    """Register the three health routes; `session_key` names the upstream session in the app."""

    async def readyz(request: web.Request) -> web.Response:
        readiness = request.app[READINESS_KEY]
        if "confluence" not in readiness.checks:
            readiness.watch_confluence(request.app[session_key])
        status, body = await readiness.report()
        return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})

    async def metrics(request: web.Request) -> web.Response:
        body = exposition(request.app[METRICS_KEY].registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/livez", _livez)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
