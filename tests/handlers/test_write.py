"""Write under moto: first write wins, always (conditional PutItem, ALL_OLD on a taken key), with
the same content `already_present` and other content `conflicting_duplicate` in the rejected set."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers import process, table, write
from handlers.errors import (
    BatchRejected,
    ConfigurationError,
    PermanentAwsError,
    TransientAwsError,
)
from tests.examples import examples
from tests.handlers.conftest import BUCKET, TABLE

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")
RAW_KEY = "ingest/yyyy=2024/mm=05/dd=01/hh=10/" + "b" * 32 + ".json"
CONFLICTS_KEY = "rejected/yyyy=2024/mm=05/dd=01/hh=10/" + "b" * 32 + ".conflicts.json"
LINEAGE = {
    "received_at": "2024-05-01T12:00:00.000Z",
    "processed_at": "2024-05-01T12:00:01.000Z",
    "raw_key": RAW_KEY,
    "batch_id": "b" * 32,
    "execution_id": "arn:aws:states:us-east-1:123456789012:execution:wf:b-1",
}
LATER = {  # another batch, received later, holding some of the same events
    "received_at": "2024-05-02T08:00:00.000Z",
    "processed_at": "2024-05-02T08:00:01.000Z",
    "raw_key": "ingest/yyyy=2024/mm=05/dd=01/hh=10/" + "c" * 32 + ".json",
    "batch_id": "c" * 32,
    "execution_id": "arn:aws:states:us-east-1:123456789012:execution:wf:b-2",
}


def item(user: str, sk: str, content: str = "h", **extra: Any) -> dict[str, Any]:
    return {
        "user_id": user,
        "event_time": sk,
        "event_id": sk.partition("#")[2] or "e",
        "action": "click",
        "occurred_at": extra.pop("occurred_at", "2024-05-01T10:00:00.000Z"),
        "late": extra.pop("late", False),
        "raw_index": extra.pop("raw_index", 0),
        "content_hash": content,
        **extra,
    }


def payload(items: list[dict[str, Any]], lineage: dict[str, str] = LINEAGE) -> dict[str, Any]:
    return {
        "batch_id": lineage["batch_id"],
        "raw_key": lineage["raw_key"],
        "lineage": lineage,
        "items": items,
        "rejected": [{"index": 9, "event_id": "x", "reason": "bad_event_time", "detail": "d"}],
        "rejected_key": "rejected/yyyy=2024/mm=05/dd=01/hh=10/" + "b" * 32 + ".json",
        "counts": {"received": len(items) + 1, "valid": len(items), "rejected": 1},
        "redelivery": False,
        "execution_id": lineage["execution_id"],
    }


class Spy:
    """Delegates PutItem to the moto client and records every request and the most requests in
    flight at once. It has no BatchWriteItem/BatchGetItem: Write must not need them."""

    def __init__(self) -> None:
        self.real = boto3.client("dynamodb", region_name="us-east-1")
        self.requests: list[dict[str, Any]] = []
        self.in_flight = self.most_in_flight = 0
        self._lock = threading.Lock()

    def put_item(self, **kwargs: Any) -> Any:
        with self._lock:
            self.requests.append(kwargs)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(0.001)  # long enough for the pool's writes to overlap
            return self.real.put_item(**kwargs)
        finally:
            with self._lock:
                self.in_flight -= 1


@pytest.fixture
def spy(s3: Any, dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> Spy:
    recorder = Spy()
    monkeypatch.setattr(table, "client", lambda service: recorder)
    return recorder


def scan(dynamodb: Any) -> dict[str, dict[str, Any]]:
    return {row["event_time"]["S"]: row for row in dynamodb.scan(TableName=TABLE)["Items"]}


def test_every_item_is_a_conditional_put_run_concurrently(
    spy: Spy, dynamodb: Any, lambda_context: Any, emf: Any
) -> None:
    items = [
        item(f"u{i % 3}", f"2024-05-01T10:00:00.{i:03d}Z#e{i}", properties={"n": i})
        for i in range(60)
    ]
    items += [  # identical
        item("u0", "2024-05-01T10:00:00.000Z#e0", properties={"n": 0}) for _ in range(3)
    ]

    out = write.handler(payload(items), lambda_context)

    assert (out["written"], out["duplicates_removed"], out["already_present"]) == (60, 3, 0)
    assert (out["conflicting"], out["conflicts"], out["conflicts_key"]) == (0, [], None)
    assert out["counts"] == {"received": 64, "valid": 63, "rejected": 1}
    assert out["rejected_key"].startswith("rejected/")
    assert set(out) == {
        "batch_id",
        "raw_key",
        "written",
        "duplicates_removed",
        "already_present",
        "conflicting",
        "conflicts",
        "conflicts_key",
        "curated_sent",
        "redelivery",
        "rejected",
        "rejected_key",
        "counts",
    }
    assert len(spy.requests) == 60  # one request per item; identical repeats are not sent
    for request in spy.requests:
        assert request["ConditionExpression"] == "attribute_not_exists(#pk)"
        assert request["ExpressionAttributeNames"] == {"#pk": "user_id"}
        assert request["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    assert 1 < spy.most_in_flight <= table.WRITE_CONCURRENCY
    assert len(scan(dynamodb)) == 60
    metrics = emf()
    assert metrics["EventsWritten"] == [60.0]
    assert metrics["DuplicatesRemoved"] == [3.0]
    assert metrics["ConflictingDuplicates"] == [0.0]


def test_the_same_events_in_another_batch_change_nothing(
    spy: Spy, dynamodb: Any, lambda_context: Any
) -> None:
    """Re-sent in a later batch: `already_present`, and received_at, raw_key, batch_id and every
    other attribute of the stored items stay as the first write made them."""
    first = [item("u1", f"2024-05-01T10:00:00.000Z#e{i}", content=f"h{i}") for i in range(30)]
    write.handler(payload(first), lambda_context)
    before = scan(dynamodb)

    again = first[10:] + [item("u1", f"2024-05-01T10:00:00.000Z#n{i}") for i in range(5)]
    out = write.handler(payload(again, LATER), lambda_context)

    assert (out["written"], out["already_present"], out["conflicting"]) == (5, 20, 0)
    after = scan(dynamodb)
    assert {sk: after[sk] for sk in before} == before  # byte for byte
    assert {row["batch_id"]["S"] for sk, row in after.items() if sk not in before} == {"c" * 32}


def test_other_content_under_a_stored_key_is_a_conflicting_duplicate(
    spy: Spy, s3: Any, dynamodb: Any, lambda_context: Any
) -> None:
    original = item("u1", "2024-05-01T10:00:00.000Z#order-1", content="A", page="/original")
    write.handler(payload([original]), lambda_context)
    before = scan(dynamodb)
    forged = item(
        "u1", "2024-05-01T10:00:00.000Z#order-1", content="B", page="/forged", raw_index=4
    )
    fresh = item("u2", "2024-05-01T10:00:00.000Z#order-2", content="C", raw_index=5)

    out = write.handler(payload([forged, fresh], LATER), lambda_context)

    assert (out["written"], out["already_present"], out["conflicting"]) == (1, 0, 1)
    (summary,) = out["conflicts"]
    assert summary["index"] == 4
    assert summary["event_id"] == "order-1"
    assert summary["reason"] == "conflicting_duplicate"
    assert f"raw_key {RAW_KEY}" in summary["detail"]
    conflicts_key = "rejected/yyyy=2024/mm=05/dd=01/hh=10/" + "c" * 32 + ".conflicts.json"
    assert out["conflicts_key"] == conflicts_key
    body = s3.get_object(Bucket=BUCKET, Key=conflicts_key)["Body"].read().decode()
    (record,) = [json.loads(line) for line in body.splitlines()]
    assert record == {**summary, "event": forged}  # the refused item as Process curated it
    after = scan(dynamodb)
    assert after["2024-05-01T10:00:00.000Z#order-1"] == before["2024-05-01T10:00:00.000Z#order-1"]


def test_a_conflict_inside_one_payload_keeps_the_first_item(
    spy: Spy, s3: Any, dynamodb: Any, lambda_context: Any
) -> None:
    first = item("u1", "2024-05-01T10:00:00.000Z#e1", content="A", raw_index=0)
    other = item("u1", "2024-05-01T10:00:00.000Z#e1", content="B", raw_index=1)
    out = write.handler(payload([first, other]), lambda_context)
    assert (out["written"], out["duplicates_removed"], out["conflicting"]) == (1, 0, 1)
    assert out["conflicts"][0]["index"] == 1
    assert out["conflicts_key"] == CONFLICTS_KEY
    assert scan(dynamodb)["2024-05-01T10:00:00.000Z#e1"]["content_hash"] == {"S": "A"}


def test_floats_become_numbers_and_nothing_becomes_a_set(spy: Spy) -> None:
    props = {"price": 9.99, "tags": [], "flags": {"a": True, "none": None}, "ratio": 1e-7}
    written = item("u", "t#1", properties=props)
    result = table.write_items(TABLE, [written])
    assert result == table.WriteResult(written=1, duplicates_removed=0, in_table=[written])
    (request,) = spy.requests
    stored = request["Item"]["properties"]["M"]
    assert stored["price"] == {"N": "9.99"}
    assert stored["ratio"] == {"N": "1E-7"}
    assert stored["tags"] == {"L": []}
    assert table.to_dynamo({"s": {1.5}}) == {"s": [Decimal("1.5")]}


def client_error(code: str, status: int = 400, message: str = "m", **extra: Any) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **extra,
    }
    return ClientError(response, "PutItem")


class Scripted:
    """PutItem that raises the scripted errors in turn, then succeeds."""

    def __init__(self, errors: list[ClientError]) -> None:
        self.errors = errors
        self.calls = 0

    def put_item(self, **_: Any) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {}


def test_throttling_is_retried_with_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = Scripted([client_error("ProvisionedThroughputExceededException")] * 2)
    monkeypatch.setattr(table, "client", lambda service: fake)
    sleeps: list[float] = []
    result = table.write_items(TABLE, [item("u", "t#1")], sleep=sleeps.append)
    assert (result.written, fake.calls, len(sleeps)) == (1, 3, 2)
    assert all(0 <= s <= table.BASE_DELAY * 2 for s in sleeps)


def test_throttling_gives_up_as_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = Scripted([client_error("ThrottlingException")] * 10)
    monkeypatch.setattr(table, "client", lambda service: fake)
    sleeps: list[float] = []
    with pytest.raises(TransientAwsError, match=r"dynamodb:PutItem .*ThrottlingException"):
        table.write_items(TABLE, [item("u", "t#1")], max_attempts=4, sleep=sleeps.append)
    assert (fake.calls, len(sleeps)) == (4, 3)


def test_a_taken_key_is_recognised_by_its_error_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """The message says the opposite: only the code and ALL_OLD's item count."""
    stored = {"content_hash": {"S": "h"}, "raw_key": {"S": "k"}, "batch_id": {"S": "b"}}
    same = client_error("ConditionalCheckFailedException", message="throttled", Item=stored)
    other = client_error(
        "ConditionalCheckFailedException", Item={**stored, "content_hash": {"S": "x"}}
    )
    legacy = client_error("ConditionalCheckFailedException", Item={"raw_key": {"S": "k"}})
    outcomes = []
    for error in (same, other, legacy):
        monkeypatch.setattr(table, "client", lambda service, e=error: Scripted([e]))
        outcomes.append(table.write_items(TABLE, [item("u", "t#1", content="h")]))
    assert [(r.written, r.already_present, len(r.conflicts)) for r in outcomes] == [
        (0, 1, 0),
        (0, 0, 1),
        (0, 0, 1),  # a stored item without content_hash is other content
    ]
    assert outcomes[1].conflicts[0] == table.Conflict(item("u", "t#1"), "x", "k", "b")


def test_backoff_grows_and_is_capped() -> None:
    def upper(_low: float, high: float) -> float:
        return high

    assert [table.backoff(a, upper) for a in range(8)] == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ProvisionedThroughputExceededException", 400, TransientAwsError),
        ("ThrottlingException", 400, TransientAwsError),
        ("RequestLimitExceeded", 400, TransientAwsError),
        ("InternalServerError", 500, TransientAwsError),
        ("SomethingNew", 503, TransientAwsError),
        ("ValidationException", 400, PermanentAwsError),
        ("ResourceNotFoundException", 400, PermanentAwsError),
        ("AccessDeniedException", 400, PermanentAwsError),
    ],
)
def test_client_error_codes_are_named(
    monkeypatch: pytest.MonkeyPatch, code: str, status: int, expected: type[Exception]
) -> None:
    real = boto3.client("dynamodb", region_name="us-east-1")
    stubber = Stubber(real)
    # the message deliberately says the opposite: mapping must use the code only
    message = "throttled, please retry" if expected is PermanentAwsError else "access denied"
    stubber.add_client_error(
        "put_item", service_error_code=code, service_message=message, http_status_code=status
    )
    monkeypatch.setattr(table, "client", lambda service: real)
    with stubber, pytest.raises(expected, match=code) as info:
        table.write_items(TABLE, [item("u", "t#1")], max_attempts=1)
    assert isinstance(info.value.__cause__, ClientError)


def test_connection_error_is_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    class Down:
        def put_item(self, **_: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    monkeypatch.setattr(table, "client", lambda service: Down())
    with pytest.raises(TransientAwsError, match="EndpointConnectionError"):
        table.write_items(TABLE, [item("u", "t#1")])


def test_missing_table_is_permanent(s3: Any, lambda_context: Any) -> None:
    with pytest.raises(PermanentAwsError, match="ResourceNotFoundException"):
        write.handler(payload([item("u", "t#1")]), lambda_context)


def test_empty_items_write_nothing(spy: Spy, lambda_context: Any) -> None:
    out = write.handler(payload([]), lambda_context)
    assert (out["written"], out["duplicates_removed"]) == (0, 0)
    assert spy.requests == []


def test_stored_items_carry_the_batch_lineage(spy: Spy, dynamodb: Any) -> None:
    """Process returns the lineage once; every stored item has it, as its own attributes."""
    items = [item(f"u{i}", f"2024-05-01T10:00:00.000Z#e{i}", raw_index=i) for i in range(30)]
    table.write_items(TABLE, items, lineage=LINEAGE)
    stored = dynamodb.scan(TableName=TABLE)["Items"]
    assert len(stored) == 30
    for row in stored:
        assert {k: row[k] for k in LINEAGE} == {k: {"S": v} for k, v in LINEAGE.items()}
        assert set(row) == {
            "user_id",
            "event_time",
            "event_id",
            "action",
            "occurred_at",
            "late",
            "raw_index",
            "content_hash",
            *LINEAGE,
        }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lineage": None}, "lineage must be an object"),
        ({"lineage": {**LINEAGE, "extra": "x"}}, "lineage must be an object"),
        ({"lineage": {k: v for k, v in LINEAGE.items() if k != "raw_key"}}, "lineage must be"),
        ({"lineage": {**LINEAGE, "received_at": 1}}, "lineage must be an object"),
        ({"items": [item("u", "t#1", raw_key="other")]}, "item 0 carries lineage attributes"),
        ({"items": [item("u", "t#1", content_hash=None)]}, "item 0 lacks"),
        ({"items": [item("u", "t#1", raw_index="3")]}, "item 0 lacks"),
        ({"items": [item("u", "t#1", occurred_at="May 1st")]}, "item 0 is no curated row"),
        ({"items": [item("u", "t#1", surprise=1)]}, "item 0 is no curated row"),
        ({"redelivery": "yes"}, "redelivery must be a boolean"),
    ],
)
def test_payload_must_be_processs_output(
    change: dict[str, Any], message: str, lambda_context: Any
) -> None:
    with pytest.raises(BatchRejected, match=message):
        write.handler({**payload([item("u", "t#1")]), **change}, lambda_context)
    event = payload([])
    del event["lineage"]
    with pytest.raises(BatchRejected, match=r"lacks \['lineage'\]"):
        write.handler(event, lambda_context)


def test_stored_item_refuses_an_item_that_carries_a_lineage_attribute() -> None:
    with pytest.raises(ValueError, match="batch_id"):
        table.stored_item(item("u", "t#1", batch_id="x"), LINEAGE)
    assert table.stored_item(item("u", "t#1"), LINEAGE)["batch_id"] == {"S": "b" * 32}


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({}, False),
        ({"duplicate": True}, True),
        ({"replay": True}, True),
        ({"duplicate": False, "replay": False}, False),
    ],
)
def test_process_reports_a_redelivery(flags: dict[str, bool], expected: bool) -> None:
    assert process.redelivery({"raw_key": "k", "execution_id": "e", **flags}) is expected


def test_process_refuses_non_boolean_flags() -> None:
    with pytest.raises(BatchRejected, match="booleans"):
        process.redelivery({"replay": "true"})


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e100, max_value=1e100)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=15,
)


@settings(max_examples=examples(300), deadline=None)
@given(json_values)
def test_attribute_values_are_what_boto3_would_build(value: Any) -> None:
    try:
        expected = TypeSerializer().serialize(table.to_dynamo(value))
    except Exception as exc:
        with pytest.raises(type(exc)):
            table.attribute_value(value)
    else:
        assert table.attribute_value(value) == expected


def test_every_stored_item_expires_item_retention_days_after_its_batch_was_received(
    spy: Spy, dynamodb: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ITEM_RETENTION_DAYS", "400")
    items = [item("u", "2024-05-01T10:00:00.000Z#e1"), item("v", "2024-05-01T09:00:00.000Z#e2")]
    write.handler(payload(items), lambda_context)
    received = 1714564800  # LINEAGE received_at 2024-05-01T12:00:00.000Z
    for row in dynamodb.scan(TableName=TABLE)["Items"]:
        assert row["expires_at"] == {"N": str(received + 400 * 86_400)}
    # a later batch's identical items are already present: the first expiry stays
    monkeypatch.setenv("ITEM_RETENTION_DAYS", "1")
    write.handler(payload(items, LATER), lambda_context)
    for row in dynamodb.scan(TableName=TABLE)["Items"]:
        assert row["expires_at"] == {"N": str(received + 400 * 86_400)}


def test_write_without_its_retention_setting_is_a_configuration_error(
    spy: Spy, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ITEM_RETENTION_DAYS")
    with pytest.raises(ConfigurationError, match="ITEM_RETENTION_DAYS"):
        write.handler(payload([item("u", "t#1")]), lambda_context)
    assert spy.requests == []
