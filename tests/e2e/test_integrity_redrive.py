"""DLQ redrive through the recovery state machine: delete only after success, redriving again leaves
the table unchanged, and a letter that can never succeed is kept once — never copied."""

from __future__ import annotations

import json
from typing import Any

from harness.emulator.faults import FaultConfig
from ops import executions
from ops.dlq import listing
from ops.names import batch_name
from ops.redrive import redrive
from tests.e2e.integrity import deployed, dlq_messages, execute, snapshot

PAYLOAD: dict[str, Any] = {
    "events": [
        {
            "event_id": f"dr-{i}",
            "user_id": "u-dr",
            "action": "click",
            "event_time": f"2025-02-01T10:00:0{i}Z",
        }
        for i in range(5)
    ]
}
# Invokes: Ingest (1), Process (2), Write (3): Write runs to the end, then "times out".
WRITE_TIMES_OUT = FaultConfig(rate=1.0, kinds=("timeout",), targets=("lambda",), after=2, limit=1)


def test_redrive_deletes_after_success_and_a_second_redrive_changes_nothing() -> None:
    with deployed(WRITE_TIMES_OUT) as deployment:
        first = execute(deployment, PAYLOAD, batch_name(PAYLOAD))
        assert first.status == "FAILED"
        assert deployment.emulator.faults is not None
        assert deployment.emulator.faults.total == 1
        [message] = dlq_messages(deployment)
        assert message["Body"]["failed_state"] == "Write"
        assert message["Body"]["error"]["Error"] == "Sandbox.Timedout"
        before = snapshot(deployment)
        assert len(before) == 5  # Write did its work before the lost response

        summary = redrive(deployment.as_target(), progress=False, wait=0).as_dict()
        assert summary["messages"] == 1
        assert (summary["redriven"], summary["deleted"], summary["failed"]) == (1, 1, 0)
        assert (summary["items_written"], summary["already_present"]) == (0, 5)
        assert dlq_messages(deployment) == []
        assert snapshot(deployment) == before

        # SQS delivers at least once: the same dead letter again is redriven without effect.
        deployment.client("sqs").send_message(
            QueueUrl=deployment.outputs["dlq_url"], MessageBody=json.dumps(message["Body"])
        )
        again = redrive(deployment.as_target(), progress=False, wait=0).as_dict()
        assert (again["redriven"], again["items_written"], again["already_present"]) == (1, 0, 5)
        assert dlq_messages(deployment) == []
        assert snapshot(deployment) == before  # every attribute, processed_at included


def test_redriving_a_refused_envelope_again_and_again_leaves_exactly_one_message() -> None:
    refused = {"events": PAYLOAD["events"][:2], "note": "a key beside events"}
    with deployed() as deployment:
        first = execute(deployment, refused, "b-refused")
        assert first.status == "FAILED"
        target = deployment.as_target()
        [row] = listing(target, limit=10, wait=0)  # ops dlq: a listing redrives nothing
        assert (row["queue"], row["failed_state"], row["error"], row["events"]) == (
            "dlq",
            "Ingest",
            "BatchRejected",
            2,
        )
        assert row["execution"] == "b-refused"
        attempts = row["attempts"]

        for _ in range(3):
            summary = redrive(target, progress=False, wait=0).as_dict()
            assert (summary["messages"], summary["redriven"], summary["kept"]) == (1, 0, 1)
            [failure] = summary["failures"]
            attempts += 1
            assert failure["attempts"] == attempts  # its ApproximateReceiveCount
            assert failure["status"] == "FAILED"
            assert failure["error"].startswith("BatchRejected")
            [left] = listing(target, limit=10, wait=0)
            attempts += 1  # the listing received it too
            assert left["message_id"] == row["message_id"]
            assert left["attempts"] == attempts

        # Each re-run failed in the recovery state machine, which has no DLQ of its own.
        sfn = deployment.client("stepfunctions")
        runs = sfn.list_executions(
            stateMachineArn=deployment.outputs["recovery_state_machine_arn"]
        )["executions"]
        assert [r["status"] for r in runs] == ["FAILED"] * 3
        assert {executions.states_entered(sfn, r["executionArn"])[-1] for r in runs} == {"Ingest"}
        assert snapshot(deployment) == {}
