"""Replay: through the recovery state machine only, idempotent (twice over, the table is unchanged),
and unreachable from client inputs — a top-level `replay` key is ordinary data on every entry."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from harness.deploy import Deployment
from harness.serve.http_api import HttpApiServer
from ops import executions
from ops.executions import Run, Runner
from ops.names import batch_name, execution_arn
from ops.replay import replay
from tests.e2e.integrity import deployed, dlq_messages, execute, raw_keys, snapshot
from tests.e2e.modes import DIRECT

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
    # the direct entry points: each entry's input is the execution input (the buffered path is
    # tests/e2e/test_entry_buffer.py's)
    with deployed(overrides=DIRECT) as deployment:
        for payload in [*DAY_BATCHES, OTHER_DAY]:
            outcome = execute(deployment, payload, batch_name(payload))
            assert outcome.status == "SUCCEEDED", outcome.error
        yield deployment


def test_replaying_a_day_twice_leaves_the_table_unchanged(loaded: Deployment) -> None:
    before = snapshot(loaded)
    assert len(before) == 5 + 7 + 3 + 2 + 4
    target = loaded.as_target()

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


def test_replay_runs_on_the_recovery_state_machine_from_route_to_process(
    loaded: Deployment,
) -> None:
    key = next(k for k in raw_keys(loaded) if "/dd=10/hh=07/" in k)
    recovery = loaded.outputs["recovery_state_machine_arn"]
    sfn = loaded.client("stepfunctions")
    runner = Runner.for_target(loaded.as_target(), recovery, timeout=60)
    outcome = runner.run(Run.of({"replay": {"raw_key": key}}, "r-states-check"))
    assert outcome.status == "SUCCEEDED"
    arn = execution_arn(recovery, "r-states-check")
    assert executions.states_entered(sfn, arn) == ["Route", "Replay", "Process", "Write"]
    assert outcome.output["redelivery"] is True


def test_replay_restores_a_lost_item_and_touches_nothing_else(loaded: Deployment) -> None:
    before = snapshot(loaded)
    lost_key = ("u-r2", "2025-03-10T07:03:00.123Z#u-r2-3")
    loaded.client("dynamodb").delete_item(
        TableName=loaded.outputs["table_name"],
        Key={"user_id": {"S": lost_key[0]}, "event_time": {"S": lost_key[1]}},
    )
    summary = replay(
        loaded.as_target(), DAY, NEXT_DAY, concurrency=2, run_id="restore", progress=False
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
        loaded.as_target(),
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 1, 5, tzinfo=UTC),
        run_id="empty",
        progress=False,
    )
    assert empty.as_dict()["objects"] == 0


# -- replay is unreachable from client inputs ------------------------------------------------------

CASES = ("beside_events", "on_an_event", "alone", "in_properties")


def smuggling_inputs(entry: str, raw_key: str) -> dict[str, Any]:
    """Inputs that carry a replay request for someone else's raw object, one per case."""
    request = {"raw_key": raw_key, "via": entry}

    def event(n: int, **extra: Any) -> dict[str, Any]:
        return {
            "event_id": f"rp-{entry}-{n}",
            "user_id": "u-rp",
            "action": "click",
            "event_time": f"2025-04-02T10:0{n}:00.000Z",
            **extra,
        }

    return {
        "beside_events": {"events": [event(1)], "replay": request},
        "on_an_event": event(2, replay=request),
        "alone": {"replay": request},
        "in_properties": event(4, properties={"replay": request}),
    }


def post(url: str, payload: Any) -> str:
    body = json.dumps(payload).encode()
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - local http
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return str(json.loads(response.read())["executionArn"])
    except urllib.error.HTTPError as error:
        raise AssertionError(f"POST refused: {error.code} {error.read()!r}") from None


def test_a_replay_key_from_any_entry_is_ordinary_data(loaded: Deployment) -> None:
    victim = next(k for k in raw_keys(loaded) if "/dd=10/hh=07/" in k)  # u-r2's batch
    before = {k: v for k, v in snapshot(loaded).items() if k[0] == "u-r2"}
    sfn, outputs = loaded.client("stepfunctions"), loaded.outputs
    recovery_runs = len(
        sfn.list_executions(stateMachineArn=outputs["recovery_state_machine_arn"])["executions"]
    )
    started: dict[tuple[str, str], str] = {}
    for case, payload in smuggling_inputs("start", victim).items():
        started[("start", case)] = sfn.start_execution(
            stateMachineArn=outputs["state_machine_arn"],
            name=f"smuggle-{case.replace('_', '-')}",
            input=json.dumps(payload),
        )["executionArn"]
    with HttpApiServer(loaded.emulator, outputs["http_api_id"]) as api:
        for case, payload in smuggling_inputs("http", victim).items():
            started[("http", case)] = post(f"{api.url}events", payload)
    events = loaded.client("events")
    deliveries = loaded.emulator.event_targets.deliveries
    for case, payload in smuggling_inputs("bus", victim).items():
        events.put_events(
            Entries=[
                {
                    "EventBusName": outputs["event_bus_name"],
                    "Source": "activity.web",
                    "DetailType": "UserActivity",
                    "Detail": json.dumps(payload),
                }
            ]
        )
        started[("bus", case)] = str(deliveries[-1].execution_arn)

    ends = {key: executions.wait(sfn, arn, 60) for key, arn in started.items()}
    for key, arn in started.items():
        # Every input went through Ingest: no client input reaches a replay.
        states = executions.states_entered(sfn, arn)
        assert states[0] == "Ingest", key
        assert {"Route", "Replay"}.isdisjoint(states), key
        output = json.loads(ends[key].get("output") or "{}")
        entry, case = key
        if case == "beside_events":  # refused as an envelope, dead-lettered with its events
            assert (ends[key]["status"], states[-2:]) == ("FAILED", ["SendToDLQ", "Failed"]), key
        elif case == "in_properties":  # ordinary data: stored
            assert (ends[key]["status"], output["written"]) == ("SUCCEEDED", 1), key
        else:  # an event with a `replay` key (or nothing else) breaks the schema
            assert ends[key]["status"] == "SUCCEEDED", key
            assert [r["reason"] for r in output["rejected"]] == ["schema_violation"], key
            assert output["written"] == 0, key

    letters = {m["Body"]["execution_id"]: m["Body"] for m in dlq_messages(loaded)}
    for entry in ("start", "http", "bus"):
        letter = letters[started[(entry, "beside_events")]]
        assert (letter["failed_state"], letter["error"]["Error"]) == ("Ingest", "BatchRejected")
        assert letter["input"]["events"][0]["event_id"] == f"rp-{entry}-1"
    stored = {k: v for k, v in snapshot(loaded).items() if k[0] == "u-rp"}
    assert sorted(item["event_id"]["S"] for item in stored.values()) == [
        "rp-bus-4",
        "rp-http-4",
        "rp-start-4",
    ]
    assert all(
        json.loads(json.dumps(item["properties"]))["M"]["replay"]["M"]["raw_key"]["S"] == victim
        for item in stored.values()
    )
    # Nothing else happened: the victim's items are byte-for-byte as they were, and the
    # recovery state machine ran nothing.
    assert {k: v for k, v in snapshot(loaded).items() if k[0] == "u-r2"} == before
    after_runs = sfn.list_executions(stateMachineArn=outputs["recovery_state_machine_arn"])
    assert len(after_runs["executions"]) == recovery_runs
