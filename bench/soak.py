"""`./dev soak [--quick]`: sustained, mixed load through a 2-worker gateway, on loopback, bounded.

What runs: the Confluence simulator (its own process, demo seed plus the soak's documents and a
large file), the gateway (`python -m gateway serve`, `listen.workers: 2`, SQLite state) and the
Document Server simulator in this process, whose hooks act as the editors (the same code paths as
its browser UI) and whose callbacks reach the gateway as the real server's do.

The load, until the time is up: simulated users (500 reading 10-30 s per page; `--quick` 100
reading 1-5 s) each looping over the Welcome page and its attachments page (50 office files;
`--quick` 10); one editor per document (as many, on a page of their own: see `_seed`) opening the
editor through the gateway, typing (10-30 s; `--quick` 1-4 s), pressing Save (force save, status
6) once or twice, then closing (final save, status 2) and opening again; 5 clients downloading a
large attachment (128 MiB; `--quick` 32 MiB) through the gateway over and over.

The verdict: any 5xx or failed request, any document whose Confluence version is not exactly
1 + the saves made (a lost edit or a duplicated version), or a gateway process whose RSS grew more
than 10% between the end of warm-up and the end fails the run (exit 1). It prints the requests by
route with p50/p99 and writes the RSS samples of every process as CSV and a PNG plot.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import psutil  # type: ignore[import-untyped,unused-ignore]
import yaml
from aiohttp import web

from bench.procs import Processes
from bench.soak_report import (
    Outcome,
    RssSample,
    Tally,
    rss_growth,
    table,
    verdict,
    write_csv,
    write_plot,
)
from gateway.testing.docserver import DOCSERVER, DocServer, create_docserver_app
from gateway.testing.stack import SERVICE_ACCOUNT_TOKEN, demo_login, free_port, wait_ready

CTX = "/confluence"
MiB = 1024 * 1024
_CONFIG_MARK = '<script type="application/json" id="onlyoffice-config">'


@dataclass(frozen=True)
class Plan:
    seconds: float
    users: int
    documents: int
    downloads: int
    big_mib: int
    warmup: float
    sample_every: float
    think: tuple[float, float]  # a browsing user's pause between two pages, seconds
    typing: tuple[float, float]  # an editor's typing before each force save, seconds


# Full: 500 users reading each page for 10-30 s (about 25 pages/s) and 50 editors typing 10-30 s
# before each save (about 3 saves/s), below what two shared cores serve with the Python Confluence
# simulator rendering every page and storing every version; a saturated run measures its queue, not
# the gateway (50 editors saving every 1-4 s kept page p50 at 9 s: the workers' RSS
# then tracks the backlog). Quick: fewer users and editors, shorter pauses (about 33 pages/s and
# 4 saves/s for a minute).
FULL = Plan(
    seconds=600,
    users=500,
    documents=50,
    downloads=5,
    big_mib=128,
    warmup=60,
    sample_every=5,
    think=(10, 30),
    typing=(10, 30),
)
QUICK = Plan(
    seconds=60,
    users=100,
    documents=10,
    downloads=5,
    big_mib=32,
    warmup=15,
    sample_every=1,
    think=(1, 5),
    typing=(1, 4),
)


class Load:
    """The running system and what the clients saw."""

    def __init__(self, plan: Plan, gateway: str, confluence: str, docserver: DocServer, ds_url: str) -> None:
        self.plan = plan
        self.gateway = gateway  # public URL, context path included
        self.confluence = confluence
        self.docserver = docserver
        self.ds_url = ds_url
        self.routes: dict[str, Tally] = defaultdict(Tally)
        self.expected: dict[str, int] = {}
        self.page_id = ""  # Welcome: what the users browse
        self.edit_page_id = ""  # Soak edits: the documents being edited
        self.deadline = 0.0

    async def timed(self, client: aiohttp.ClientSession, route: str, url: str, **kw: Any) -> bytes | None:
        started = time.monotonic()
        try:
            async with client.get(url, allow_redirects=False, **kw) as response:
                body = await response.read()
                self.routes[route].add(response.status, time.monotonic() - started)
                return body if response.status == 200 else None
        except (aiohttp.ClientError, TimeoutError) as error:
            self.routes[route].fail(type(error).__name__)
            return None

    async def user(self, number: int) -> None:
        """Browses the Welcome page and its attachments page, with think time (`plan.think`)."""
        who = ("alice", "bob", "admin")[number % 3]
        headers = demo_login(who)
        pages = (
            ("page", f"{self.gateway}/display/DEMO/Welcome"),
            ("attachments", f"{self.gateway}/pages/viewpageattachments.action?pageId={self.page_id}"),
        )
        await asyncio.sleep(random.uniform(0, self.plan.think[1]))
        async with aiohttp.ClientSession(headers=headers) as client:
            while time.monotonic() < self.deadline:
                route, url = random.choice(pages)
                await self.timed(client, route, url)
                await asyncio.sleep(random.uniform(*self.plan.think))

    async def downloader(self) -> None:
        url = f"{self.gateway}/download/attachments/{self.page_id}/soak-big.bin"
        async with aiohttp.ClientSession(headers=demo_login("admin")) as client:
            while time.monotonic() < self.deadline:
                started = time.monotonic()
                try:
                    async with client.get(url) as response:
                        size = 0
                        async for chunk in response.content.iter_chunked(256 * 1024):
                            size += len(chunk)
                        self.routes["download-large"].add(response.status, time.monotonic() - started)
                        if response.status == 200 and size != self.plan.big_mib * MiB:
                            self.routes["download-large"].fail("short body")
                except (aiohttp.ClientError, TimeoutError) as error:
                    self.routes["download-large"].fail(type(error).__name__)
                await asyncio.sleep(1.0)

    async def editor(self, title: str, attachment_id: str) -> None:
        """Edit `title` in cycles: open, type, force save once or twice, type, close (final save)."""
        self.expected[title] = 1
        url = f"{self.gateway}/plugins/servlet/onlyoffice/doceditor?attachmentId={attachment_id}"
        await asyncio.sleep(random.uniform(0, 5))
        async with aiohttp.ClientSession(headers=demo_login("alice")) as client:
            cycle = 0
            while time.monotonic() < self.deadline:
                cycle += 1
                body = await self.timed(client, "editor", url)
                if body is None:
                    await asyncio.sleep(2)
                    continue
                config = _config_of(body)
                try:
                    opened = await self.docserver.open(config, base_url=self.ds_url)
                except Exception as error:  # the Document Server could not fetch the file
                    self.routes["docserver-open"].fail(type(error).__name__)
                    await asyncio.sleep(2)
                    continue
                participant, key = opened.participant, config["document"]["key"]
                for save in range(random.choice((1, 2))):
                    await asyncio.sleep(random.uniform(*self.plan.typing))
                    self.docserver.type_text(participant, f"{title} cycle {cycle} save {save}")
                    if await self.docserver.force_save(participant):
                        self.expected[title] += 1
                self.docserver.type_text(participant, f"{title} cycle {cycle} final")
                self.docserver.leave(participant)
                self.expected[title] += 1
                await self._saved(key)
                await asyncio.sleep(random.uniform(0.5, 2))

    async def _saved(self, key: str) -> None:
        """Wait for the final save's callback to be answered {"error":0} (the next open needs it)."""
        limit = time.monotonic() + 60
        while time.monotonic() < limit:
            if any(a.key == key and a.status == 2 and a.success for a in self.docserver.callback_log):
                return
            await asyncio.sleep(0.2)
        self.routes["callback"].fail("final save not confirmed within 60 s")


def _config_of(page: bytes) -> dict[str, Any]:
    import html
    import json

    text = page.decode()
    start = text.index(_CONFIG_MARK) + len(_CONFIG_MARK)
    found: dict[str, Any] = json.loads(html.unescape(text[start : text.index("</script>", start)]))
    return found


async def _rest(client: aiohttp.ClientSession, confluence: str, path: str) -> Any:
    async with client.get(f"{confluence}/rest/api/{path}") as response:
        response.raise_for_status()
        return await response.json()


async def _upload(client: aiohttp.ClientSession, confluence: str, page: str, name: str, data: bytes) -> str:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=name, content_type="application/octet-stream")
    url = f"{confluence}/rest/api/content/{page}/child/attachment"
    async with client.post(url, data=form, headers={"X-Atlassian-Token": "no-check"}) as response:
        response.raise_for_status()
        found = await response.json()
    return str(found["results"][0]["id"])


async def _create_page(client: aiohttp.ClientSession, confluence: str, title: str, parent: str) -> str:
    body = {
        "type": "page",
        "title": title,
        "space": {"key": "DEMO"},
        "ancestors": [{"id": parent}],
        "body": {
            "storage": {"value": '<ac:structured-macro ac:name="attachments" />', "representation": "storage"}
        },
    }
    async with client.post(f"{confluence}/rest/api/content", json=body) as response:
        response.raise_for_status()
        return str((await response.json())["id"])


async def _seed(load: Load) -> dict[str, str]:
    """Welcome gets the browsed files (copies of report.docx and the large file); the edited
    documents, more copies, live on a page of their own, "Soak edits".

    Confluence renders a row for every version of every attachment on a page's attachments table,
    so a browsed page holding the edited files grows with every save (50 files: 150 KiB of HTML at
    the start, 550 KiB after the 2000 saves of a full run, rendered 5x slower) and the work per
    request with it; a steady load is what the RSS rule can judge.
    """
    async with aiohttp.ClientSession(headers=demo_login("admin")) as client:
        found = await _rest(client, load.confluence, "content?spaceKey=DEMO&title=Welcome")
        load.page_id = str(found["results"][0]["id"])
        load.edit_page_id = await _create_page(client, load.confluence, "Soak edits", load.page_id)
        async with client.get(f"{load.confluence}/download/attachments/{load.page_id}/report.docx") as r:
            r.raise_for_status()
            docx = await r.read()
        documents = {}
        for n in range(load.plan.documents):
            title = f"soak-{n:02d}.docx"
            await _upload(client, load.confluence, load.page_id, title, docx)
            documents[title] = await _upload(client, load.confluence, load.edit_page_id, title, docx)
        await _upload(
            client, load.confluence, load.page_id, "soak-big.bin", os.urandom(load.plan.big_mib * MiB)
        )
    return documents


async def _versions(load: Load) -> dict[str, int]:
    async with aiohttp.ClientSession(headers=demo_login("admin")) as client:
        path = f"content/{load.edit_page_id}/child/attachment?limit=500&expand=version"
        found = await _rest(client, load.confluence, path)
    return {a["title"]: int(a["version"]["number"]) for a in found["results"] if a["title"] in load.expected}


class Sampler:
    """RSS of every process every `every` seconds: gateway supervisor and workers, Confluence, us."""

    def __init__(self, gateway_pid: int, confluence_pid: int, every: float) -> None:
        self.gateway_pid, self.confluence_pid, self.every = gateway_pid, confluence_pid, every
        self.samples: list[RssSample] = []
        self.started = time.monotonic()

    def sample(self) -> None:
        at = time.monotonic() - self.started
        named: list[tuple[str, int]] = [
            ("gateway-supervisor", self.gateway_pid),
            ("confluence-simulator", self.confluence_pid),
            ("soak-driver+docserver", os.getpid()),
        ]
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(self.gateway_pid).children():
                named.append((f"gateway-worker-{child.pid}", child.pid))
        for name, pid in named:
            with contextlib.suppress(psutil.NoSuchProcess):
                self.samples.append(RssSample(at, name, pid, psutil.Process(pid).memory_info().rss))

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.every)


def _gateway_config(folder: Path, gateway_port: int, confluence_port: int, ds_port: int, secret: str) -> Path:
    data = {
        "listen": {"host": "127.0.0.1", "port": gateway_port, "workers": 2},
        "public_url": f"http://127.0.0.1:{gateway_port}{CTX}",
        "confluence": {
            "url": f"http://127.0.0.1:{confluence_port}{CTX}",
            "auth": {"token": SERVICE_ACCOUNT_TOKEN},
        },
        "documentserver": {
            "public_url": f"http://127.0.0.1:{ds_port}/",
            "jwt": {"secret": secret},
            "recovery_interval": 5,
        },
        "state": {"path": str(folder / "state.sqlite3")},
        "logging": {"level": "WARNING", "format": "text", "access_log": False},
    }
    path = folder / "gateway.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


async def soak(plan: Plan, out: Path) -> int:
    secret = "soak-" + os.urandom(16).hex()
    gateway_port, confluence_port, ds_port = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp, Processes(Path(tmp)) as processes:
        folder = Path(tmp)
        confluence = processes.start(
            "confluence",
            # The large file is over Confluence's default Attachment Maximum Size (100 MB): raised,
            # as an admin who keeps such files does.
            [
                sys.executable,
                "-m",
                "gateway",
                "simulate",
                "confluence",
                "--port",
                str(confluence_port),
                "--attachment-max-size",
                str(2 * plan.big_mib * MiB),
            ],
        )
        ds_app = create_docserver_app(jwt_secret=secret, save_delay=1.0, retry_base_delay=1.0)
        runner = web.AppRunner(ds_app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", ds_port).start()
        try:
            confluence_url = f"http://127.0.0.1:{confluence_port}{CTX}"
            await wait_ready(f"{confluence_url}/status", attempts=400)
            config = _gateway_config(folder, gateway_port, confluence_port, ds_port, secret)
            gateway = processes.start(
                "gateway", [sys.executable, "-m", "gateway", "serve", "--config", str(config)]
            )
            await wait_ready(f"http://127.0.0.1:{gateway_port}/readyz", attempts=600)
            load = Load(
                plan,
                f"http://127.0.0.1:{gateway_port}{CTX}",
                confluence_url,
                ds_app[DOCSERVER],
                f"http://127.0.0.1:{ds_port}",
            )
            documents = await _seed(load)
            print(
                f"soak: {plan.seconds:.0f} s, {plan.users} users, {plan.documents} documents, "
                f"{plan.downloads} downloads of {plan.big_mib} MiB, 2 workers (warm-up {plan.warmup:.0f} s)",
                flush=True,
            )
            sampler = Sampler(gateway.pid, confluence.pid, plan.sample_every)
            load.deadline = time.monotonic() + plan.seconds
            sampling = asyncio.create_task(sampler.run())
            tasks = [asyncio.create_task(load.user(n)) for n in range(plan.users)]
            tasks += [asyncio.create_task(load.downloader()) for _ in range(plan.downloads)]
            tasks += [asyncio.create_task(load.editor(t, i)) for t, i in documents.items()]
            watch: asyncio.Task[None] = asyncio.create_task(_watch(processes))
            everyone: asyncio.Future[list[None]] = asyncio.gather(*tasks)
            racing: list[asyncio.Future[Any]] = [everyone, watch]
            done, _ = await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
            if watch in done:
                everyone.cancel()
                watch.result()  # a server died: raises with its log
            watch.cancel()
            sampling.cancel()
            sampler.sample()
            await asyncio.wait_for(load.docserver.drain(), 120)
            found: dict[str, int] = {}
            for _ in range(60):  # saves the gateway finishes by itself (recovery) have their chance
                found = await _versions(load)
                if found == load.expected:
                    break
                await asyncio.sleep(1)
            for attempt in load.docserver.callback_log:
                load.routes["callback"].add(attempt.http_status or 0, None)
                if attempt.error:  # no answer at all (connection refused, reset, timeout)
                    load.routes["callback"].fail(attempt.error.split(":")[0])
            outcome = Outcome(load.routes, sampler.samples, plan.warmup, plan.seconds, load.expected, found)
        finally:
            await runner.cleanup()
    return _report(outcome, plan, out)


async def _watch(processes: Processes) -> None:
    while True:
        processes.check_alive()
        await asyncio.sleep(1)


def _report(outcome: Outcome, plan: Plan, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    write_csv(outcome.samples, out / "soak-rss.csv")
    title = f"./dev soak: {plan.seconds:.0f} s, {plan.users} users, {plan.documents} documents: RSS"
    write_plot(outcome.samples, outcome.warmup, out / "soak-rss.png", title)
    saves = sum(outcome.expected_versions.values()) - len(outcome.expected_versions)
    print(table(outcome))
    print(f"saves: {saves} over {len(outcome.expected_versions)} documents (force and final)")
    for name, (start, end) in sorted(rss_growth(outcome.samples, outcome.warmup).items()):
        print(f"rss {name}: {start:.1f} MiB after warm-up, {end:.1f} MiB at the end")
    print(f"soak: wrote {out / 'soak-rss.csv'} and {out / 'soak-rss.png'}")
    problems = verdict(outcome)
    for problem in problems:
        print(f"soak: FAIL {problem}", file=sys.stderr)
    print("soak: " + ("failed" if problems else "passed"))
    return 1 if problems else 0


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # the same clean-up as Ctrl-C: every started process is stopped


def main() -> int:
    parser = argparse.ArgumentParser(prog="./dev soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="60 s, 100 users, 10 documents (CI)")
    parser.add_argument("--seconds", type=float, help="override the duration")
    parser.add_argument("--out", type=Path, default=Path("soak-output"), help="where the CSV and PNG go")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if args.seconds:
        plan = Plan(
            **{**plan.__dict__, "seconds": args.seconds, "warmup": min(plan.warmup, args.seconds / 4)}
        )
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return asyncio.run(soak(plan, args.out))
    except KeyboardInterrupt:
        print("soak: interrupted; every process it started is stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
