from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers import table, write
from handlers.errors import BatchRejected, PermanentAwsError, TransientAwsError

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")
TABLE = "activity-pipeline-test-events"


LINEAGE = {
    "received_at": "2024-05-01T12:00:00.000Z",
    "processed_at": "2024-05-01T12:00:01.000Z",
    "raw_key": "ingest/yyyy=2024/mm=05/dd=01/hh=10/" + "b" * 32 + ".json",
    "batch_id": "b" * 32,
    "execution_id": "arn:aws:states:us-east-1:123456789012:execution:wf:b-1",
}


def item(user: str, sk: str, **extra: Any) -> dict[str, Any]:
    return {"user_id": user, "event_time": sk, "action": "click", **extra}


def payload(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "batch_id": "b" * 32,
        "raw_key": "ingest/yyyy=2024/mm=05/dd=01/hh=10/" + "b" * 32 + ".json",
        "lineage": LINEAGE,
        "items": items,
        "rejected": [{"index": 9, "event_id": "x", "reason": "bad_event_time", "detail": "d"}],
        "rejected_key": "rejected/yyyy=2024/mm=05/dd=01/hh=10/" + "b" * 32 + ".json",
        "counts": {"received": len(items) + 1, "valid": len(items), "rejected": 1},
        "execution_id": "arn:aws:states:us-east-1:123456789012:execution:wf:b-1",
    }


class SpyClient:
    """Delegates to the moto client and records every BatchWriteItem request."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.requests: list[list[dict[str, Any]]] = []

    def batch_write_item(self, **kwargs: Any) -> Any:
        self.requests.append(kwargs["RequestItems"][TABLE])
        return self.real.batch_write_item(**kwargs)


@pytest.fixture
def spy(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> SpyClient:
    recorder = SpyClient(boto3.client("dynamodb", region_name="us-east-1"))
    monkeypatch.setattr(table, "client", lambda service: recorder)
    return recorder


def keys_of(request: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (r["PutRequest"]["Item"]["user_id"]["S"], r["PutRequest"]["Item"]["event_time"]["S"])
        for r in request
    ]


def test_chunks_of_25_without_duplicate_keys(
    spy: SpyClient, dynamodb: Any, lambda_context: Any, emf: Any
) -> None:
    items = [item(f"u{i % 3}", f"2024-05-01T10:00:00.{i:03d}Z#e{i}", n=i) for i in range(60)]
    items += [item("u0", "2024-05-01T10:00:00.000Z#e0", n=1000 + k) for k in range(3)]  # dupes
    items += [item("u1", "2024-05-01T10:00:00.025Z#e25", n=2000)]  # dupe across chunks

    out = write.handler(payload(items), lambda_context)

    assert out["written"] == 60
    assert out["duplicates_removed"] == 4
    assert out["counts"] == {"received": 65, "valid": 64, "rejected": 1}
    assert out["rejected_key"].startswith("rejected/")
    assert set(out) == {
        "batch_id",
        "raw_key",
        "written",
        "duplicates_removed",
        "already_present",
        "redelivery",
        "rejected",
        "rejected_key",
        "counts",
    }
    assert [len(r) for r in spy.requests] == [25, 25, 10]
    for request in spy.requests:
        assert len(keys_of(request)) == len(set(keys_of(request)))
    all_keys = [k for r in spy.requests for k in keys_of(r)]
    assert len(all_keys) == len(set(all_keys))  # not even across requests

    stored = dynamodb.scan(TableName=TABLE)["Items"]
    assert len(stored) == 60
    by_sk = {s["event_time"]["S"]: s for s in stored}
    assert by_sk["2024-05-01T10:00:00.000Z#e0"]["n"] == {"N": "1002"}  # last one wins
    assert by_sk["2024-05-01T10:00:00.025Z#e25"]["n"] == {"N": "2000"}

    metrics = emf()
    assert metrics["EventsWritten"] == [60.0]
    assert metrics["DuplicatesRemoved"] == [4.0]


def test_floats_become_numbers_and_nothing_becomes_a_set(spy: SpyClient, dynamodb: Any) -> None:
    props = {"price": 9.99, "tags": [], "flags": {"a": True, "none": None}, "ratio": 1e-7}
    result = table.write_items(TABLE, [item("u", "t#1", properties=props)])
    assert result == table.WriteResult(written=1, duplicates_removed=0)
    (request,) = spy.requests
    stored = request[0]["PutRequest"]["Item"]["properties"]["M"]
    assert stored["price"] == {"N": "9.99"}
    assert stored["ratio"] == {"N": "1E-7"}
    assert stored["tags"] == {"L": []}
    assert table.to_dynamo({"s": {1.5}}) == {"s": [Decimal("1.5")]}


class FakeDynamo:
    """Returns the scripted UnprocessedItems per call and records the requests."""

    def __init__(self, unprocessed: list[int]) -> None:
        self.unprocessed = unprocessed
        self.requests: list[list[Any]] = []

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:
        request = RequestItems[TABLE]
        self.requests.append(request)
        left = self.unprocessed.pop(0) if self.unprocessed else 0
        return {"UnprocessedItems": {TABLE: request[:left]} if left else {}}


def test_unprocessed_items_are_retried_with_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDynamo(unprocessed=[3])
    monkeypatch.setattr(table, "client", lambda service: fake)
    sleeps: list[float] = []
    items = [item("u", f"t#{i}") for i in range(10)]

    result = table.write_items(TABLE, items, sleep=sleeps.append)

    assert result.written == 10
    assert [len(r) for r in fake.requests] == [10, 3]
    assert fake.requests[1] == fake.requests[0][:3]
    assert len(sleeps) == 1
    assert 0 <= sleeps[0] <= table.BASE_DELAY


def test_unprocessed_items_give_up_as_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDynamo(unprocessed=[1] * 10)
    monkeypatch.setattr(table, "client", lambda service: fake)
    sleeps: list[float] = []
    with pytest.raises(TransientAwsError, match="1 items still unprocessed after 4 attempts"):
        table.write_items(TABLE, [item("u", "t#1")], max_attempts=4, sleep=sleeps.append)
    assert len(fake.requests) == 4
    assert len(sleeps) == 3
    assert all(0 <= s <= table.MAX_DELAY for s in sleeps)


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
        "batch_write_item",
        service_error_code=code,
        service_message=message,
        http_status_code=status,
    )
    monkeypatch.setattr(table, "client", lambda service: real)
    with stubber, pytest.raises(expected, match=code) as info:
        table.write_items(TABLE, [item("u", "t#1")])
    assert isinstance(info.value.__cause__, ClientError)


def test_connection_error_is_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    class Down:
        def batch_write_item(self, **_: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    monkeypatch.setattr(table, "client", lambda service: Down())
    with pytest.raises(TransientAwsError, match="EndpointConnectionError"):
        table.write_items(TABLE, [item("u", "t#1")])


def test_missing_table_is_permanent(moto: None, lambda_context: Any) -> None:
    with pytest.raises(PermanentAwsError, match="ResourceNotFoundException"):
        write.handler(payload([item("u", "t#1")]), lambda_context)


def test_empty_items_write_nothing(spy: SpyClient, lambda_context: Any) -> None:
    out = write.handler(payload([]), lambda_context)
    assert (out["written"], out["duplicates_removed"]) == (0, 0)
    assert spy.requests == []


def test_stored_items_carry_the_batch_lineage(spy: SpyClient, dynamodb: Any) -> None:
    """Process returns the lineage once; every stored item has it, as its own attributes."""
    items = [item(f"u{i}", f"2024-05-01T10:00:00.000Z#e{i}", raw_index=i) for i in range(30)]
    table.write_items(TABLE, items, lineage=LINEAGE)
    stored = dynamodb.scan(TableName=TABLE)["Items"]
    assert len(stored) == 30
    for row in stored:
        assert {k: row[k] for k in LINEAGE} == {k: {"S": v} for k, v in LINEAGE.items()}
        assert set(row) == {"user_id", "event_time", "action", "raw_index", *LINEAGE}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lineage": None}, "lineage must be an object"),
        ({"lineage": {**LINEAGE, "extra": "x"}}, "lineage must be an object"),
        ({"lineage": {k: v for k, v in LINEAGE.items() if k != "raw_key"}}, "lineage must be"),
        ({"lineage": {**LINEAGE, "received_at": 1}}, "lineage must be an object"),
        ({"items": [item("u", "t#1", raw_key="other")]}, "item 0 carries lineage attributes"),
    ],
)
def test_lineage_must_be_exact_and_never_repeated_in_an_item(
    change: dict[str, Any], message: str, lambda_context: Any
) -> None:
    with pytest.raises(BatchRejected, match=message):
        write.handler({**payload([item("u", "t#1")]), **change}, lambda_context)
    event = payload([])
    del event["lineage"]
    with pytest.raises(BatchRejected, match=r"lacks \['lineage'\]"):
        write.handler(event, lambda_context)


def test_put_request_refuses_an_item_that_carries_a_lineage_attribute() -> None:
    with pytest.raises(ValueError, match="batch_id"):
        table.put_request(item("u", "t#1", batch_id="x"), LINEAGE)
    request = table.put_request(item("u", "t#1"), LINEAGE)
    assert request["PutRequest"]["Item"]["batch_id"] == {"S": "b" * 32}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e100, max_value=1e100)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_attribute_values_are_what_boto3_would_build(value: Any) -> None:
    try:
        expected = TypeSerializer().serialize(table.to_dynamo(value))
    except Exception as exc:
        with pytest.raises(type(exc)):
            table.attribute_value(value)
    else:
        assert table.attribute_value(value) == expected
