"""`./dev bench [--quick] [--json]`: the gateway against nginx, direct and the nginx front, in one run."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path

from bench import confluence, fixtures, gate, profile, report, run
from bench import results as results_file


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # the same clean-up as Ctrl-C: every started process is stopped


def main() -> int:
    parser = argparse.ArgumentParser(prog="./dev bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short points, 256 MiB download (CI, < 90 s)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians; at least 3)")
    parser.add_argument("--seconds", type=float, help="seconds per wrk point (default 1 quick, 5 full)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="the gateway's listen.workers"
    )
    parser.add_argument(
        "--write-results", action="store_true", help="put this run's table and baseline into bench/RESULTS.md"
    )
    parser.add_argument(
        "--note", default="", help="with --write-results: a remark on the run (e.g. the load)"
    )
    parser.add_argument(
        "--confluence-ms",
        type=float,
        default=confluence.LATENCY_MS,
        help="the live Confluence simulator answers each REST call this late (editor open, save)",
    )
    parser.add_argument("--profile", type=Path, help="py-spy the gateway in the first round; stacks to DIR")
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds must be at least 3 (the figures are medians)")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    plan = run.Plan(
        rounds=args.rounds,
        seconds=args.seconds or (1.0 if args.quick else 5.0),
        sizes=fixtures.QUICK if args.quick else fixtures.FULL,
        workers=args.workers,
        editor_opens=20 if args.quick else 100,
        profile=args.profile,
        confluence_ms=args.confluence_ms,
        extras=not args.quick,
    )
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    try:
        results = asyncio.run(run.run(plan))
    except KeyboardInterrupt:
        print("bench: interrupted; every process it started is stopped", file=sys.stderr)
        return 130
    numbers = report.figures(results)
    table, summary = report.table(results), report.summary(results, numbers)
    if results.profiles:
        summary += "\npy-spy, first round, gateway only (self: on CPU; incl: on the stack):\n"
        summary += "\n".join(profile.summarise(raw) for raw in results.profiles)
    print(table)
    print(summary)
    print("machine: " + ", ".join(f"{name} {value}" for name, value in report.machine().items()))
    print(f"bench: {time.monotonic() - started:.0f} s, {plan.rounds} rounds, {plan.seconds:g} s per point")
    if args.write_results:
        command = "./dev bench " + " ".join(sys.argv[1:])
        kept = None
        if not args.quick and gate.RESULTS.exists():
            with contextlib.suppress(ValueError):
                kept = gate.baseline(gate.RESULTS.read_text())
        text = results_file.section(table, summary, numbers, report.machine(), command, args.note, kept)
        results_file.write(gate.RESULTS, text)
        print(f"bench: wrote {gate.RESULTS}")
    if args.json:
        print(json.dumps({key: round(value, 4) for key, value in numbers.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
