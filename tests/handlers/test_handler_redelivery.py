"""Re-deliveries (a duplicate raw object, a replay) are first-write-wins: the table is unchanged."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from handlers import process, table, write
from handlers.errors import BatchRejected, TransientAwsError
from tests.handlers.conftest import EXECUTION_ID, TABLE

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")


LINEAGE = {
    "received_at": "2024-05-01T12:00:00.000Z",
    "processed_at": "2024-05-01T12:00:01.000Z",
    "raw_key": "ingest/yyyy=2024/mm=05/dd=01/hh=10/" + "b" * 32 + ".json",
    "batch_id": "b" * 32,
    "execution_id": "arn:aws:states:us-east-1:123456789012:execution:wf:b-1",
}


def item(n: int, **extra: Any) -> dict[str, Any]:
    return {"user_id": f"u{n % 7}", "event_time": f"2024-05-01T10:00:00.000Z#e{n}", "n": n, **extra}


def payload(items: list[dict[str, Any]], redelivery: Any) -> dict[str, Any]:
    return {
        "batch_id": "b" * 32,
        "raw_key": "ingest/yyyy=2024/mm=05/dd=01/hh=10/" + "b" * 32 + ".json",
        "lineage": LINEAGE,
        "items": items,
        "rejected": [],
        "rejected_key": None,
        "counts": {"received": len(items), "valid": len(items), "rejected": 0},
        "redelivery": redelivery,
        "execution_id": EXECUTION_ID,
    }


class Spy:
    def __init__(self) -> None:
        self.real = boto3.client("dynamodb", region_name="us-east-1")
        self.gets: list[dict[str, Any]] = []
        self.writes: list[list[dict[str, Any]]] = []

    def batch_get_item(self, **kwargs: Any) -> Any:
        self.gets.append(kwargs["RequestItems"][TABLE])
        return self.real.batch_get_item(**kwargs)

    def batch_write_item(self, **kwargs: Any) -> Any:
        self.writes.append(kwargs["RequestItems"][TABLE])
        return self.real.batch_write_item(**kwargs)


@pytest.fixture
def spy(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> Spy:
    recorder = Spy()
    monkeypatch.setattr(table, "client", lambda service: recorder)
    return recorder


def test_redelivery_writes_only_absent_keys_and_keeps_the_first_write(
    spy: Spy, dynamodb: Any, lambda_context: Any
) -> None:
    first = [item(n, v="first") for n in range(150)]
    out = write.handler(payload(first, False), lambda_context)
    assert (out["written"], out["already_present"], out["redelivery"]) == (150, 0, False)
    assert spy.gets == []  # first delivery: blind BatchWriteItem, no read cost

    again = [item(n, v="second") for n in range(140, 260)]  # 10 known keys, 110 new ones
    out = write.handler(payload(again, True), lambda_context)

    assert (out["written"], out["already_present"], out["redelivery"]) == (110, 10, True)
    assert [len(g["Keys"]) for g in spy.gets] == [100, 20]
    assert spy.gets[0]["ProjectionExpression"] == "#pk, #sk"
    assert spy.gets[0]["ExpressionAttributeNames"] == {"#pk": "user_id", "#sk": "event_time"}
    stored = {i["n"]["N"]: i["v"]["S"] for i in dynamodb.scan(TableName=TABLE)["Items"]}
    assert len(stored) == 260
    assert {stored[str(n)] for n in range(150)} == {"first"}  # first write wins
    assert {stored[str(n)] for n in range(150, 260)} == {"second"}


def test_full_redelivery_writes_nothing(spy: Spy, lambda_context: Any) -> None:
    items = [item(n) for n in range(30)]
    write.handler(payload(items, False), lambda_context)
    spy.writes.clear()
    out = write.handler(payload(items, True), lambda_context)
    assert (out["written"], out["already_present"]) == (0, 30)
    assert spy.writes == []


def test_redelivery_flag_must_be_boolean(lambda_context: Any) -> None:
    with pytest.raises(BatchRejected, match="redelivery must be a boolean"):
        write.handler(payload([], "yes"), lambda_context)


class FakeGets:
    """BatchGetItem that leaves keys unprocessed as scripted."""

    def __init__(self, unprocessed: list[int], present: set[str]) -> None:
        self.unprocessed = unprocessed
        self.present = present
        self.requests: list[list[dict[str, Any]]] = []

    def batch_get_item(self, **kwargs: Any) -> Any:
        keys = kwargs["RequestItems"][TABLE]["Keys"]
        self.requests.append(keys)
        left = self.unprocessed.pop(0) if self.unprocessed else 0
        done, rest = keys[: len(keys) - left], keys[len(keys) - left :]
        found = [k for k in done if k["event_time"]["S"] in self.present]
        unprocessed = {TABLE: {**kwargs["RequestItems"][TABLE], "Keys": rest}} if rest else {}
        return {"Responses": {TABLE: found}, "UnprocessedKeys": unprocessed}

    def batch_write_item(self, **kwargs: Any) -> Any:
        return {"UnprocessedItems": {}}


def test_unprocessed_keys_are_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    items = [item(n) for n in range(10)]
    fake = FakeGets(unprocessed=[4], present={items[8]["event_time"], items[1]["event_time"]})
    monkeypatch.setattr(table, "client", lambda service: fake)
    sleeps: list[float] = []
    result = table.write_items(TABLE, items, redelivery=True, sleep=sleeps.append)
    assert [len(r) for r in fake.requests] == [10, 4]
    assert result == table.WriteResult(written=8, duplicates_removed=0, already_present=2)
    assert len(sleeps) == 1


def test_unprocessed_keys_give_up_as_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeGets(unprocessed=[1] * 10, present=set())
    monkeypatch.setattr(table, "client", lambda service: fake)
    with pytest.raises(TransientAwsError, match="1 keys still unprocessed after 3 attempts"):
        table.write_items(TABLE, [item(1)], redelivery=True, max_attempts=3, sleep=lambda s: None)


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({}, False),
        ({"duplicate": True}, True),
        ({"replay": True}, True),
        ({"duplicate": False, "replay": False}, False),
    ],
)
def test_process_passes_redelivery_on(flags: dict[str, bool], expected: bool) -> None:
    assert process.redelivery({"raw_key": "k", "execution_id": "e", **flags}) is expected


def test_process_refuses_non_boolean_flags() -> None:
    with pytest.raises(BatchRejected, match="booleans"):
        process.redelivery({"replay": "true"})
