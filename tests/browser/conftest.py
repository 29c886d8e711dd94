"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium through Playwright.

One launch recipe for every browser folder and the README picture (gateway.testing.screenshot):
the `browser` fixture (a fresh browser per test).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from gateway.testing.screenshot import CHROMIUM, CHROMIUM_ARGS
from gateway.testing.stack import Stack, running_stack


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    """The whole system on loopback (simulators + gateway), fresh for each test."""
    async with running_stack() as running:
        yield running
