"""Recovery on the buffered path, in the emulator: a batch whose start keeps failing is received
bufferMaxReceives times, moves to the buffer's DLQ, and `ops redrive` runs it through the recovery
state machine — deleted once it succeeded, nothing stored twice; an execution the Batch function
started that ended without a dead letter is found and re-run by `ops sweep`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.deploy import Deployment
from harness.emulator.faults import FaultConfig
from ops.dlq import listing
from ops.executions import wait
from ops.redrive import redrive
from ops.sweep import sweep
from tests.e2e.conftest import items_for_user
from tests.e2e.integrity import deployed

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SMALL_BATCHES = {
    "activity-pipeline:bufferMaxReceives": "2",
    "activity-pipeline:bufferBatchSize": "10",
    "activity-pipeline:bufferBatchingWindowSeconds": "0",
}


def event(user: str, i: int) -> dict[str, Any]:
    return {
        "user_id": user,
        "action": "click",
        "event_time": f"2025-05-01T10:00:{i:02d}Z",
        "event_id": f"{user}-{i}",
    }


def test_a_batch_that_cannot_start_ends_in_the_buffer_dlq_and_is_redriven() -> None:
    """The Batch role loses states:StartExecution: every receive fails, the message moves to the
    buffer's DLQ after bufferMaxReceives (2 here); ops redrive runs it once the role is whole
    again. Batches of 10 messages: the poller's visibility timeout covers a batch's gathering."""
    with deployed(overrides=SMALL_BATCHES) as deployment:
        emulator = deployment.emulator
        emulator.event_sources.scale(0.005)  # visibility 185 s -> 1 s
        iam = deployment.client("iam")
        policy = deployment.find(ROLE_POLICY, "entry-buffer-batch-policy")
        role = deployment.find("aws:iam/role:Role", "entry-buffer-batch-role").physical_id
        document = json.loads(policy.inputs["policy"])
        document["Statement"] = [
            s for s in document["Statement"] if s["Sid"] != "StartPipelineExecution"
        ]
        iam.put_role_policy(
            RoleName=role, PolicyName=policy.state["name"], PolicyDocument=json.dumps(document)
        )
        sqs = deployment.client("sqs")
        sqs.send_message(
            QueueUrl=deployment.outputs["buffer_queue_url"],
            MessageBody=json.dumps({"events": [event("u-buf-dlq", i) for i in range(3)]}),
        )
        poller = emulator.event_sources.for_queue(deployment.outputs["buffer_queue_arn"])
        outcomes = []
        while not (rows := listing(deployment.as_target(), limit=10, wait=0)):
            outcome = poller.poll_once(wait_seconds=2)
            if outcome is not None:
                outcomes.append(outcome)
        assert len(outcomes) == 2  # maxReceiveCount receives, each reported failed
        assert all(o.deleted == 0 and o.failed_ids for o in outcomes)
        assert [(r["queue"], r["failed_state"], r["events"]) for r in rows] == [
            ("buffer_dlq", "batch", 3)
        ]
        sfn = deployment.client("stepfunctions")
        machine = deployment.outputs["state_machine_arn"]
        assert sfn.list_executions(stateMachineArn=machine)["executions"] == []
        iam.put_role_policy(
            RoleName=role, PolicyName=policy.state["name"], PolicyDocument=policy.inputs["policy"]
        )
        summary = redrive(deployment.as_target(), progress=False, wait=0).as_dict()
        assert {k: summary[k] for k in ("messages", "redriven", "deleted", "kept")} == {
            "messages": 1,
            "redriven": 1,
            "deleted": 1,
            "kept": 0,
        }
        assert summary["items_written"] == 3
        assert len(items_for_user(deployment, "u-buf-dlq")) == 3
        assert listing(deployment.as_target(), limit=10, wait=0) == []


# Invokes: the Batch function (1), then Ingest (2), which runs and then "times out".
INGEST_TIMES_OUT = FaultConfig(rate=1.0, kinds=("timeout",), targets=("lambda",), after=1, limit=1)


def without_dead_letters(deployment: Deployment) -> tuple[str, str, str]:
    """Take sqs:SendMessage from the state machine's role; returns what restores it."""
    iam = deployment.client("iam")
    policy = deployment.find(ROLE_POLICY, "workflow-workflow-policy")
    role = deployment.find("aws:iam/role:Role", "workflow-workflow-role").physical_id
    document = json.loads(policy.inputs["policy"])
    document["Statement"] = [
        s for s in document["Statement"] if s["Sid"] != "SendToDeadLetterQueue"
    ]
    iam.put_role_policy(
        RoleName=role, PolicyName=policy.state["name"], PolicyDocument=json.dumps(document)
    )
    return role, policy.state["name"], policy.inputs["policy"]


def test_the_sweep_covers_a_batch_execution_that_ended_without_a_dead_letter() -> None:
    with deployed(INGEST_TIMES_OUT, overrides=SMALL_BATCHES) as deployment:
        since = datetime.now(UTC) - timedelta(minutes=1)
        deployment.emulator.event_sources.scale(0.005)
        role, name, original = without_dead_letters(deployment)
        sqs = deployment.client("sqs")
        for i in range(2):
            sqs.send_message(
                QueueUrl=deployment.outputs["buffer_queue_url"],
                MessageBody=json.dumps(event("u-buf-sweep", i)),
            )
        deployment.emulator.event_sources.drain()
        sfn = deployment.client("stepfunctions")
        machine = deployment.outputs["state_machine_arn"]
        (started,) = sfn.list_executions(stateMachineArn=machine)["executions"]
        assert started["name"].startswith("b-")  # the Batch function's
        assert wait(sfn, started["executionArn"], 60)["status"] == "FAILED"
        assert listing(deployment.as_target(), limit=10, wait=0) == []  # no dead letter
        deployment.client("iam").put_role_policy(
            RoleName=role, PolicyName=name, PolicyDocument=original
        )
        until = datetime.now(UTC) + timedelta(minutes=1)
        summary = sweep(deployment.as_target(), since, until, wait=0).as_dict()
        assert {r["execution"]: r["action"] for r in summary["results"]} == {
            started["name"]: "resubmitted"
        }
        assert summary["failed"] == 0
        assert len(items_for_user(deployment, "u-buf-sweep")) == 2
