"""Replaying a day through the state machine is idempotent: twice over, the table is unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from harness.deploy import Deployment
from harness.soak import target_for
from ops import executions
from ops.replay import replay
from tests.e2e.integrity import deployed, execute, raw_keys, snapshot

DAY = datetime(2025, 3, 10, tzinfo=UTC)
NEXT_DAY = datetime(2025, 3, 11, tzinfo=UTC)


def batch(hour: str, n: int, user: str) -> dict[str, Any]:
    return {
        "events": [
            {
                "event_id": f"{user}-{i}",
                "user_id": user,
                "action": "Page View",
                "event_time": f"{hour}:{i:02d}:00.123Z",
            }
            for i in range(n)
        ]
    }


DAY_BATCHES = [
    batch("2025-03-10T00", 5, "u-r1"),
    batch("2025-03-10T07", 7, "u-r2"),
    batch("2025-03-10T23", 3, "u-r3"),
    {"events": [*batch("2025-03-10T12", 2, "u-r4")["events"], {"user_id": "u-r4"}]},  # 1 rejected
]
OTHER_DAY = batch("2025-03-11T00", 4, "u-r5")  # hour 00 of the next day: outside [DAY, NEXT_DAY)


@pytest.fixture(scope="module")
def loaded() -> Iterator[Deployment]:
    with deployed() as deployment:
        for payload in [*DAY_BATCHES, OTHER_DAY]:
            outcome = execute(deployment, payload, executions.execution_name(payload))
            assert outcome.status == "SUCCEEDED", outcome.error
        yield deployment


def test_replaying_a_day_twice_leaves_the_table_unchanged(loaded: Deployment) -> None:
    before = snapshot(loaded)
    assert len(before) == 5 + 7 + 3 + 2 + 4
    target = target_for(loaded)

    for run in ("one", "two"):
        summary = replay(target, DAY, NEXT_DAY, concurrency=3, run_id=run, progress=False)
        assert summary.as_dict() == {
            "objects": 4,
            "succeeded": 4,
            "items_written": 0,
            "already_present": 17,
            "rejected": 1,
            "failed": 0,
            "failures": [],
        }
        assert snapshot(loaded) == before  # every attribute, processed_at included


def test_replay_goes_from_route_straight_to_process(loaded: Deployment) -> None:
    key = next(k for k in raw_keys(loaded) if "/dd=10/hh=07/" in k)
    outcome = execute(loaded, {"replay": {"raw_key": key}}, "r-states-check")
    assert outcome.status == "SUCCEEDED"
    sfn = loaded.client("stepfunctions")
    arn = sfn.list_executions(stateMachineArn=loaded.outputs["state_machine_arn"])["executions"]
    [mine] = [e["executionArn"] for e in arn if e["name"] == "r-states-check"]
    assert executions.states_entered(sfn, mine) == ["Route", "Replay", "Process", "Write"]
    assert outcome.output["redelivery"] is True


def test_replay_restores_a_lost_item_and_touches_nothing_else(loaded: Deployment) -> None:
    before = snapshot(loaded)
    lost_key = ("u-r2", "2025-03-10T07:03:00.123Z#u-r2-3")
    loaded.client("dynamodb").delete_item(
        TableName=loaded.outputs["table_name"],
        Key={"user_id": {"S": lost_key[0]}, "event_time": {"S": lost_key[1]}},
    )
    summary = replay(
        target_for(loaded), DAY, NEXT_DAY, concurrency=2, run_id="restore", progress=False
    )

    assert (summary.as_dict()["items_written"], summary.as_dict()["already_present"]) == (1, 16)
    after = snapshot(loaded)
    assert set(after) == set(before)
    assert {k: v for k, v in after.items() if k != lost_key} == {
        k: v for k, v in before.items() if k != lost_key
    }
    lineage = {"processed_at", "execution_id"}  # the replay's own lineage
    restored, original = after[lost_key], before[lost_key]
    assert {k: v for k, v in restored.items() if k not in lineage} == {
        k: v for k, v in original.items() if k not in lineage
    }
    assert ":r-" in restored["execution_id"]["S"]


def test_replay_of_an_empty_range_starts_nothing(loaded: Deployment) -> None:
    empty = replay(
        target_for(loaded),
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 1, 5, tzinfo=UTC),
        run_id="empty",
        progress=False,
    )
    assert empty.as_dict()["objects"] == 0
