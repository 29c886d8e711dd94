"""The whole stack (Confluence simulator, Document Server simulator, gateway) per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.testing.stack import Stack, running_stack


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running_stack() as running:
        yield running
