"""The soak's verdict: what fails a run (5xx, failed requests, a version count off by one either
way, RSS growth after warm-up) and what does not (simulators' RSS, growth during warm-up)."""

from __future__ import annotations

from pathlib import Path

from bench.soak_report import MiB, Outcome, RssSample, Tally, rss_growth, table, verdict, write_csv


def _samples(name: str, start: float, end: float, seconds: int = 40) -> list[RssSample]:
    return [
        RssSample(float(t), name, 1, int((start + (end - start) * t / seconds) * MiB))
        for t in range(seconds + 1)
    ]


def _outcome(**kw: object) -> Outcome:
    page = Tally()
    page.add(200, 0.01)
    values: dict[str, object] = {
        "routes": {"page": page},
        "samples": _samples("gateway-worker-1", 100, 104),
        "warmup": 10.0,
        "duration": 40.0,
        "expected_versions": {"a.docx": 3},
        "found_versions": {"a.docx": 3},
        **kw,
    }
    return Outcome(**values)  # type: ignore[arg-type]


def test_a_clean_run_passes() -> None:
    assert verdict(_outcome()) == []


def test_server_errors_and_failed_requests_fail() -> None:
    page = Tally()
    page.add(502, 0.2)
    page.fail("ServerDisconnectedError")
    problems = verdict(_outcome(routes={"page": page}))
    assert problems == ["page: 1 answers 5xx", "page: failed requests {'ServerDisconnectedError': 1}"]
    assert "| page | 2 | 0 | 1 | ServerDisconnectedError 1 | 200 | 200 |" in table(
        _outcome(routes={"page": page})
    )


def test_a_lost_and_a_doubled_version_fail() -> None:
    problems = verdict(
        _outcome(expected_versions={"a.docx": 3, "b.docx": 2}, found_versions={"a.docx": 2, "b.docx": 3})
    )
    assert problems == [
        "a.docx: version 2, expected 3: an edit was lost",
        "b.docx: version 3, expected 2: a save made two versions",
    ]


def test_rss_growth_after_warm_up_of_a_gateway_process_fails() -> None:
    grown = _samples("gateway-worker-1", 100, 130)
    assert verdict(_outcome(samples=grown))[0].startswith("gateway-worker-1: RSS grew")
    # The simulators are plotted, not judged; growth during warm-up does not count.
    others = _samples("confluence-simulator", 100, 400) + _samples("gateway-worker-1", 100, 104)
    warm = [RssSample(0.0, "gateway-worker-2", 2, 10 * MiB), *_samples("gateway-worker-2", 100, 101)[11:]]
    assert verdict(_outcome(samples=others + warm)) == []
    assert set(rss_growth(others + warm, 10.0)) == {"gateway-worker-1", "gateway-worker-2"}


def test_csv_has_one_row_per_sample(tmp_path: Path) -> None:
    path = tmp_path / "rss.csv"
    write_csv(_samples("gateway-worker-1", 100, 104, seconds=3), path)
    lines = path.read_text().splitlines()
    assert lines[0] == "seconds,process,pid,rss_mib" and len(lines) == 5
    assert lines[1] == "0.0,gateway-worker-1,1,100.00"
