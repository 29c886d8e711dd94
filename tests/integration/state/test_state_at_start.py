"""`serve` with a state file that cannot be used stops at once with one line naming it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gateway.testing.stack import free_port

REPO = Path(__file__).resolve().parents[3]


def test_an_unusable_state_file_stops_the_start_with_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "state.sqlite3").write_text("this file holds something else entirely\n" * 4)
    port = free_port()
    config = tmp_path / "gateway.yaml"
    config.write_text(
        f"listen: {{host: 127.0.0.1, port: {port}, workers: 1}}\n"
        f"public_url: http://127.0.0.1:{port}/confluence\n"
        f"confluence: {{url: 'http://127.0.0.1:{free_port()}/confluence', auth: {{token: pat-0123456789}}}}\n"
        f"documentserver: {{public_url: 'http://127.0.0.1:{free_port()}', jwt: {{secret: {'s' * 40}}}}}\n"
        "state: {path: state.sqlite3}\n"  # relative: next to the config, wherever serve runs
    )
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--config", str(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    # The structured log may say which event loop runs; besides it, exactly the one error line.
    not_log_lines = [line for line in done.stderr.splitlines() if not line.startswith('{"time"')]
    assert "Traceback" not in done.stderr
    assert not_log_lines == [
        f"onlyoffice-gateway: cannot start: shared state (SQLite file {tmp_path}/state.sqlite3) "
        "unavailable: file is not a database"
    ]
