"""The buffered entry's latency figures in the bench report: the target read at the lowest rate."""

from __future__ import annotations

from typing import Any

from benchmarks import latency, report


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


def test_a_run_alone_replaces_the_section_the_target_row_and_its_gap() -> None:
    before = report.latency_targets([measured(10, 8.0)])[0]
    document = "\n".join(
        [
            "# benchmarks",
            "",
            "## Targets",
            "",
            "| target | measured | limit | met |",
            "| --- | --- | --- | --- |",
            "| " + " | ".join(map(str, report.target_cells(before.as_dict()))) + " |",
            "",
            "- another gap",
            f"- {report.latency_gap(before)}",
            "",
            "## Cost per million events",
            "",
            report.LATENCY_TITLE,
            "",
            "the old section",
            "",
            "## End-to-end throughput through the emulator",
            "",
            "## How it was measured",
            "",
            "- a method",
        ]
    )
    alone = {"generated_at": "2026-12-02T00:30:00+00:00", "commit": "0123456789abcdef"}
    met = latency.splice(document, [measured(10, 6.5)], alone)
    assert "| 6.50 s (p50 3.10 s; window 5 s) | <= 7 | met |" in met
    assert "- another gap" in met
    assert "is 8.00 s" not in met
    assert "the old section" not in met
    assert "run alone (`python -m benchmarks.latency`) at 2026-12-02T00:30:00+00:00" in met
    assert "| 10 | 600 | 11 | 54.5 | 3.10 | 6.50 | 7.00 | 7 |" in met
    assert met.endswith(
        "## End-to-end throughput through the emulator\n\n## How it was measured\n\n- a method"
    )
    missed = latency.splice(met, [measured(10, 7.5)], alone)
    assert "- buffered p99 route 200 -> item at 10 events/s, emulator (s) is 7.50 s" in missed
    assert missed.index("is 7.50 s") < missed.index("## Cost per million events")
