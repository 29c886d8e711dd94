"""What a run prints: the table of medians and the figures the issue names (the `--json` keys)."""

from __future__ import annotations

import importlib.util
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from bench.run import PASSTHROUGH, TARGETS, Results


def figures(results: Results) -> dict[str, float]:
    """The run's headline numbers, each measured in this run (ratios where the issue asks for them)."""
    nginx_c32 = results.rate("200k c32", "nginx").rps
    passed = results.rate("page passed c32", "gateway").rps
    slowest_call = max(results.editor_calls_ms.values())
    editor = statistics.median(results.editor_ms)
    save_seconds = statistics.median(results.save_seconds)
    return {
        "passthrough_vs_nginx_c32": results.rate("200k c32", "gateway").rps / nginx_c32,
        "passthrough_vs_nginx_c32_1k": results.rate("1k c32", "gateway").rps
        / results.rate("1k c32", "nginx").rps,
        "front_vs_nginx_c32": results.rate("200k c32", "front").rps / nginx_c32,
        "added_p50_ms_c1": results.rate("1k c1", "gateway").p50_ms - results.rate("1k c1", "direct").p50_ms,
        "nginx_added_p50_ms_c1": results.rate("1k c1", "nginx").p50_ms
        - results.rate("1k c1", "direct").p50_ms,
        "inject_vs_passthrough": results.rate("page rewritten c32", "gateway").rps / passed,
        "inject_rps": results.rate("page rewritten c32", "gateway").rps,
        "download_vs_nginx": results.speed("download", "gateway") / results.speed("download", "nginx"),
        "download_rss_growth_mib": max(results.rss_growth["download"]),
        "upload_vs_nginx": results.speed("upload", "gateway") / results.speed("upload", "nginx"),
        "upload_rss_growth_mib": max(results.rss_growth["upload"]),
        "editor_open_ms": editor,
        "editor_slowest_call_ms": slowest_call,
        "editor_open_vs_slowest_call": editor / slowest_call,
        "save_mb_s": results.save_bytes / 1e6 / save_seconds,
        "save_rss_growth_mib": max(results.rss_growth["save"]),
        "gateway_peak_rss_mib": results.rss_peak_mib,
        "workers": float(results.workers),
    }


def table(results: Results) -> str:
    """Medians per scenario and target; the last column is the gateway's ratio to plain nginx."""
    lines = [f"{'scenario':<22}" + "".join(f"{t:>22}" for t in TARGETS) + f"{'gw/nginx':>10}"]
    rate_rows = [f"{size} c{c}" for size, c in PASSTHROUGH] + ["page rewritten c32", "page passed c32"]
    for scenario in rate_rows:
        cells = []
        for target in TARGETS:
            if (scenario, target) in results.rates:
                r = results.rate(scenario, target)
                cells.append(f"{r.rps:>8.0f}/s {r.p50_ms:>5.2f}/{r.p99_ms:<5.2f}")
            else:
                cells.append("-")
        ratio = _ratio(results, scenario)
        lines.append(f"{scenario:<22}" + "".join(f"{c:>22}" for c in cells) + f"{ratio:>10}")
    for scenario in ("download", "upload"):
        cells = [f"{results.speed(scenario, t):>8.0f} MB/s" for t in TARGETS]
        speed_ratio = results.speed(scenario, "gateway") / results.speed(scenario, "nginx")
        lines.append(f"{scenario:<22}" + "".join(f"{c:>22}" for c in cells) + f"{speed_ratio:>10.2f}")
    lines.append("cells: requests/s p50/p99 ms (wrk, closed loop: p99 under overload is understated)")
    return "\n".join(lines)


def _ratio(results: Results, scenario: str) -> str:
    if (scenario, "nginx") not in results.rates or (scenario, "gateway") not in results.rates:
        return "-"
    return f"{results.rate(scenario, 'gateway').rps / results.rate(scenario, 'nginx').rps:.2f}"


def summary(results: Results, numbers: dict[str, float]) -> str:
    lines = [
        f"gateway workers: {results.workers}; gateway peak RSS {numbers['gateway_peak_rss_mib']:.0f} MiB",
        f"download growth {numbers['download_rss_growth_mib']:.1f} MiB, upload growth "
        f"{numbers['upload_rss_growth_mib']:.1f} MiB, save growth {numbers['save_rss_growth_mib']:.1f} MiB",
        f"editor open {numbers['editor_open_ms']:.2f} ms vs slowest Confluence call "
        f"{numbers['editor_slowest_call_ms']:.2f} ms ({len(results.editor_calls_ms)} calls)",
        f"save through the callback path: {numbers['save_mb_s']:.0f} MB/s",
    ]
    lines += [f"{name}: {value}" for name, value in results.notes.items()]
    return "\n".join(lines)


def machine() -> dict[str, str]:
    """What the figures depend on (printed with the table, copied into RESULTS.md)."""
    import aiohttp
    from aiohttp import http_parser

    def first_line(command: list[str]) -> str:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=10)
        return (done.stdout or done.stderr).strip().splitlines()[0]

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    c_parser = http_parser.HttpRequestParser is not http_parser.HttpRequestParserPy
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),  # this process is pinned by now
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "aiohttp": aiohttp.__version__,
        "parser": "C (llhttp)" if c_parser else "pure Python",
        "uvloop": "yes" if importlib.util.find_spec("uvloop") else "no",
        "nginx": first_line(["/usr/sbin/nginx", "-v"]).removeprefix("nginx version: "),
        "wrk": first_line(["wrk", "-v"]).split(" [")[0],
    }
