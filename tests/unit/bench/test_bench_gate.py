"""The CI gate's comparison: 2x regressions fail in the right direction, noise near zero never does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import gate, load

RECORDED = {
    "passthrough_vs_nginx_c32": 0.8,
    "added_p50_ms_c1": 0.3,
    "download_rss_growth_mib": 0.0,
    "editor_open_vs_slowest_call": 5.0,
}


def test_within_2x_passes() -> None:
    measured = {**RECORDED, "passthrough_vs_nginx_c32": 0.41, "editor_open_vs_slowest_call": 9.9}
    assert gate.regressions(RECORDED, measured) == []


def test_higher_is_better_ratio_halved_fails() -> None:
    failures = gate.regressions(RECORDED, {**RECORDED, "passthrough_vs_nginx_c32": 0.39})
    assert [f.split(":")[0] for f in failures] == ["passthrough_vs_nginx_c32"]


def test_higher_is_better_never_fails_for_improving() -> None:
    assert gate.regressions(RECORDED, {**RECORDED, "passthrough_vs_nginx_c32": 5.0}) == []


def test_lower_is_better_doubled_fails() -> None:
    failures = gate.regressions(RECORDED, {**RECORDED, "editor_open_vs_slowest_call": 10.1})
    assert [f.split(":")[0] for f in failures] == ["editor_open_vs_slowest_call"]


def test_floor_keeps_noise_near_zero_from_failing() -> None:
    # recorded 0 MiB growth: 2x of 0 would fail on any byte; the 16 MiB floor allows up to 32
    assert gate.regressions(RECORDED, {**RECORDED, "download_rss_growth_mib": 31.0}) == []
    assert gate.regressions(RECORDED, {**RECORDED, "added_p50_ms_c1": 0.99}) == []
    failures = gate.regressions(RECORDED, {**RECORDED, "download_rss_growth_mib": 33.0})
    assert [f.split(":")[0] for f in failures] == ["download_rss_growth_mib"]


def test_a_recorded_figure_missing_from_the_run_fails() -> None:
    measured = {k: v for k, v in RECORDED.items() if k != "added_p50_ms_c1"}
    assert gate.regressions(RECORDED, measured) == ["added_p50_ms_c1: not measured"]


def test_figures_not_gated_are_ignored() -> None:
    assert gate.regressions({**RECORDED, "inject_rps": 100.0}, {**RECORDED, "inject_rps": 1.0}) == []


def test_baseline_is_read_from_the_marked_block() -> None:
    text = (
        '# Results\n```json\n{"other": 1}\n```\n<!-- bench-gate -->\n```json\n{"upload_vs_nginx": 0.7}\n```\n'
    )
    assert gate.baseline(text) == {"upload_vs_nginx": 0.7}
    with pytest.raises(ValueError, match="bench-gate"):
        gate.baseline("no block here")


def test_main_reads_the_last_line_and_exits_non_zero_on_regression(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(f"<!-- bench-gate -->\n```json\n{json.dumps(RECORDED)}\n```\n")
    run = tmp_path / "run.txt"
    run.write_text("table...\n" + json.dumps(RECORDED) + "\n")
    assert gate.main([str(run), "--results", str(results)]) == 0
    run.write_text("table...\n" + json.dumps({**RECORDED, "passthrough_vs_nginx_c32": 0.1}) + "\n")
    assert gate.main([str(run), "--results", str(results)]) == 1


@pytest.mark.parametrize("last_line", ["soak: passed", "[1, 2]", '{"workers": "two"}', '{"workers": null}'])
def test_main_names_a_last_line_that_is_not_the_bench_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], last_line: str
) -> None:
    run = tmp_path / "ci.log"
    run.write_text(json.dumps(RECORDED) + "\n" + last_line + "\n")
    assert gate.main([str(run)]) == 1
    assert "is not the JSON of `./dev bench --json`" in capsys.readouterr().err


def test_the_committed_results_have_a_baseline_for_every_gated_figure() -> None:
    assert set(gate.baseline(gate.RESULTS.read_text())) >= set(gate.RULES)


WRK = """Running 1s test @ http://127.0.0.1:1/x
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02ms  300.00us   5.00ms   90.00%
  Latency Distribution
     50%  850.00us
     75%    1.10ms
     90%    1.50ms
     99%    2.10s
  35000 requests in 1.00s, 40.00MB read
Requests/sec:  34987.12
Transfer/sec:     40.00MB
"""


def test_wrk_output_is_parsed_with_units() -> None:
    assert load.parse_wrk(WRK) == load.Rate(34987.12, 0.85, 2100.0)


def test_wrk_errors_fail_loudly() -> None:
    with pytest.raises(RuntimeError, match="failures"):
        load.parse_wrk(WRK + "  Non-2xx or 3xx responses: 12\n")
    with pytest.raises(RuntimeError, match="--latency"):
        load.parse_wrk(WRK.replace("     99%    2.10s\n", ""))
