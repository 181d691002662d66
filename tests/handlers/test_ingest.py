"""Ingest under moto: the execution input arrives as JSON text and each raw line is the exact text
of a received event (never a re-serialization); refused inputs store nothing."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from handlers import ingest
from handlers.errors import BatchRejected, ConfigurationError, PermanentAwsError
from handlers.limits import MAX_INPUT_DEPTH, MAX_INPUT_SIZE

BUCKET = "raw-bucket-test"
EXECUTION_ID = "arn:aws:states:us-east-1:123456789012:execution:activity-pipeline-test-workflow:b-1"
pytestmark = [
    pytest.mark.filterwarnings("ignore:No application metrics:UserWarning"),
    pytest.mark.usefixtures("suppression"),  # Ingest reads the suppression list
]
EVENTS = [
    {"user_id": "u1", "action": "Page View", "event_time": "2024-05-01T10:15:00+02:00"},
    {"action": "click", "user_id": "u2", "event_time": 1714550000000, "page": "/ü"},
]
BIG_INTEGER = "9" * 4301


def payload(text: str) -> dict[str, Any]:
    return {"input": text, "execution_id": EXECUTION_ID}


def raw_lines(s3: Any, key: str) -> list[str]:
    body: bytes = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert body.endswith(b"\n")
    return body.decode("utf-8").split("\n")[:-1]


def test_lines_are_the_events_exactly_as_received(s3: Any, lambda_context: Any, emf: Any) -> None:
    first = (
        '{"user_id" : "u1",\r\n "action": "Page View", "event_time": "2024-05-01T10:15:00+02:00"}'
    )
    second = (
        '{"action":"click","user_id":"u2","event_time":1714550000000,"page":"/\\u00fc",'
        f'"properties":{{"big":1e400,"zero":-0,"pi":0.12345678901234567890123,"n":{BIG_INTEGER}}}}}'
    )
    text = f'{{ "events" : [ {first} ,\n{second} ] }}'
    out = ingest.handler(payload(text), lambda_context)

    lines = raw_lines(s3, out["raw_key"])
    assert lines == [first.replace("\r\n", "  "), second]  # never re-serialized
    body = ("\n".join(lines) + "\n").encode()
    batch_id = hashlib.sha256(body).hexdigest()[:32]
    # earliest parseable time: 2024-05-01T08:15:00Z (the 4301-digit event is no event Process reads)
    raw_key = f"ingest/yyyy=2024/mm=05/dd=01/hh=08/{batch_id}.json"
    assert out == {
        "batch_id": batch_id,
        "raw_key": raw_key,
        "event_count": 2,
        "received_at": out["received_at"],
        "duplicate": False,
        "replay": False,
    }
    obj = s3.get_object(Bucket=BUCKET, Key=raw_key)
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
    text = json.dumps({"events": EVENTS})
    first = ingest.handler(payload(text), lambda_context)
    original = s3.get_object(Bucket=BUCKET, Key=first["raw_key"])
    again = ingest.handler({"input": text, "execution_id": EXECUTION_ID + "-2"}, lambda_context)

    assert again["duplicate"] is True
    assert again["raw_key"] == first["raw_key"]
    assert again["batch_id"] == first["batch_id"]
    listed = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [o["Key"] for o in listed] == [first["raw_key"]]
    kept = s3.get_object(Bucket=BUCKET, Key=first["raw_key"])
    assert kept["Metadata"] == original["Metadata"]  # the first copy was not overwritten
    assert kept["ETag"] == original["ETag"]


def test_single_event_is_a_batch_of_one(s3: Any, lambda_context: Any) -> None:
    text = "\n  " + json.dumps(EVENTS[0], indent=1) + "\n"
    out = ingest.handler(payload(text), lambda_context)
    assert out["event_count"] == 1
    assert out["raw_key"].startswith("ingest/yyyy=2024/mm=05/dd=01/hh=08/")
    assert raw_lines(s3, out["raw_key"]) == [json.dumps(EVENTS[0], indent=1).replace("\n", " ")]


def test_events_are_not_validated_at_ingest(s3: Any, lambda_context: Any) -> None:
    text = '{"events": [{"nonsense": true}, 42, "a \\"text\\"", [1, 2], {"events": []}]}'
    out = ingest.handler(payload(text), lambda_context)
    assert out["raw_key"].startswith("ingest/yyyy=1970/mm=01/dd=01/hh=00/")
    assert out["event_count"] == 5
    lines = raw_lines(s3, out["raw_key"])
    # A string element is kept as a string holding its text, like a record that is no event.
    assert lines == ['{"nonsense": true}', "42", json.dumps('"a \\"text\\""'), "[1, 2]", lines[4]]
    assert lines[4] == '{"events": []}'


def test_records_keep_json_texts_exactly_and_other_texts_as_strings(
    s3: Any, lambda_context: Any
) -> None:
    deep = "[" * (MAX_INPUT_DEPTH + 1) + "]" * (MAX_INPUT_DEPTH + 1)
    records = [
        ' {"user_id": "u", "action": "a", "event_time": 1e400}\r\n',
        "this is not JSON",
        '{"a": NaN}',
        '"a JSON string"',
        '{"events": [{"user_id": "u"}], "extra": 1}',
        '{"a": 1, "a": 2}',
        deep,
        "\ud800 lone",
    ]
    out = ingest.handler(payload(json.dumps({"records": records})), lambda_context)
    assert out["event_count"] == len(records)
    lines = raw_lines(s3, out["raw_key"])
    assert lines[0] == '{"user_id": "u", "action": "a", "event_time": 1e400}'
    assert lines[4] == records[4]
    assert lines[5] == records[5]  # JSON with a duplicate key: Process rejects it duplicate_key
    for index in (1, 2, 3, 6, 7):  # kept as JSON strings holding the text received
        assert json.loads(lines[index]) == records[index]


def test_a_lone_surrogate_inside_a_string_is_written_as_its_escape(
    s3: Any, lambda_context: Any
) -> None:
    text = '{"user_id": "u\ud800", "action": "a", "event_time": 0}'
    out = ingest.handler(payload(text), lambda_context)
    (line,) = raw_lines(s3, out["raw_key"])  # the body is valid UTF-8
    assert line == '{"user_id": "u\\ud800", "action": "a", "event_time": 0}'
    assert json.loads(line) == json.loads(text)


@pytest.mark.parametrize(
    "execution_input",
    [
        [EVENTS[0]],
        {"events": []},
        {"events": "x"},
        {"events": [{}] * 4},
        {"events": EVENTS, "x": 1},
        {"events": EVENTS, "replay": {"raw_key": "ingest/x.json"}},
        {"records": ["a", 1]},
        {"records": []},
        {"records": ["a"], "events": []},
        "just a string",
    ],
)
def test_envelope_refused_and_nothing_stored(
    s3: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, execution_input: Any
) -> None:
    monkeypatch.setenv("MAX_BATCH_EVENTS", "3")
    with pytest.raises(BatchRejected):
        ingest.handler(payload(json.dumps(execution_input)), lambda_context)
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"events": [{"a": NaN}]}', "NaN is not JSON"),
        ("[" * (MAX_INPUT_DEPTH + 1) + "]" * (MAX_INPUT_DEPTH + 1), "nests deeper than 64"),
        ('{"user_id": "u", "user_id": "v"}', "repeats the key 'user_id'"),
        ('{"page": "' + "p" * MAX_INPUT_SIZE + '"}', "bytes as Step Functions counts them"),
        ('{"page": "' + "😀" * 20_000 + '"}', "an emoji counts 12 bytes"),
        ('{"events": [', "not JSON"),
    ],
)
def test_unsafe_inputs_are_refused_and_nothing_stored(
    s3: Any, lambda_context: Any, text: str, message: str
) -> None:
    with pytest.raises(BatchRejected, match=None) as info:
        ingest.handler(payload(text), lambda_context)
    assert message in str(info.value)
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def test_batch_over_the_output_estimate_is_refused(
    s3: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_BATCH_EVENTS", "1000")
    text = json.dumps({"events": [{"a": i} for i in range(700)]})  # small input, large output
    with pytest.raises(BatchRejected, match=r"estimated at \d+ bytes .* limit of 256768 bytes"):
        ingest.handler(payload(text), lambda_context)
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ('{"user_id": "u", "page": "' + "x" * 33_000 + '"}', "over the 32768-byte event limit"),
        ('{"user_id": "u", "n": [' + ",".join([BIG_INTEGER] * 8) + "]}", "bytes > 32768 bytes"),
    ],
)
def test_an_event_over_32_kb_is_refused(
    s3: Any, lambda_context: Any, event: str, message: str
) -> None:
    with pytest.raises(BatchRejected, match=None) as info:
        ingest.handler(payload('{"events": [{"a": 1}, ' + event + "]}"), lambda_context)
    assert "event #1" in str(info.value)
    assert message in str(info.value)
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0


def test_input_must_be_the_execution_input_as_text(s3: Any, lambda_context: Any) -> None:
    with pytest.raises(BatchRejected, match=r"States\.JsonToString"):
        ingest.handler({"input": EVENTS[0], "execution_id": EXECUTION_ID}, lambda_context)


@pytest.mark.parametrize(
    "name", ["RAW_BUCKET", "MAX_BATCH_EVENTS", "OLDEST_EVENT_TIME", "POWERTOOLS_METRICS_NAMESPACE"]
)
def test_missing_env_is_a_configuration_error(
    s3: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.delenv(name)
    with pytest.raises(ConfigurationError, match=name):
        ingest.handler(payload(json.dumps(EVENTS[0])), lambda_context)


@pytest.mark.parametrize("value", ["2000-01-01", "1969-12-31T23:00:00Z"])
def test_oldest_event_time_is_checked(
    s3: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("OLDEST_EVENT_TIME", value)
    with pytest.raises(ConfigurationError, match="OLDEST_EVENT_TIME"):
        ingest.handler(payload(json.dumps(EVENTS[0])), lambda_context)


def test_missing_bucket_is_permanent(moto: None, lambda_context: Any) -> None:
    with pytest.raises(PermanentAwsError, match="NoSuchBucket"):
        ingest.handler(payload(json.dumps(EVENTS[0])), lambda_context)


def test_payload_without_execution_id(s3: Any, lambda_context: Any) -> None:
    with pytest.raises(BatchRejected, match="execution_id"):
        ingest.handler({"input": json.dumps(EVENTS[0])}, lambda_context)
