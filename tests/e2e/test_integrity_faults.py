"""Injected faults (harness.emulator.faults) are absorbed by the SDK retries and the state machine's
Retry; a lost response is the hardest case: the request was carried out, the retry must change
nothing. Also: an EXPRESS workflow run twice on the same input, and the scaled-down soak."""

from __future__ import annotations

from typing import Any

import pytest

from harness.emulator.faults import FaultConfig
from harness.tools.soak import run_soak
from ops.names import batch_name
from tests.e2e.integrity import deployed, dlq_messages, execute, raw_keys, snapshot

EVENTS = 300  # the scaled-down soak's


def batch(user: str, n: int = 30) -> dict[str, Any]:
    return {
        "events": [
            {
                "event_id": f"{user}-{i}",
                "user_id": user,
                "action": "login",
                "event_time": f"2025-04-01T09:00:{i:02d}Z",
            }
            for i in range(n)
        ]
    }


@pytest.mark.parametrize(
    ("config", "redelivery"),
    [
        # Ingest's PutObject is stored, its response lost: the SDK's retry meets If-None-Match.
        (FaultConfig(rate=1.0, kinds=("timeout",), targets=("s3",), limit=1), True),
        # Four throttles outlast the SDK's 3 attempts: TransientAwsError, retried by Step Functions.
        (FaultConfig(rate=1.0, kinds=("throttle",), targets=("s3",), limit=4), False),
        (FaultConfig(rate=1.0, kinds=("server_error",), targets=("dynamodb",), limit=4), False),
        (FaultConfig(rate=1.0, kinds=("timeout",), targets=("dynamodb",), limit=4), False),
        # Lambda.TooManyRequestsException / Lambda.ServiceException: the AWS-recommended retrier.
        (
            FaultConfig(rate=1.0, kinds=("throttle", "server_error"), targets=("lambda",), limit=5),
            False,
        ),
    ],
    ids=["s3-lost-response", "s3-throttle", "ddb-5xx", "ddb-lost-response", "lambda-errors"],
)
def test_transient_faults_end_in_success_with_every_event_once(
    config: FaultConfig, redelivery: bool
) -> None:
    payload = batch("u-flt")
    with deployed(config) as deployment:
        outcome = execute(deployment, payload, batch_name(payload))

        assert outcome.status == "SUCCEEDED", outcome.error
        assert deployment.emulator.faults is not None
        assert deployment.emulator.faults.total == config.limit
        assert outcome.output["redelivery"] is redelivery
        assert outcome.written + outcome.already_present == 30
        assert len(snapshot(deployment)) == 30
        assert dlq_messages(deployment) == []


def test_faults_never_touch_callers_outside_the_functions() -> None:
    everything = FaultConfig(rate=1.0)
    with deployed(everything) as deployment:
        assert len(raw_keys(deployment)) == 0  # the harness's own S3 call is not faulted
        assert deployment.emulator.faults is not None
        assert deployment.emulator.faults.total == 0


def test_express_workflow_run_twice_leaves_one_copy_of_each_event() -> None:
    payload = batch("u-exp", 12)
    with deployed(overrides={"activity-pipeline:workflowType": "EXPRESS"}) as deployment:
        sfn = deployment.client("stepfunctions")
        described = sfn.describe_state_machine(
            stateMachineArn=deployment.outputs["state_machine_arn"]
        )
        assert described["type"] == "EXPRESS"
        first = execute(deployment, payload, "express-1")
        before = snapshot(deployment)
        # Express is at-least-once: AWS may run the same input again (no name deduplication).
        second = execute(deployment, payload, "express-2")

        assert (first.status, second.status) == ("SUCCEEDED", "SUCCEEDED")
        assert (first.written, first.output["redelivery"]) == (12, False)
        assert (second.written, second.already_present, second.output["redelivery"]) == (
            0,
            12,
            True,
        )
        assert len(before) == 12
        assert snapshot(deployment) == before  # processed_at and lineage of the first run kept


def test_scaled_down_soak_loses_and_duplicates_nothing() -> None:
    # One execution at a time: the faults drawn from the seed are the same on every run (seed 10
    # hits S3, DynamoDB and Lambda — `harness soak` leaves Firehose out —, and one batch fails,
    # is dead-lettered and redriven). Sized for make test (six batches); `make soak` runs >= 10,000
    # events.
    report = run_soak(
        events=EVENTS,
        batch_size=50,
        fault_rate=0.05,
        malformed_rate=0.01,
        seed=10,
        concurrency=1,
        progress=False,
    )

    assert report.faults.total > 0
    assert set(report.faults.by_target()) == {"s3", "dynamodb", "lambda"}
    assert report.redriven_messages == report.first_pass.get("FAILED", 0)
    assert report.lost == []
    assert report.duplicated == []
    assert report.misplaced == []
    assert report.unknown == []
    assert sum(report.found.table.values()) + len(report.found.rejected) == EVENTS
    assert sum(report.found.dlq.values()) == 0
    malformed = [i for i, outcome in report.expected.items() if outcome != "stored"]
    assert len(malformed) > 0
