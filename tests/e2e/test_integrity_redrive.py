"""DLQ redrive: re-start, delete only after success; redriving again leaves the table unchanged."""

from __future__ import annotations

import json
from typing import Any

from harness.faults import FaultConfig
from harness.soak import target_for
from ops import executions
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
        first = execute(deployment, PAYLOAD, executions.execution_name(PAYLOAD))
        assert first.status == "FAILED"
        assert deployment.emulator.faults is not None
        assert deployment.emulator.faults.total == 1
        [message] = dlq_messages(deployment)
        assert message["Body"]["failed_state"] == "Write"
        assert message["Body"]["error"]["Error"] == "Sandbox.Timedout"
        before = snapshot(deployment)
        assert len(before) == 5  # Write did its work before the lost response

        summary = redrive(target_for(deployment), progress=False).as_dict()
        assert summary["messages"] == 1
        assert (summary["redriven"], summary["deleted"], summary["failed"]) == (1, 1, 0)
        assert (summary["items_written"], summary["already_present"]) == (0, 5)
        assert dlq_messages(deployment) == []
        assert snapshot(deployment) == before

        # SQS delivers at least once: the same dead letter again is redriven without effect.
        deployment.client("sqs").send_message(
            QueueUrl=deployment.outputs["dlq_url"], MessageBody=json.dumps(message["Body"])
        )
        again = redrive(target_for(deployment), progress=False).as_dict()
        assert (again["redriven"], again["items_written"], again["already_present"]) == (1, 0, 5)
        assert dlq_messages(deployment) == []
        assert snapshot(deployment) == before  # every attribute, processed_at included


def test_a_failed_redrive_keeps_the_message_and_reports_it() -> None:
    with deployed() as deployment:
        deployment.client("dynamodb").delete_table(TableName=deployment.outputs["table_name"])
        first = execute(deployment, PAYLOAD, executions.execution_name(PAYLOAD))
        assert first.status == "FAILED"
        [original] = dlq_messages(deployment)

        summary = redrive(target_for(deployment), progress=False).as_dict()

        assert (summary["messages"], summary["redriven"], summary["failed"]) == (1, 0, 1)
        [failure] = summary["failures"]
        assert failure["status"] == "FAILED"
        assert "PipelineFailed" in failure["error"]
        left = {m["MessageId"] for m in dlq_messages(deployment)}
        # The original stays (visible again); the failed re-run sent its own dead letter too.
        assert original["MessageId"] in left
        assert len(left) == 2
