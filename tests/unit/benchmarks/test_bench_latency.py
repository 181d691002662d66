"""The buffered entry's latency figures in the bench report: the target read at the lowest rate."""

from __future__ import annotations

from typing import Any

from benchmarks import report


def measured(rate: float, p99: float) -> dict[str, Any]:
    return {
        "rate": rate,
        "events": 600,
        "concurrency": 8,
        "window_s": 5.0,
        "executions": 11,
        "records_per_execution_mean": 54.5,
        "p50_s": 3.1,
        "p99_s": p99,
        "max_s": p99 + 0.5,
        "limit_s": 7.0,
        "wall_s": 70.0,
    }


def test_the_p99_target_is_the_window_plus_two_seconds_at_the_first_rate() -> None:
    (met,) = report.latency_targets([measured(10, 6.9), measured(100, 30.0)])
    assert (met.met, met.measured, met.limit, met.comparison) == (True, 6.9, 7.0, "<=")
    assert "at 10 events/s" in met.name
    (missed,) = report.latency_targets([measured(10, 7.2)])
    assert missed.met is False


def test_the_section_has_a_row_per_rate() -> None:
    lines = report.latency_section([measured(10, 6.9), measured(100, 30.0)])
    rows = [line for line in lines if line.startswith("| 10 ") or line.startswith("| 100 ")]
    assert rows == [
        "| 10 | 600 | 11 | 54.5 | 3.10 | 6.90 | 7.40 | 7 |",
        "| 100 | 600 | 11 | 54.5 | 3.10 | 30.00 | 30.50 | 7 |",
    ]
