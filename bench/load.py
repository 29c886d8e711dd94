"""The load generators, both C programs so the client is never the bottleneck: wrk for request
rates and latency percentiles, curl for one large download or upload at a time (MB/s)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.procs import pinned

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_PERCENTILE = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.M)
_FAILURES = re.compile(r"^\s+(Non-2xx or 3xx responses|Socket errors):\s*(.+)$", re.M)


@dataclass(frozen=True)
class Rate:
    rps: float
    p50_ms: float
    p99_ms: float


def parse_wrk(output: str) -> Rate:
    """Requests/s and p50/p99 in ms from `wrk --latency` output; errors or missing lines fail loudly."""
    failures = _FAILURES.findall(output)
    if failures:
        raise RuntimeError(f"wrk saw failures: {failures}\n{output}")
    rps = _RPS.search(output)
    percentiles = {p: float(v) * _UNITS[u] for p, v, u in _PERCENTILE.findall(output)}
    if rps is None or set(percentiles) != {"50", "99"}:
        raise RuntimeError(f"cannot parse wrk output (was --latency given?):\n{output}")
    return Rate(float(rps.group(1)), percentiles["50"], percentiles["99"])


def wrk(
    url: str, connections: int, seconds: float, cpus: str | None, headers: Mapping[str, str] | None = None
) -> Rate:
    """One closed-loop wrk run (one thread: it is pinned to one core anyway)."""
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        pinned([*command, url], cpus), capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk(done.stdout)


def curl_download(
    url: str, expected: int, cpus: str | None, headers: Mapping[str, str] | None = None
) -> float:
    """MB/s (10^6 bytes) of one download to /dev/null; a short or failed transfer fails."""
    out = _curl(
        ["-o", "/dev/null", "-w", "%{http_code} %{size_download} %{speed_download}", *_headers(headers), url],
        cpus,
    )
    return _speed(url, out, expected)


def curl_upload(url: str, source: Path, cpus: str | None, headers: Mapping[str, str] | None = None) -> float:
    """MB/s of one POST of `source` (streamed from the file, no `Expect: 100-continue` round trip)."""
    out = _curl(
        [
            "-X",
            "POST",
            "-T",
            str(source),
            "-H",
            "Expect:",
            "-H",
            "Content-Type: application/octet-stream",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_upload} %{speed_upload}",
            *_headers(headers),
            url,
        ],
        cpus,
    )
    return _speed(url, out, source.stat().st_size)


def _headers(headers: Mapping[str, str] | None) -> list[str]:
    return [part for name, value in (headers or {}).items() for part in ("-H", f"{name}: {value}")]


def _curl(arguments: list[str], cpus: str | None) -> str:
    done = subprocess.run(
        pinned(["curl", "-sS", "--max-time", "120", *arguments], cpus),
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"curl failed ({done.returncode}): {done.stderr}")
    return done.stdout


def _speed(url: str, out: str, expected: int) -> float:
    status, size, speed = out.split()
    if status != "200" or int(float(size)) != expected:
        raise RuntimeError(f"{url}: HTTP {status}, {size} bytes moved, {expected} expected")
    return float(speed) / 1e6
