"""The type check as one test: mypy --strict over gateway/, tests/ and bench/ (pyproject's
[tool.mypy]), so `./dev test` and CI run it with everything else. Under a minute from a cold
cache; mypy's own cache (.mypy_cache) makes later runs take a second or two."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_strict_finds_no_errors_in_gateway_tests_and_bench() -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.fail("mypy is missing: pip install -e '.[test]' (./dev test installs it)")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "gateway", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        pytest.fail(f"mypy gateway tests bench:\n{result.stdout}{result.stderr}", pytrace=False)
