"""Proxy-core benchmark: the gateway against the same upstream hit directly, in the same run.

    .venv/bin/python bench/proxy_bench.py [--seconds 5] [--concurrency 1,32]

Processes: an upstream (tiny aiohttp app with precomputed bodies), the gateway
(`python -m gateway serve`), and this script as a closed-loop load generator (coordinated
omission applies: p99 under overload is understated). Prints absolute numbers and the ratio
gateway/direct, which is what to compare between runs on a shared, noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil  # type: ignore[import-untyped,unused-ignore]
import yaml

from gateway.testing.stack import free_port, wait_ready

CTX = "/confluence"
MiB = 1024 * 1024

UPSTREAM = f"""
import sys
from aiohttp import web
small = b"s" * 1024
block = b"b" * (256 * 1024)
async def status(request): return web.json_response({{"state": "RUNNING"}})
async def small_h(request): return web.Response(body=small, content_type="text/plain")
async def big(request):
    size = int(request.query["size"])
    response = web.StreamResponse()
    response.content_length = size
    await response.prepare(request)
    sent = 0
    while sent < size:
        part = block[: min(len(block), size - sent)]
        await response.write(part)
        sent += len(part)
    return response
app = web.Application()
app.router.add_get("{CTX}/status", status)
app.router.add_get("{CTX}/small", small_h)
app.router.add_get("{CTX}/big", big)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


async def load(url: str, concurrency: int, seconds: float) -> tuple[float, float, float]:
    """Closed loop: `concurrency` workers for `seconds`; returns req/s, p50 ms, p99 ms."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                async with session.get(url) as response:
                    await response.read()
                    assert response.status == 200, response.status
                latencies.append(time.perf_counter() - start)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p99 * 1000


async def download(url: str, size: int) -> float:
    """MiB/s for one streamed download of `size` bytes."""
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        received = 0
        async with session.get(f"{url}?size={size}") as response:
            async for chunk in response.content.iter_any():
                received += len(chunk)
        assert received == size
        return size / MiB / (time.perf_counter() - start)


def write_config(path: Path, port: int, upstream_port: int) -> None:
    path.write_text(
        yaml.safe_dump(
            {
                "listen": {"host": "127.0.0.1", "port": port},
                "public_url": f"http://127.0.0.1:{port}{CTX}",
                "confluence": {"url": f"http://127.0.0.1:{upstream_port}{CTX}", "auth": {"token": "bench"}},
                "documentserver": {"public_url": "http://127.0.0.1:1/", "jwt": {"secret": "b" * 32}},
                "logging": {"level": "WARNING", "format": "text", "access_log": False},
            }
        )
    )


async def main(seconds: float, concurrencies: list[int]) -> None:
    upstream_port, gateway_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "gateway.yaml"
        write_config(config, gateway_port, upstream_port)
        upstream = subprocess.Popen([sys.executable, "-c", UPSTREAM, str(upstream_port)])
        gateway = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--config", str(config)])
        try:
            direct = f"http://127.0.0.1:{upstream_port}{CTX}"
            via = f"http://127.0.0.1:{gateway_port}{CTX}"
            await wait_ready(direct + "/status")
            await wait_ready(f"http://127.0.0.1:{gateway_port}/livez")
            gw_process = psutil.Process(gateway.pid)
            print(f"python {sys.version.split()[0]}, aiohttp {aiohttp.__version__}, cpus {os.cpu_count()}")
            print(f"{'case':<22}{'direct':>32}{'gateway':>32}{'gw/direct':>11}")
            for concurrency in concurrencies:
                d = await load(direct + "/small", concurrency, seconds)
                g = await load(via + "/small", concurrency, seconds)
                print(
                    f"{'1 KiB c=' + str(concurrency):<22}"
                    f"{f'{d[0]:.0f}/s p50 {d[1]:.2f} p99 {d[2]:.2f}':>32}"
                    f"{f'{g[0]:.0f}/s p50 {g[1]:.2f} p99 {g[2]:.2f}':>32}"
                    f"{g[0] / d[0]:>11.2f}"
                )
            rss_before = gw_process.memory_info().rss
            d_mb = await download(direct + "/big", 200 * MiB)
            g_mb = await download(via + "/big", 200 * MiB)
            rss_after = gw_process.memory_info().rss
            print(
                f"{'200 MiB download':<22}{f'{d_mb:.0f} MiB/s':>32}{f'{g_mb:.0f} MiB/s':>32}"
                f"{g_mb / d_mb:>11.2f}"
            )
            print(f"gateway RSS {rss_after / MiB:.1f} MiB (grew {(rss_after - rss_before) / MiB:+.1f} MiB)")
        finally:
            for process in (gateway, upstream):
                process.send_signal(signal.SIGTERM)
            for process in (gateway, upstream):
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", default="1,32")
    args = parser.parse_args()
    asyncio.run(main(args.seconds, [int(c) for c in args.concurrency.split(",")]))
