"""The CI gate: a run's figures against the baseline recorded in bench/RESULTS.md.

Fails only on a regression by more than 2x, and only on ratios or on figures that do not scale with
the machine's speed (RSS growth, the p50 the gateway adds, each with a floor so noise near zero
never fails). Absolute rates and times are never compared: CI machines differ.

    python -m bench.gate RUN.json [--results bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

RESULTS = Path(__file__).with_name("RESULTS.md")
FACTOR = 2.0
_BLOCK = re.compile(r"<!-- bench-gate -->\s*```json\s*(\{.*?\})\s*```", re.S)


@dataclass(frozen=True)
class Rule:
    better: Literal["higher", "lower"]
    floor: float = 0.0  # lower-is-better: values up to FACTOR x floor always pass


RULES: dict[str, Rule] = {
    "passthrough_vs_nginx_c32": Rule("higher"),
    "front_vs_nginx_c32": Rule("higher"),
    "inject_vs_passthrough": Rule("higher"),
    "download_vs_nginx": Rule("higher"),
    "upload_vs_nginx": Rule("higher"),
    "added_p50_ms_c1": Rule("lower", floor=0.5),
    "download_rss_growth_mib": Rule("lower", floor=16.0),
    "upload_rss_growth_mib": Rule("lower", floor=16.0),
    "save_rss_growth_mib": Rule("lower", floor=16.0),
    "editor_open_vs_slowest_call": Rule("lower", floor=2.0),
}


def baseline(text: str) -> dict[str, float]:
    """The JSON block after `<!-- bench-gate -->` in RESULTS.md."""
    match = _BLOCK.search(text)
    if match is None:
        raise ValueError("RESULTS.md has no <!-- bench-gate --> JSON block")
    data = json.loads(match.group(1))
    return {key: float(value) for key, value in data.items()}


def regressions(recorded: dict[str, float], measured: dict[str, float]) -> list[str]:
    """One line per gated figure that got worse by more than FACTOR (or is missing from the run)."""
    failures = []
    for key, rule in RULES.items():
        if key not in recorded:
            continue
        if key not in measured:
            failures.append(f"{key}: not measured")
            continue
        was, now = recorded[key], measured[key]
        if rule.better == "higher":
            if now * FACTOR < was:
                failures.append(
                    f"{key}: {now:.3g}, was {was:.3g} (higher is better, limit {was / FACTOR:.3g})"
                )
        else:
            limit = FACTOR * max(was, rule.floor)
            if now > limit:
                failures.append(f"{key}: {now:.3g}, was {was:.3g} (lower is better, limit {limit:.3g})")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a file whose last line is the JSON of `./dev bench --json`")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    lines = args.run.read_text().strip().splitlines()
    if not lines:
        print(f"bench gate: {args.run} is empty (did the bench fail?)", file=sys.stderr)
        return 1
    try:
        found = json.loads(lines[-1])
        measured = {key: float(value) for key, value in found.items()}
    except (ValueError, TypeError, AttributeError):
        print(
            f"bench gate: the last line of {args.run} is not the JSON of `./dev bench --json`",
            file=sys.stderr,
        )
        return 1
    failures = regressions(baseline(args.results.read_text()), measured)
    for failure in failures:
        print(f"bench gate: regression: {failure}", file=sys.stderr)
    print(f"bench gate: {len(RULES) - len(failures)}/{len(RULES)} figures within {FACTOR:g}x of RESULTS.md")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
