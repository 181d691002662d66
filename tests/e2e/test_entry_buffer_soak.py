"""The single-event soak, small: one POST per event through the entry buffer under injected faults
(SQS, the Batch function's invokes and starts among them), every event accounted for by id.

Sized for make test (150 events, 6 of them malformed); `make soak-single` runs >= 10,000.
"""

from __future__ import annotations

from harness.tools.soak_single import run_single

EVENTS = 150


def test_single_events_under_faults_are_neither_lost_nor_duplicated() -> None:
    report = run_single(
        events=EVENTS, fault_rate=0.05, malformed_rate=0.04, seed=5, concurrency=8, progress=False
    )
    assert report.faults.total > 0
    assert {"sqs", "dynamodb"} <= set(report.faults.by_target())
    assert sum(1 for b in report.work if b.outcome != "stored") >= 5
    assert (report.lost, report.duplicated, report.unknown, report.misplaced) == ([], [], [], [])
    assert len(report.latencies) >= EVENTS * 5 // 6  # stored on the first pass, with their latency
    assert 1 <= len(report.executions) <= EVENTS // 10  # batched: ten events an execution at least


def test_warm_up_events_are_accounted_for_but_not_in_the_latency() -> None:
    report = run_single(
        events=20, fault_rate=0.0, malformed_rate=0.0, concurrency=4, warmup=5, progress=False
    )
    assert len(report.work) == 25  # the warm-up's 5 are accounted for with the rest
    assert (report.lost, report.duplicated, report.unknown, report.misplaced) == ([], [], [], [])
    assert len(report.latencies) == 20  # the work's only
    assert sum(report.batch_sizes) == 20  # the warm-up's executions are not the work's
