"""The Confluence side of a run: the simulator, live, and the answers it gave, recorded.

The simulator renders pages in Python, slower than the gateway rewrites them, so the attachments
page is measured against its recorded answers served by nginx (`Recorder` keeps the page and every
REST answer the gateway asked for while showing it). The editor open and the save need the live
simulator: they create state (document keys, attachment versions) that a recording cannot.

The live simulator answers REST calls after `latency_ms` (default 20 ms, `--confluence-ms`), as a real
Confluence does (a REST call costs it tens of milliseconds: sessions, permissions, the database),
where the simulator alone answers in a fraction of a millisecond. The editor open's target (at most
1.2x its slowest Confluence call) is about what the gateway adds around those calls and whether it
makes them one after the other; against a sub-millisecond Confluence it would time the template.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

from gateway.testing.confluence import FAULTS, STORE, Store, create_confluence_app
from gateway.testing.confluence.seed import media_type_of

CTX = "/confluence"
_NAMES = ("doc{}.docx", "sheet{}.xlsx", "slides{}.pptx", "old{}.doc", "form{}.xls", "deck{}.odp")
_REPLAYED = ("Authorization", "Cookie", "Accept")
LATENCY_MS = 20.0


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str]  # the request's credentials, to replay the call as the gateway made it


@dataclass
class Recorder:
    """What the simulator answered, by request path and query (the gateway only GETs here)."""

    answers: dict[str, Answer] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        if request.method == "GET" and isinstance(response, web.Response) and response.body is not None:
            body = response.body if isinstance(response.body, bytes) else bytes(response.body)  # type: ignore[arg-type]
            headers = {name: request.headers[name] for name in _REPLAYED if name in request.headers}
            self.answers[request.path_qs] = Answer(response.status, response.content_type, body, headers)
            self.order.append(request.path_qs)
        return response

    def save(self, root: Path) -> dict[str, str]:
        """Write each answer under `root/recorded/`; returns request URI -> file name for nginx."""
        (root / "recorded").mkdir(parents=True, exist_ok=True)
        files = {}
        for index, (uri, answer) in enumerate(self.answers.items()):
            if answer.status != 200:
                raise RuntimeError(f"the simulator answered {uri} with {answer.status}: cannot record it")
            name = f"{index}.{'html' if answer.content_type == 'text/html' else 'json'}"
            (root / "recorded" / name).write_bytes(answer.body)
            files[uri] = name
        return files


@dataclass
class Simulator:
    url: str
    store: Store
    recorder: Recorder
    page_id: int


@contextlib.asynccontextmanager
async def simulator(
    port: int, public_url: str, attachments: int, latency_ms: float = LATENCY_MS
) -> AsyncIterator[Simulator]:
    """The seeded simulator on 127.0.0.1:`port`, its Welcome page given `attachments` office files,
    each REST answer `latency_ms` late."""
    app = create_confluence_app(context_path=CTX, seed="demo", base_url=public_url)
    recorder = Recorder()
    app.middlewares.insert(0, recorder.middleware)
    app[FAULTS].rest_latency = latency_ms / 1000
    store = app[STORE]
    page = store.page_by_title("DEMO", "Welcome")
    if page is None:
        raise RuntimeError("the simulator's demo seed has no Welcome page")
    for index in range(attachments):
        name = _NAMES[index % len(_NAMES)].format(index)
        store.add_attachment(page.id, name, b"x" * (100 + index), media_type_of(name), by="admin")
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Simulator(f"http://127.0.0.1:{port}{CTX}", store, recorder, page.id)
    finally:
        await runner.cleanup()


async def replay_median_ms(base: str, uri: str, answer: Answer, times: int) -> float:
    """Median time of one recorded call made again, straight to the simulator, as the gateway made it."""
    samples = []
    async with aiohttp.ClientSession(headers=answer.headers) as session:
        for _ in range(times + 1):
            started = time.perf_counter()
            async with session.get(base + uri) as response:
                await response.read()
                if response.status != answer.status:
                    raise RuntimeError(f"{uri}: HTTP {response.status} on replay, {answer.status} recorded")
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[1:])
