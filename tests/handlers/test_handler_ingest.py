from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from handlers import ingest
from handlers.errors import BatchRejected, ConfigurationError, PermanentAwsError

BUCKET = "raw-bucket-test"
EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:activity-pipeline-test-workflow:b-1"
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")
EVENTS = [
    {"user_id": "u1", "action": "Page View", "event_time": "2024-05-01T10:15:00+02:00"},
    {"action": "click", "user_id": "u2", "event_time": 1714550000000, "page": "/ü"},
]


def payload(execution_input: Any) -> dict[str, Any]:
    return {"input": execution_input, "execution_id": EXECUTION_ID}


def test_batch_is_stored_as_ndjson_with_metadata(s3: Any, lambda_context: Any, emf: Any) -> None:
    out = ingest.handler(payload({"events": EVENTS}), lambda_context)

    canonical = json.dumps(EVENTS, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    batch_id = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    # earliest parseable time: 1714550000000 ms = 2024-05-01T07:53:20Z
    raw_key = f"ingest/yyyy=2024/mm=05/dd=01/hh=07/{batch_id}.json"
    assert out == {
        "batch_id": batch_id,
        "raw_key": raw_key,
        "event_count": 2,
        "received_at": out["received_at"],
        "duplicate": False,
        "replay": False,
    }
    obj = s3.get_object(Bucket=BUCKET, Key=raw_key)
    lines = obj["Body"].read().decode().splitlines()
    assert [json.loads(line) for line in lines] == EVENTS
    assert list(json.loads(lines[1])) == ["action", "user_id", "event_time", "page"]  # as received
    assert obj["ContentType"] == "application/x-ndjson"
    assert obj["Metadata"] == {
        "received-at": out["received_at"],
        "batch-id": batch_id,
        "event-count": "2",
        "execution-id": EXECUTION_ID,
    }
    metrics = emf()
    assert metrics["EventsReceived"] == [2.0]
    assert metrics["namespace"] == "ActivityPipeline"
    assert metrics["dimensions"] == [["service"]]
    assert metrics["service"] == "activity-pipeline-test"


def test_same_batch_twice_lands_once(s3: Any, lambda_context: Any) -> None:
    first = ingest.handler(payload({"events": EVENTS}), lambda_context)
    original = s3.get_object(Bucket=BUCKET, Key=first["raw_key"])
    again = ingest.handler(
        {"input": {"events": EVENTS}, "execution_id": EXECUTION_ID + "-2"}, lambda_context
    )

    assert again["duplicate"] is True
    assert again["raw_key"] == first["raw_key"]
    assert again["batch_id"] == first["batch_id"]
    listed = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [o["Key"] for o in listed] == [first["raw_key"]]
    kept = s3.get_object(Bucket=BUCKET, Key=first["raw_key"])
    assert kept["Metadata"] == original["Metadata"]  # the first copy was not overwritten
    assert kept["ETag"] == original["ETag"]


def test_single_event_is_a_batch_of_one(s3: Any, lambda_context: Any) -> None:
    out = ingest.handler(payload(EVENTS[0]), lambda_context)
    assert out["event_count"] == 1
    assert out["raw_key"].startswith("ingest/yyyy=2024/mm=05/dd=01/hh=08/")
    body = s3.get_object(Bucket=BUCKET, Key=out["raw_key"])["Body"].read()
    assert json.loads(body) == EVENTS[0]


def test_events_are_not_validated_at_ingest(s3: Any, lambda_context: Any) -> None:
    out = ingest.handler(payload({"events": [{"nonsense": True}, 42]}), lambda_context)
    assert out["raw_key"].startswith("ingest/yyyy=1970/mm=01/dd=01/hh=00/")
    assert out["event_count"] == 2


@pytest.mark.parametrize(
    "execution_input",
    [
        [EVENTS[0]],
        {"events": []},
        {"events": "x"},
        {"events": [{}] * 4},
        {"events": EVENTS, "x": 1},
    ],
)
def test_envelope_refused_and_nothing_stored(
    s3: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, execution_input: Any
) -> None:
    monkeypatch.setenv("MAX_BATCH_EVENTS", "3")
    with pytest.raises(BatchRejected):
        ingest.handler(payload(execution_input), lambda_context)
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def test_batch_over_payload_limit_is_refused(s3: Any, lambda_context: Any) -> None:
    big = [
        {"user_id": f"u{i}", "action": "a", "event_time": 1714550000000, "page": "p" * 2000}
        for i in range(120)
    ]
    with pytest.raises(BatchRejected, match=r"estimated at \d+ bytes .* limit of 262144 bytes"):
        ingest.handler(payload({"events": big}), lambda_context)
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


@pytest.mark.parametrize("name", ["RAW_BUCKET", "MAX_BATCH_EVENTS", "POWERTOOLS_METRICS_NAMESPACE"])
def test_missing_env_is_a_configuration_error(
    s3: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.delenv(name)
    with pytest.raises(ConfigurationError, match=name):
        ingest.handler(payload(EVENTS[0]), lambda_context)


def test_missing_bucket_is_permanent(moto: None, lambda_context: Any) -> None:
    with pytest.raises(PermanentAwsError, match="NoSuchBucket"):
        ingest.handler(payload(EVENTS[0]), lambda_context)


def test_payload_without_execution_id(s3: Any, lambda_context: Any) -> None:
    with pytest.raises(BatchRejected, match="execution_id"):
        ingest.handler({"input": EVENTS[0]}, lambda_context)
