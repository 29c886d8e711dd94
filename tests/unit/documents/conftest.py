"""Shared helpers: run the Debian tools that parse the binary formats (legacy Office, PDF)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

APT_PACKAGES = "antiword catdoc qpdf poppler-utils"


def run_tool(tool: str, data: bytes, tmp_path: Path, suffix: str, *args: str) -> str:
    """Write `data` to a file and return what `tool` prints for it (the test fails on a non-zero exit).

    The file's path replaces a "{}" argument, or comes last (not at all when `data` is empty).
    """
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed: apt-get install -y {APT_PACKAGES}")
    path = tmp_path / f"file{suffix}"
    path.write_bytes(data)
    argv = [str(path) if arg == "{}" else arg for arg in args]
    if "{}" not in args and data:
        argv.append(str(path))
    result = subprocess.run([tool, *argv], capture_output=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert not result.stderr.strip(), result.stderr.decode(errors="replace")
    return result.stdout.decode("utf-8", errors="replace")
