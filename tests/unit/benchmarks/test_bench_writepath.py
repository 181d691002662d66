"""The Write-path benchmark counts what each path sends, and the report shows it."""

from __future__ import annotations

from benchmarks import report, writepath


def test_each_path_is_counted_per_item() -> None:
    fww = writepath.measure(writepath.first_write_wins, 30, 2, "t")
    again = writepath.measure(writepath.first_write_wins, 30, 2, "t", again=True)
    blind = writepath.measure(writepath.blind_batch_write, 30, 2, "t")
    assert fww["operations"] == {"dynamodb:PutItem": 60}
    assert again["operations"] == {"dynamodb:PutItem": 60}  # the first write is not measured
    assert blind["operations"] == {"dynamodb:BatchWriteItem": 4}  # 25 + 5, twice
    assert (fww["requests_per_item"], blind["requests_per_item"]) == (1.0, round(4 / 60, 4))
    assert fww["wru_per_item"] == blind["wru_per_item"] == 1.0  # typical items are < 1 KB
    assert 0 < fww["wall_ms_p50"] <= fww["wall_ms_p99"]


def test_the_report_shows_both_paths() -> None:
    measured = {
        "batch_size": 100,
        "wall_ms_p50": 1.5,
        "wall_ms_p99": 2.5,
        "requests_per_item": 1.0,
        "wru_per_item": 1.0,
    }
    results = {
        "throughput": [
            {
                "workflow_type": "STANDARD",
                "batch_size": 100,
                "handler_ms_per_invocation": {
                    "write": {"invocations": 10, "wall_p50": 30.0, "wall_p99": 45.0}
                },
                "usage": {"dynamodb_items": 1000, "dynamodb_wru": 1000},
                "operations": {"dynamodb:PutItem": 1000},
            }
        ],
        "write_path": {
            "write_concurrency": 16,
            "first_write_wins": [measured],
            "first_write_wins_sent_again": [measured],
            "baseline_blind_batch_write": [{**measured, "requests_per_item": 0.04}],
        },
    }
    text = "\n".join(report.write_path_section(results))
    assert "| STANDARD | 100 | 10 | 30.0 | 45.0 | 1.0 | 1.0 |" in text
    assert "| before: blind BatchWriteItem (25/request) | 100 | 1.5 | 2.5 | 0.04 | 1.0 |" in text
