"""`onlyoffice-gateway simulate docserver` starts a working simulator in a real subprocess."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from gateway.testing.stack import free_port


def test_cli_serves_healthcheck_and_keeps_state(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway",
            "simulate",
            "docserver",
            "--port",
            str(port),
            "--jwt-secret",
            "s" * 32,
            "--save-delay",
            "0.5",
            "--data-dir",
            str(tmp_path / "ds"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthcheck", timeout=2) as resp:
                    body = resp.read()
                    break
            except OSError:
                time.sleep(0.1)
        assert body == b"true"
        assert (tmp_path / "ds").is_dir()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
