"""What a soak run measured, and its verdict: requests by route, RSS over time (CSV and PNG).

Kept apart from the load (bench/soak.py) so the numbers and the pass/fail rules read on their own.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Outcome", "RssSample", "Tally", "rss_growth", "table", "verdict", "write_csv", "write_plot"]

MiB = 1024 * 1024
GROWTH_LIMIT = 0.10  # RSS may grow at most 10% between the end of warm-up and the end of the run


@dataclass
class Tally:
    """Requests of one route: latency of each answer, how many by status, and failures."""

    seconds: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, status: int, seconds: float | None) -> None:
        """An answer; `seconds` None when its latency is not ours to see (callbacks)."""
        self.statuses[status] += 1
        if seconds is not None:
            self.seconds.append(seconds)

    def fail(self, what: str) -> None:
        self.errors[what] += 1

    @property
    def count(self) -> int:
        return sum(self.statuses.values()) + sum(self.errors.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def percentile_ms(self, share: float) -> str:
        if not self.seconds:
            return "-"
        ordered = sorted(self.seconds)
        return f"{ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000:.0f}"


@dataclass(frozen=True)
class RssSample:
    at: float  # seconds since the load started
    name: str  # gateway-supervisor, gateway-worker-<pid>, confluence, soak (+ the Document Server)
    pid: int
    rss: int


@dataclass
class Outcome:
    routes: dict[str, Tally]
    samples: list[RssSample]
    warmup: float
    duration: float
    expected_versions: dict[str, int]
    found_versions: dict[str, int]
    notes: list[str] = field(default_factory=list)


def table(outcome: Outcome) -> str:
    lines = [
        "| route | requests | 2xx/3xx/4xx | 5xx | failed | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, tally in sorted(outcome.routes.items()):
        ok = sum(n for status, n in tally.statuses.items() if status < 500)
        failed = ", ".join(f"{what} {n}" for what, n in sorted(tally.errors.items())) or "0"
        lines.append(
            f"| {name} | {tally.count} | {ok} | {tally.server_errors} | {failed} "
            f"| {tally.percentile_ms(0.5)} | {tally.percentile_ms(0.99)} |"
        )
    return "\n".join(lines)


def rss_growth(samples: list[RssSample], warmup: float) -> dict[str, tuple[float, float]]:
    """Per gateway process: (RSS MiB just after warm-up, RSS MiB at the end), medians of a few samples.

    Gateway processes are the system under test; the simulators and the load driver (which keeps
    every callback it sent, for the checks) are plotted, not judged.
    """
    by_process: dict[str, list[RssSample]] = defaultdict(list)
    for sample in samples:
        if sample.name.startswith("gateway"):
            by_process[sample.name].append(sample)
    found: dict[str, tuple[float, float]] = {}
    for name, rows in by_process.items():
        after = [s.rss for s in rows if s.at >= warmup]
        if len(after) < 6:
            continue  # a worker that did not live through the run (none should)
        window = max(3, len(after) // 10)
        found[name] = (statistics.median(after[:window]) / MiB, statistics.median(after[-window:]) / MiB)
    return found


def verdict(outcome: Outcome) -> list[str]:
    """Why the run failed (empty: it passed)."""
    problems: list[str] = []
    for name, tally in sorted(outcome.routes.items()):
        if tally.server_errors:
            problems.append(f"{name}: {tally.server_errors} answers 5xx")
        if tally.errors:
            problems.append(f"{name}: failed requests {dict(tally.errors)}")
    for title, expected in sorted(outcome.expected_versions.items()):
        found = outcome.found_versions.get(title, -1)
        if found < expected:
            problems.append(f"{title}: version {found}, expected {expected}: an edit was lost")
        elif found > expected:
            problems.append(f"{title}: version {found}, expected {expected}: a save made two versions")
    for name, (start, end) in sorted(rss_growth(outcome.samples, outcome.warmup).items()):
        if start and (end - start) / start > GROWTH_LIMIT:
            problems.append(f"{name}: RSS grew {start:.1f} -> {end:.1f} MiB after warm-up (> 10%)")
    return problems


def write_csv(samples: list[RssSample], path: Path) -> None:
    with path.open("w", newline="") as file:
        out = csv.writer(file)
        out.writerow(["seconds", "process", "pid", "rss_mib"])
        for s in samples:
            out.writerow([f"{s.at:.1f}", s.name, s.pid, f"{s.rss / MiB:.2f}"])


def write_plot(samples: list[RssSample], warmup: float, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(9, 4.5), dpi=100)
    by_process: dict[str, list[RssSample]] = defaultdict(list)
    for sample in samples:
        by_process[sample.name].append(sample)
    for name, rows in sorted(by_process.items()):
        axes.plot([s.at for s in rows], [s.rss / MiB for s in rows], label=name)
    axes.axvline(warmup, color="grey", linestyle="--", linewidth=1, label="end of warm-up")
    axes.set_xlabel("seconds")
    axes.set_ylabel("RSS (MiB)")
    axes.set_title(title)
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small", loc="best")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
