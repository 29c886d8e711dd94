"""One bench run: start everything, measure every scenario in interleaved rounds, return medians.

Targets: direct (the upstream nginx itself), nginx (plain proxy_pass in front of it), gateway
(`python -m gateway serve`), front (nginx with the fast path, the gateway behind it for rewritten
pages). Each round measures every target once per point, so a neighbour's burst of load spreads
over all targets instead of spoiling one; the figures are the medians over the rounds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench import confluence, fixtures, gateway, load, nginx
from bench.procs import PeakRss, Processes
from bench.profile import Profile
from gateway.testing.stack import free_port, wait_ready

CTX = "/confluence"
TARGETS = ("direct", "nginx", "gateway", "front")
PASSTHROUGH = (("1k", 1), ("1k", 32), ("200k", 1), ("200k", 32))
ATTACHMENTS = 100


@dataclass(frozen=True)
class Plan:
    rounds: int
    seconds: float  # per wrk point
    sizes: fixtures.Sizes
    workers: int
    editor_opens: int
    confluence_ms: float = confluence.LATENCY_MS  # each live simulator REST answer this late
    extras: bool = True  # the rewritten page behind the front, the page through plain nginx
    profile: Path | None = None  # py-spy the gateway during the first round, stacks here


@dataclass
class Results:
    """Samples per (scenario, target) over the rounds, and what the run found out about itself."""

    rates: dict[tuple[str, str], list[load.Rate]] = field(default_factory=lambda: defaultdict(list))
    speeds: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    rss_growth: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    rss_peak_mib: float = 0.0
    editor_ms: list[float] = field(default_factory=list)
    editor_calls_ms: dict[str, float] = field(default_factory=dict)
    save_seconds: list[float] = field(default_factory=list)
    save_bytes: int = 0
    notes: dict[str, str] = field(default_factory=dict)
    profiles: list[Path] = field(default_factory=list)
    workers: int = 0

    def rate(self, scenario: str, target: str) -> load.Rate:
        samples = self.rates[(scenario, target)]
        return load.Rate(
            statistics.median(s.rps for s in samples),
            statistics.median(s.p50_ms for s in samples),
            statistics.median(s.p99_ms for s in samples),
        )

    def speed(self, scenario: str, target: str) -> float:
        return statistics.median(self.speeds[(scenario, target)])


@dataclass(frozen=True)
class Layout:
    """Which cores run what: the load generators and the upstream apart from the system under test."""

    load: str | None
    sut: set[int] | None

    @classmethod
    def for_machine(cls, workers: int) -> Layout:
        """Servers apart from the load when they fit on the other cores; with as many workers as
        cores the servers get every core (sharing the first with the load generator)."""
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return cls(None, None)
        return cls(str(cpus[0]), set(cpus[1:]) if workers < len(cpus) else None)

    def describe(self) -> str:
        if self.load is None:
            return "not pinned (one core)"
        load = f"cpu {self.load}: wrk, curl, upstream nginx, bench + Confluence simulator"
        if self.sut is None:
            return f"{load}; nginx proxy, front, gateway: not pinned (as many workers as cores)"
        return f"{load}; cpu {','.join(map(str, sorted(self.sut)))}: nginx proxy, front, gateway"


_STARTED = time.monotonic()


def progress(message: str) -> None:
    print(f"bench: {time.monotonic() - _STARTED:5.1f} s {message}", flush=True)


async def run(plan: Plan) -> Results:
    layout = Layout.for_machine(plan.workers)
    results = Results()
    results.notes["pinning"] = layout.describe()
    results.notes["confluence latency"] = f"{plan.confluence_ms:g} ms"
    if layout.load is not None:
        os.sched_setaffinity(0, {int(layout.load)})  # this process hosts the simulator
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, Processes(Path(tmp)) as processes:
        await _run(plan, layout, Path(tmp), processes, results)
    return results


async def _run(plan: Plan, layout: Layout, work: Path, processes: Processes, results: Results) -> None:
    root = work / "www"
    upload_source = fixtures.make(root, work, plan.sizes)
    ports = {name: free_port() for name in ("upstream", "nginx", "front", "gateway", "editor", "simulator")}
    up = f"http://127.0.0.1:{ports['upstream']}"
    editor_url = f"http://127.0.0.1:{ports['editor']}{CTX}"

    async with confluence.simulator(ports["simulator"], editor_url, ATTACHMENTS, plan.confluence_ms) as sim:
        # The gateway on the live simulator: editor open, save, and the recording of the page.
        editor_config = gateway.write_config(work / "editor.yaml", ports["editor"], sim.url, up, plan.workers)
        editor_pid = await gateway.start(processes, "gateway-editor", editor_config, ports["editor"])
        gateway.pin(editor_pid, layout.sut)
        page_uri = f"{CTX}/pages/viewpageattachments.action?pageId={sim.page_id}"
        recorded = await _record(sim, editor_url.removesuffix(CTX) + page_uri, root)
        upstream = nginx.write(
            work, "upstream", nginx.upstream_config(work, root, ports["upstream"], recorded)
        )
        processes.start("upstream", upstream, layout.load)
        await wait_ready(f"{up}{CTX}/bench/1k.bin")
        progress("recorded the attachments page; upstream up")
        await _editor_open(plan, sim, editor_url, results)
        await _saves(plan, sim, editor_url, editor_pid, up, results)
        progress("editor open and saves done")

        # The gateway on the fast upstream, the plain nginx proxy and the front with the same workers.
        main_config = gateway.write_config(
            work / "gateway.yaml", ports["gateway"], up + CTX, up, plan.workers, public_port=ports["front"]
        )
        pid = await gateway.start(processes, "gateway", main_config, ports["gateway"])
        results.workers = gateway.workers_of(pid)
        gateway.pin(pid, layout.sut)
        cpus = ",".join(map(str, sorted(layout.sut))) if layout.sut else None
        proxy = nginx.proxy_config(work, ports["nginx"], ports["upstream"], results.workers)
        processes.start("nginx", nginx.write(work, "nginx", proxy), cpus)
        results.notes["front config"] = "onlyoffice-gateway nginx-config (upstreams and locations)"
        front = nginx.front_config(work, ports["front"], nginx.fastpath(main_config), results.workers)
        processes.start("front", nginx.write(work, "front", front), cpus)
        bases = {
            "direct": up,
            "nginx": f"http://127.0.0.1:{ports['nginx']}",
            "gateway": f"http://127.0.0.1:{ports['gateway']}",
            "front": f"http://127.0.0.1:{ports['front']}",
        }
        # Straight to the gateway, clients send the public Host, as the front does.
        hosts = {"gateway": {"Host": f"127.0.0.1:{ports['front']}"}}
        for target in ("nginx", "front"):  # the gateway answered /livez already
            await wait_ready(f"{bases[target]}{CTX}/bench/1k.bin")
        await _check_injection(bases, hosts, page_uri)
        progress(f"gateway ({results.workers} worker(s)), nginx and front up; links injected")
        for round_ in range(plan.rounds):
            processes.check_alive()
            profile = plan.profile if round_ == 0 else None
            await _round(plan, layout, bases, hosts, page_uri, upload_source, pid, results, profile)
            progress(f"round {round_ + 1}/{plan.rounds} done")


async def _record(sim: confluence.Simulator, page_url: str, root: Path) -> dict[str, str]:
    """Show the attachments page through the gateway twice (the second as it is when warm); keep
    the simulator's answers for nginx, and the page's bytes also at a path nobody rewrites."""
    async with aiohttp.ClientSession(headers=gateway.ALICE) as session:
        for _ in range(2):
            async with session.get(page_url) as response:
                body = await response.read()
                if response.status != 200 or body.count(b"onlyoffice-doceditor") < ATTACHMENTS:
                    raise RuntimeError(
                        f"the gateway did not inject links into the page (HTTP {response.status})"
                    )
    files = sim.recorder.save(root)
    page = next(a for uri, a in sim.recorder.answers.items() if "viewpageattachments" in uri)
    (root / "confluence" / "bench" / "attachments.html").write_bytes(page.body)
    sim.recorder.answers.clear()
    return files


async def _check_injection(bases: dict[str, str], hosts: dict[str, dict[str, str]], page_uri: str) -> None:
    """Before timing: the gateway (directly and behind the front) really injects, and does not
    touch the same bytes on a path it does not rewrite."""
    async with aiohttp.ClientSession(headers=gateway.ALICE) as session:
        for target, uri, wanted in (
            ("gateway", page_uri, True),
            ("front", page_uri, True),
            ("gateway", f"{CTX}/bench/attachments.html", False),
        ):
            async with session.get(bases[target] + uri, headers=hosts.get(target)) as response:
                links = (await response.read()).count(b"onlyoffice-doceditor")
            if response.status != 200 or (links >= ATTACHMENTS) != wanted:
                raise RuntimeError(f"{target}{uri}: HTTP {response.status}, {links} editor links")


async def _editor_open(plan: Plan, sim: confluence.Simulator, public_url: str, results: Results) -> None:
    """Time the doceditor page (warm: identity cached), then each Confluence call it made, alone."""
    attachment = sim.store.attachment_by_name(sim.page_id, "report.docx")
    if attachment is None:
        raise RuntimeError("the demo seed has no report.docx on the Welcome page")
    async with aiohttp.ClientSession() as session:
        await gateway.open_editor(session, public_url, attachment.id)
        sim.recorder.answers.clear()
        await gateway.open_editor(session, public_url, attachment.id)
        calls = dict(sim.recorder.answers)
        for _ in range(plan.editor_opens):
            started = time.perf_counter()
            await gateway.open_editor(session, public_url, attachment.id)
            results.editor_ms.append((time.perf_counter() - started) * 1000)
    origin = sim.url.removesuffix(CTX)
    for uri, answer in calls.items():
        results.editor_calls_ms[uri] = await confluence.replay_median_ms(
            origin, uri, answer, plan.editor_opens
        )
    if not calls:
        raise RuntimeError("the editor open made no Confluence call: nothing to compare it with")


async def _saves(
    plan: Plan, sim: confluence.Simulator, public_url: str, pid: int, docserver: str, results: Results
) -> None:
    """The callback path: signed status 2 -> gateway fetches the file (nginx) -> uploads to the simulator."""
    attachment = sim.store.attachment_by_name(sim.page_id, "report.docx")
    assert attachment is not None
    async with aiohttp.ClientSession() as session:
        config = await gateway.open_editor(session, public_url, attachment.id)
    callback, key = config["editorConfig"]["callbackUrl"], config["document"]["key"]
    results.save_bytes = plan.sizes.save
    file_url = f"{docserver}/cache/files/data/bench/output.docx/output.docx?md5=x&expires=9999999999"
    for round_ in range(plan.rounds):
        with PeakRss(pid) as rss:
            started = time.perf_counter()
            await gateway.save(callback, key, file_url, f"bench-{round_}-{time.time()}")
            results.save_seconds.append(time.perf_counter() - started)
        results.rss_growth["save"].append(rss.growth_mib)
        saved = sim.store.attachment_by_name(sim.page_id, "report.docx")
        if saved is None or saved.current.size != plan.sizes.save:
            raise RuntimeError("the save did not land in Confluence with the whole file")


async def _round(
    plan: Plan,
    layout: Layout,
    bases: dict[str, str],
    hosts: dict[str, dict[str, str]],
    page_uri: str,
    upload_source: Path,
    pid: int,
    results: Results,
    profile: Path | None,
) -> None:
    def sampled(scenario: str, target: str) -> contextlib.AbstractContextManager[object]:
        if profile is None or target != "gateway":
            return contextlib.nullcontext()
        output = profile / f"{scenario.replace(' ', '-')}.txt"
        results.profiles.append(output)
        return Profile(pid, output)

    def timed(scenario: str, target: str, url: str, connections: int, auth: bool = False) -> None:
        headers = {**(gateway.ALICE if auth else {}), **hosts.get(target, {})}
        with sampled(scenario, target):
            rate = load.wrk(url, connections, plan.seconds, layout.load, headers)
        results.rates[(scenario, target)].append(rate)

    for size, connections in PASSTHROUGH:
        for target in TARGETS:
            await asyncio.to_thread(
                timed, f"{size} c{connections}", target, f"{bases[target]}{CTX}/bench/{size}.bin", connections
            )
    page_cases = [
        ("page rewritten", "gateway", page_uri, True),
        ("page passed", "gateway", f"{CTX}/bench/attachments.html", True),
    ]
    if plan.extras:
        page_cases += [
            ("page rewritten", "front", page_uri, True),
            ("page passed", "nginx", f"{CTX}/bench/attachments.html", True),
        ]
    for scenario, target, uri, auth in page_cases:
        await asyncio.to_thread(timed, f"{scenario} c32", target, bases[target] + uri, 32, auth)
    for target in TARGETS:
        url = f"{bases[target]}{CTX}/bench/big.bin"
        with PeakRss(pid) as rss, sampled("download", target):
            speed = await asyncio.to_thread(
                load.curl_download, url, plan.sizes.download, layout.load, hosts.get(target)
            )
        results.speeds[("download", target)].append(speed)
        if target == "gateway":
            results.rss_growth["download"].append(rss.growth_mib)
            results.rss_peak_mib = max(results.rss_peak_mib, rss.peak / fixtures.MiB)
        url = f"{bases[target]}{CTX}/bench/upload"
        with PeakRss(pid) as rss, sampled("upload", target):
            speed = await asyncio.to_thread(
                load.curl_upload, url, upload_source, layout.load, hosts.get(target)
            )
        results.speeds[("upload", target)].append(speed)
        if target == "gateway":
            results.rss_growth["upload"].append(rss.growth_mib)
            results.rss_peak_mib = max(results.rss_peak_mib, rss.peak / fixtures.MiB)
