"""Page views per second through the gateway vs straight from the Confluence simulator.

Starts the whole stack (`gateway.testing.stack.running_stack`) in this process, adds `--attachments`
files to the demo Welcome page, then fetches its attachments page (`viewpageattachments.action`) as
alice, first directly from the simulator and then through the gateway (which proxies the page, asks
Confluence what alice may do with each attachment and injects the ONLYOFFICE links), both measured in
the same run. It prints views per second of each, their ratio, and the REST calls the simulator
received per gateway view (the load the gateway adds to Confluence).

Everything shares one event loop on a shared machine: the gateway's numbers include the simulator
serving the page and the REST calls. Compare the ratio and the calls per view, not absolute rates.

    .venv/bin/python bench/bench_page_view.py [--attachments 100] [--views 200] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.testing.confluence import REST_CALLS  # noqa: E402
from gateway.testing.confluence.seed import media_type_of  # noqa: E402
from gateway.testing.stack import Stack, running_stack  # noqa: E402

_NAMES = ("doc{}.docx", "sheet{}.xlsx", "old{}.doc", "form{}.pdf", "notes{}.txt", "pic{}.png")


def add_attachments(stack: Stack, page_id: int, count: int) -> None:
    for index in range(count):
        name = _NAMES[index % len(_NAMES)].format(index)
        stack.store.add_attachment(page_id, name, b"x" * (100 + index), media_type_of(name), by="admin")


async def views_per_second(url: str, views: int, concurrency: int) -> tuple[float, int]:
    """Fetch `url` `views` times with `concurrency` workers; (views per second, bytes of one view)."""
    auth = {"Authorization": aiohttp.encode_basic_auth("alice", "alice")}
    remaining = 1  # the warm-up view: connections, the gateway's identity cache
    size = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal remaining, size
        while remaining > 0:
            remaining -= 1
            async with session.get(url, allow_redirects=False) as response:
                body = await response.read()
                if response.status != 200:
                    raise SystemExit(f"{url}: HTTP {response.status}")
                size = len(body)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(headers=auth, connector=connector) as session:
        await worker(session)
        remaining = views
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return views / elapsed, size


async def main(attachments: int, views: int, concurrency: int) -> None:
    logging.disable(logging.INFO)  # the access log would dominate a loopback benchmark
    async with running_stack() as stack:
        page = stack.store.page_by_title("DEMO", "Welcome")
        assert page is not None
        add_attachments(stack, page.id, attachments)
        shown = len(stack.store.attachments_of(page.id))
        path = f"/pages/viewpageattachments.action?pageId={page.id}"
        direct, direct_size = await views_per_second(stack.confluence_url + path, views, concurrency)
        calls = stack.confluence_app[REST_CALLS]
        before = calls.total
        gateway, gateway_size = await views_per_second(stack.public_url + path, views, concurrency)
        per_view = (calls.total - before) / (views + 1)  # + the warm-up view
    print(f"attachments page: {shown} attachments, {views} views, concurrency {concurrency}")
    print(f"  direct from the simulator: {direct:8.1f} views/s  ({direct_size} bytes)")
    print(f"  through the gateway:       {gateway:8.1f} views/s  ({gateway_size} bytes)")
    print(f"  ratio gateway/direct:      {gateway / direct:8.2f}")
    print(f"  Confluence REST calls per gateway view: {per_view:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--attachments", type=int, default=100, help="files added to the Welcome page")
    parser.add_argument("--views", type=int, default=200, help="measured views per target")
    parser.add_argument("--concurrency", type=int, default=4, help="views in flight at once")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.attachments, arguments.views, arguments.concurrency))
