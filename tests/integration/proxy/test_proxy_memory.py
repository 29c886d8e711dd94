"""Big bodies through a gateway subprocess while its RSS is sampled: memory must stay flat."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import psutil  # type: ignore[import-untyped,unused-ignore]
import pytest
from aiohttp.test_utils import TestServer

from tests.integration.proxy.proxy_fixtures import gateway_process
from tests.integration.proxy.upstream_stub import CTX

MiB = 1024 * 1024
# Growth allowed over the idle baseline: buffers and the pool, far below the body sizes.
MAX_GROWTH = 40 * MiB

pytestmark = pytest.mark.slow


class RssSampler:
    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.baseline = int(self._process.memory_info().rss)
        self.peak = self.baseline
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.peak = max(self.peak, int(self._process.memory_info().rss))
            await asyncio.sleep(0.02)

    @contextlib.asynccontextmanager
    async def sampling(self) -> AsyncIterator[None]:
        self._task = asyncio.create_task(self._run())
        try:
            yield
        finally:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


async def _warm_up(session: aiohttp.ClientSession, url: str) -> None:
    # Allocate the steady-state buffers first, so the baseline is not a cold process.
    async with session.get(url(f"{CTX}/big?size={4 * MiB}")) as response:  # type: ignore[operator]
        await response.read()


async def test_200_mib_download_keeps_memory_flat(tmp_path: Path, stub: TestServer) -> None:
    assert stub.port is not None
    size = 200 * MiB
    async with gateway_process(tmp_path, stub.port) as gateway, aiohttp.ClientSession() as session:
        await _warm_up(session, gateway.url)  # type: ignore[arg-type]
        sampler = RssSampler(gateway.process.pid)
        received = 0
        async with sampler.sampling(), session.get(gateway.url(f"{CTX}/big?size={size}")) as response:
            assert response.status == 200
            assert response.headers["Content-Length"] == str(size)
            async for chunk in response.content.iter_any():
                received += len(chunk)
        assert received == size
        assert sampler.growth < MAX_GROWTH, f"gateway RSS grew {sampler.growth / MiB:.1f} MiB"


async def test_100_mib_upload_keeps_memory_flat(tmp_path: Path, stub: TestServer) -> None:
    assert stub.port is not None
    size = 100 * MiB
    block = b"u" * (256 * 1024)

    async def body() -> AsyncIterator[bytes]:
        for _ in range(size // len(block)):
            yield block

    async with gateway_process(tmp_path, stub.port) as gateway, aiohttp.ClientSession() as session:
        await _warm_up(session, gateway.url)  # type: ignore[arg-type]
        sampler = RssSampler(gateway.process.pid)
        async with (
            sampler.sampling(),
            session.post(
                gateway.url(f"{CTX}/upload"), data=body(), headers={"Content-Length": str(size)}
            ) as response,
        ):
            assert response.status == 200
            assert await response.json() == {"bytes": size}
        assert sampler.growth < MAX_GROWTH, f"gateway RSS grew {sampler.growth / MiB:.1f} MiB"
