"""ops sweep in the emulator: executions that failed without a dead letter are re-submitted or
dead-lettered by the sweep, once — a second sweep changes nothing.

SendToDLQ is made to fail by taking ``sqs:SendMessage`` from the state machine's role (moto 5.2.5
has no RedriveExecution, so the sweep re-submits through the recovery state machine here; the
RedriveExecution path is covered against fakes in tests/unit/ops/test_ops_sweep.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from components.builders.log_metrics import failed_without_dead_letter_pattern
from harness.deploy import Deployment
from harness.emulator.faults import FaultConfig
from ops.dlq import listing
from ops.redrive import redrive
from ops.sweep import sweep
from tests.e2e.integrity import deployed, execute, snapshot

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def batch(user: str, n: int, **extra: Any) -> dict[str, Any]:
    events = [
        {
            "event_id": f"{user}-{i}",
            "user_id": user,
            "action": "click",
            "event_time": f"2025-05-01T10:00:0{i}Z",
        }
        for i in range(n)
    ]
    return {"events": events, **extra}


LOST = batch("u-sw-lost", 5)  # Write's response is lost, and so is its dead letter
REFUSED = batch("u-sw-refused", 2, note="beside events")  # refused by Ingest, no dead letter
# Accepted by StartExecution, but too large to ever run through the pipeline.
TOO_LARGE = {"events": [{"user_id": "u-sw-big", "blob": "x" * 262_090}]}
LETTERED = batch("u-sw-lettered", 1, note="refused with the DLQ reachable")
FINE = batch("u-sw-fine", 3)
# Invokes: Ingest (1), Process (2), Write (3) of the first execution: Write runs, then "times out".
WRITE_TIMES_OUT = FaultConfig(rate=1.0, kinds=("timeout",), targets=("lambda",), after=2, limit=1)


def without_dead_letters(deployment: Deployment) -> tuple[str, str, str]:
    """Take sqs:SendMessage from the state machine's role; returns what restores it."""
    iam = deployment.client("iam")
    policy = deployment.find(ROLE_POLICY, "workflow-workflow-policy")
    role = deployment.find("aws:iam/role:Role", "workflow-workflow-role").physical_id
    assert role is not None
    document = json.loads(policy.inputs["policy"])
    document["Statement"] = [
        s for s in document["Statement"] if s["Sid"] != "SendToDeadLetterQueue"
    ]
    iam.put_role_policy(
        RoleName=role, PolicyName=policy.state["name"], PolicyDocument=json.dumps(document)
    )
    return role, policy.state["name"], policy.inputs["policy"]


def test_sweep_recovers_every_failure_without_a_dead_letter_once() -> None:
    with deployed(WRITE_TIMES_OUT) as deployment:
        since = datetime.now(UTC) - timedelta(minutes=1)
        role, name, original = without_dead_letters(deployment)
        assert execute(deployment, LOST, "b-lost").status == "FAILED"
        assert execute(deployment, REFUSED, "b-refused").status == "FAILED"
        assert execute(deployment, TOO_LARGE, "b-too-large").status == "FAILED"
        deployment.client("iam").put_role_policy(
            RoleName=role, PolicyName=name, PolicyDocument=original
        )
        assert execute(deployment, LETTERED, "b-lettered").status == "FAILED"
        assert execute(deployment, FINE, "b-fine").status == "SUCCEEDED"
        assert len(listing(deployment.as_target(), limit=10, wait=0)) == 1  # b-lettered's
        lost_before = {k: v for k, v in snapshot(deployment).items() if k[0] == "u-sw-lost"}
        assert len(lost_before) == 5  # Write did its work before the lost response
        until = datetime.now(UTC) + timedelta(minutes=1)

        first = sweep(deployment.as_target(), since, until, concurrency=2, wait=0).as_dict()

        actions = {r["execution"]: r["action"] for r in first["results"]}
        assert actions == {
            "b-lost": "resubmitted",
            "b-refused": "dead_lettered",
            "b-too-large": "dead_lettered",
            "b-lettered": "has_dead_letter",
        }
        assert (first["executions"], first["failed"]) == (4, 0)
        details = {r["execution"]: r["detail"] for r in first["results"]}
        assert details["b-too-large"].startswith("too_large: ")
        assert "ended FAILED" in details["b-refused"]
        # The lost batch is in the table, as it was (first write wins); the others are letters.
        after = snapshot(deployment)
        assert {k: v for k, v in after.items() if k[0] == "u-sw-lost"} == lost_before
        rows = listing(deployment.as_target(), limit=10, wait=0)
        assert sorted((r["execution"], r["failed_state"], r["events"]) for r in rows) == [
            ("b-lettered", "Ingest", 1),
            ("b-refused", "Ingest", 2),
            ("b-too-large", "Ingest", 1),
        ]

        second = sweep(deployment.as_target(), since, until, wait=0).as_dict()

        assert {r["execution"]: r["action"] for r in second["results"]} == {
            "b-lost": "resubmitted",  # the same re-submission, followed again
            "b-refused": "has_dead_letter",
            "b-too-large": "has_dead_letter",
            "b-lettered": "has_dead_letter",
        }
        assert len(listing(deployment.as_target(), limit=10, wait=0)) == 3
        recovery = deployment.client("stepfunctions").list_executions(
            stateMachineArn=deployment.outputs["recovery_state_machine_arn"]
        )["executions"]
        assert sorted(e["status"] for e in recovery) == ["FAILED", "SUCCEEDED"]
        assert snapshot(deployment) == after

        # What the alarm counts: the filter is on the workflow's log group, as deployed.
        [log_filter] = deployment.client("logs").describe_metric_filters(
            logGroupName=deployment.outputs["log_group_names"]["workflow"]
        )["metricFilters"]
        assert log_filter["filterPattern"] == failed_without_dead_letter_pattern()

        # The sweep's own letters redrive like any other: kept once each, never copied.
        summary = redrive(deployment.as_target(), progress=False, wait=0).as_dict()
        assert (summary["messages"], summary["redriven"], summary["kept"]) == (3, 0, 3)
        # the too-large input is not even started: it can never fit
        assert sorted(f["status"] for f in summary["failures"]) == ["FAILED", "FAILED", "REFUSED"]
        assert len(listing(deployment.as_target(), limit=10, wait=0)) == 3
