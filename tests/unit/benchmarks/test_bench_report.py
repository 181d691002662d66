"""Targets and statistics of the benchmark report."""

from __future__ import annotations

import pytest

from benchmarks import report
from benchmarks.coldstart import parse_importtime
from benchmarks.harness_runs import max_payload_bytes, parse_plan
from benchmarks.stats import median, percentile


def test_targets_met_and_not_met() -> None:
    targets = report.evaluate_targets(
        naive_total=80.0,
        micro_total=1.5,
        import_ratios={"write": 1.31, "ingest": 1.2},
    )
    verdicts = {t.name: t.met for t in targets}
    assert verdicts == {
        "micro-batch cost / naive cost (per million events)": True,
        "cold import ingest / import boto3": True,
        "cold import write / import boto3": False,
    }
    assert targets[0].measured == pytest.approx(1.5 / 80, abs=1e-4)
    assert "1/53.3" in targets[0].detail


def test_cost_exactly_at_the_limit_is_met() -> None:
    (cost_target, *_) = report.evaluate_targets(40.0, 1.0, {})
    assert cost_target.met


def test_cost_table_skips_empty_lines_and_bolds_the_total() -> None:
    lines = report.cost_table(
        {
            "a": {"s3_put": 5.0, "sqs_requests": 0.0, "total": 5.0},
            "b": {"s3_put": 0.05, "total": 0.05},
        }
    )
    text = "\n".join(lines)
    assert "S3 PUT | 5.00 | 0.0500" in text
    assert "SQS" not in text
    assert "| **total** | **5.00** | **0.0500** |" in text


def test_percentiles() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(values, 100) == 4.0
    assert percentile([7.0], 99) == 7.0
    assert median([3.0, 1.0, 2.0]) == 2.0
    with pytest.raises(ValueError, match="empty"):
        percentile([], 50)
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile(values, 101)


def test_parse_plan() -> None:
    assert parse_plan("1:500,25:1000") == [(1, 500), (25, 1000)]
    with pytest.raises(ValueError, match="bad plan"):
        parse_plan("100:10")


def test_max_payload_bytes_reads_inputs_and_outputs() -> None:
    history = [
        {"type": "ExecutionStarted", "executionStartedEventDetails": {"input": "x" * 10}},
        {"type": "TaskSucceeded", "taskSucceededEventDetails": {"output": "é" * 20}},
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Ingest"}},
    ]
    assert max_payload_bytes(history) == 40


def test_parse_importtime_groups_by_package_and_sums_own_modules() -> None:
    stderr = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       100 |       1000 |   botocore.session",
            "import time:       200 |       3000 | boto3",
            "import time:       300 |        300 |     handlers.keys",
            "import time:       400 |       5000 |   handlers.ingest",
        ]
    )
    assert parse_importtime(stderr, 5) == [
        {"package": "boto3", "cumulative_ms": 3.0},
        {"package": "botocore", "cumulative_ms": 1.0},
        {"package": "handlers (own modules, self time)", "cumulative_ms": 0.7},
    ]
