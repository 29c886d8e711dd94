"""Shared helpers: run the Debian tools that parse the legacy binary formats."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def run_tool(tool: str, data: bytes, tmp_path: Path, suffix: str, *args: str) -> str:
    """Write `data` to a file and return what `tool` prints for it (the test fails on a non-zero exit)."""
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed: apt-get install -y antiword catdoc")
    path = tmp_path / f"file{suffix}"
    path.write_bytes(data)
    result = subprocess.run([tool, *args, str(path)], capture_output=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert not result.stderr.strip(), result.stderr.decode(errors="replace")
    return result.stdout.decode("utf-8", errors="replace")
