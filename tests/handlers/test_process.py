from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from handlers import ingest, process
from handlers.errors import ConfigurationError, PermanentAwsError

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")
BUCKET = "raw-bucket-test"
EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:activity-pipeline-test-workflow:b-1"
RAW_KEY = "ingest/yyyy=2024/mm=05/dd=01/hh=10/" + "a" * 32 + ".json"
GOOD = {
    "user_id": "u1",
    "action": "PageView",
    "event_time": "2024-05-01T10:15:00Z",
    "ip": "192.0.2.9",
}
OLD = {"user_id": "u1", "action": "login", "event_time": "2024-04-20T10:00:00Z"}
NAIVE = {"user_id": "u2", "action": "click", "event_time": "2024-05-01T10:15:00"}
FUTURE = {"user_id": "u3", "action": "click", "event_time": "2024-05-03T10:15:00Z"}


def put_raw(s3: Any, lines: list[str], metadata: dict[str, str] | None = None) -> None:
    s3.put_object(
        Bucket=BUCKET,
        Key=RAW_KEY,
        Body=("\n".join(lines) + "\n").encode(),
        Metadata=metadata
        if metadata is not None
        else {
            "received-at": "2024-05-01T12:00:00.000Z",
            "batch-id": "a" * 32,
            "event-count": str(len(lines)),
            "execution-id": "x",
        },
    )


def test_valid_and_rejected_events(s3: Any, lambda_context: Any, emf: Any) -> None:
    put_raw(s3, [json.dumps(e) for e in (GOOD, NAIVE, OLD, FUTURE)])

    out = process.handler({"raw_key": RAW_KEY, "execution_id": EXECUTION_ID}, lambda_context)

    rejected_key = "rejected/yyyy=2024/mm=05/dd=01/hh=10/" + "a" * 32 + ".json"
    assert set(out) == {
        "batch_id",
        "raw_key",
        "lineage",
        "items",
        "rejected",
        "rejected_key",
        "counts",
        "redelivery",
    }
    assert out["lineage"] == {  # once per batch, not in every item
        "received_at": "2024-05-01T12:00:00.000Z",  # from the object's metadata
        "processed_at": out["lineage"]["processed_at"],
        "raw_key": RAW_KEY,
        "batch_id": "a" * 32,
        "execution_id": EXECUTION_ID,
    }
    assert out["redelivery"] is False
    assert out["batch_id"] == "a" * 32
    assert out["raw_key"] == RAW_KEY
    assert out["rejected_key"] == rejected_key
    assert out["counts"] == {"received": 4, "valid": 2, "rejected": 2}
    good, old = out["items"]
    assert good["action"] == "page_view"
    assert good["ip"] == "192.0.2.0"
    assert good["event_time"] == f"2024-05-01T10:15:00.000Z#{good['event_id']}"
    assert (good["late"], old["late"]) == (False, True)
    assert (good["raw_index"], old["raw_index"]) == (0, 2)
    lineage = {"received_at", "processed_at", "raw_key", "batch_id", "execution_id"}
    assert not lineage & (set(good) | set(old))
    assert [(r["index"], r["reason"]) for r in out["rejected"]] == [
        (1, "bad_event_time"),
        (3, "future_event_time"),
    ]
    assert set(out["rejected"][0]) == {"index", "event_id", "reason", "detail"}

    body = s3.get_object(Bucket=BUCKET, Key=rejected_key)["Body"].read().decode()
    records = [json.loads(line) for line in body.splitlines()]
    assert [r["event"] for r in records] == [NAIVE, FUTURE]
    assert [{k: v for k, v in r.items() if k != "event"} for r in records] == out["rejected"]

    metrics = emf()
    assert metrics["EventsValid"] == [2.0]
    assert metrics["EventsRejected"] == [2.0]


def test_replay_gives_same_items_except_processing_lineage(s3: Any, lambda_context: Any) -> None:
    put_raw(s3, [json.dumps(GOOD)])
    first = process.handler({"raw_key": RAW_KEY, "execution_id": "e1"}, lambda_context)
    second = process.handler({"raw_key": RAW_KEY, "execution_id": "e2"}, lambda_context)
    assert first["items"] == second["items"]
    volatile = {"processed_at", "execution_id"}
    strip = {k: v for k, v in first["lineage"].items() if k not in volatile}
    assert strip == {k: v for k, v in second["lineage"].items() if k not in volatile}
    assert (first["lineage"]["execution_id"], second["lineage"]["execution_id"]) == ("e1", "e2")
    assert first["rejected_key"] is None
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="rejected/")["KeyCount"] == 0


def test_foreign_object_without_metadata(s3: Any, lambda_context: Any) -> None:
    put_raw(s3, [json.dumps(GOOD), "{oops", "[1, 2]"], metadata={})
    out = process.handler({"raw_key": RAW_KEY, "execution_id": EXECUTION_ID}, lambda_context)
    assert len(out["batch_id"]) == 32
    assert out["batch_id"] != "a" * 32
    assert [r["reason"] for r in out["rejected"]] == ["not_json", "schema_violation"]
    assert len(out["items"]) == 1
    received = datetime.fromisoformat(out["lineage"]["received_at"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - received).total_seconds()) < 60  # LastModified


@pytest.mark.usefixtures("suppression")
def test_ingest_then_process(s3: Any, lambda_context: Any) -> None:
    text = json.dumps({"events": [GOOD, NAIVE]})
    ingested = ingest.handler({"input": text, "execution_id": "e"}, lambda_context)
    out = process.handler({"raw_key": ingested["raw_key"], "execution_id": "e"}, lambda_context)
    assert out["batch_id"] == ingested["batch_id"]
    assert out["lineage"]["received_at"] == ingested["received_at"]
    assert out["counts"] == {"received": 2, "valid": 1, "rejected": 1}


def test_missing_object_is_permanent(s3: Any, lambda_context: Any) -> None:
    with pytest.raises(PermanentAwsError, match="NoSuchKey"):
        process.handler({"raw_key": RAW_KEY, "execution_id": EXECUTION_ID}, lambda_context)


def test_missing_threshold_is_configuration_error(
    s3: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LATE_EVENT_THRESHOLD_HOURS")
    with pytest.raises(ConfigurationError, match="LATE_EVENT_THRESHOLD_HOURS"):
        process.handler({"raw_key": RAW_KEY, "execution_id": EXECUTION_ID}, lambda_context)


@pytest.mark.usefixtures("suppression")
def test_every_kind_of_record_ends_with_its_reason(s3: Any, lambda_context: Any) -> None:
    """Records through Ingest then Process: what holds no event, and the new reasons."""
    now = datetime.now(UTC).isoformat()
    event = {"user_id": "u", "action": "click", "event_time": now, "event_id": "e-1"}
    records = {
        "not JSON at all": ("not_json", None),
        '"a JSON string"': ("not_json", None),
        '{"events": [{"user_id": "u"}]}': ("invalid_envelope", None),
        '{"a": 1, "a": 2}': ("duplicate_key", None),
        json.dumps({**event, "event_id": "huge", "properties": {"n": 1}}).replace(
            '"n": 1', '"n": ' + "7" * 4301
        ): ("schema_violation", "numberRange"),
        '{"user_id": "u", "properties": ' + "[" * 70 + "]" * 70 + "}": (
            "schema_violation",
            "maxDepth",
        ),
        json.dumps({**event, "event_id": "inf"}).replace(f'"{now}"', "1e400"): (
            "schema_violation",
            "finiteNumber",
        ),
        json.dumps({**event, "event_id": "old", "event_time": "1999-12-31T23:59:59.999Z"}): (
            "event_too_old",
            "before the oldest accepted time 2000-01-01T00:00:00.000Z",
        ),
        json.dumps({**event, "event_id": "digits", "event_time": "2025-11-20T00:00:00.\u0663Z"}): (
            "bad_event_time",
            "not an RFC 3339 date-time",
        ),
        json.dumps({**event, "event_id": "replay", "replay": {"raw_key": RAW_KEY}}): (
            "schema_violation",
            "must not contain",
        ),
        json.dumps(event): ("stored", None),
        json.dumps({**event, "page": "/forged"}): ("conflicting_duplicate", "raw index 10"),
        json.dumps(event, indent=1): ("stored", None),  # identical content: Write stores it once
    }
    text = json.dumps({"records": list(records)})
    ingested = ingest.handler({"input": text, "execution_id": "e"}, lambda_context)
    out = process.handler({"raw_key": ingested["raw_key"], "execution_id": "e"}, lambda_context)

    outcomes = ["stored"] * len(records)
    for rejection in out["rejected"]:
        outcomes[rejection["index"]] = rejection["reason"]
    assert outcomes == [reason for reason, _ in records.values()]
    for rejection in out["rejected"]:
        part = list(records.values())[rejection["index"]][1]
        assert part is None or part in rejection["detail"], rejection
    assert [i["raw_index"] for i in out["items"]] == [10, 12]
    assert out["items"][0]["content_hash"] == out["items"][1]["content_hash"]
    body = s3.get_object(Bucket=BUCKET, Key=out["rejected_key"])["Body"].read().decode()
    kept = {r["index"]: r for r in map(json.loads, body.splitlines())}
    assert kept[0]["event"] == "not JSON at all"  # the text as received
    assert kept[1]["event"] == '"a JSON string"'
    assert kept[0]["event_id"] == hashlib.sha256(b"not JSON at all").hexdigest()[:32]
    assert kept[4]["event_id"] == "huge"  # a client id stays findable
    assert kept[11]["event"] == {**event, "page": "/forged"}
