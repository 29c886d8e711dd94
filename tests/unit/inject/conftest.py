"""The `backend` fixture: every injection test runs with both scanners."""

from __future__ import annotations

import pytest

from tests.unit.inject.inject_helpers import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
