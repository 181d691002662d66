"""`ops send`: reading files, splitting within the limits, and the run against a stub client."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers import limits
from handlers.envelope import PAYLOAD_LIMIT, estimate_payload_size
from ops import cli
from ops.batching import Batch, Event, InputError, load_events, split
from ops.names import batch_name, longest_batch_arn
from ops.target import Target

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:activity-pipeline-dev-workflow"
OUTPUTS = {
    "state_machine_arn": SM,
    "table_name": "t",
    "raw_bucket_name": "b",
    "dlq_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
    "region": "us-east-1",
    "max_batch_events": 3,
}
EXEC_ID = longest_batch_arn(SM)


def event_of(value: Any) -> Event:
    """An event as if read from a file holding ``value``."""
    return Event(json.dumps(value), value)


def event(i: int, **extra: Any) -> dict[str, Any]:
    return {"user_id": f"u{i}", "action": "click", "event_time": "2025-11-20T09:00:00Z", **extra}


def test_files_of_one_event_an_envelope_or_ndjson(tmp_path: Path) -> None:
    one, envelope, ndjson = tmp_path / "one.json", tmp_path / "env.json", tmp_path / "x.ndjson"
    one.write_text(json.dumps(event(1)))
    envelope.write_text(json.dumps({"events": [event(1), event(2)]}))
    ndjson.write_text(f"{json.dumps(event(1))}\n\n{json.dumps(event(2))}\n")
    assert [e.value for e in load_events(one)] == [event(1)]
    assert [e.value for e in load_events(envelope)] == [event(1), event(2)]
    assert [e.value for e in load_events(ndjson)] == [event(1), event(2)]


def test_events_travel_as_their_exact_text(tmp_path: Path) -> None:
    texts = [
        '{"user_id": "u1", "n": 1e400, "z": -0, "d": 0.12345678901234567890123}',
        '{"user_id":"u2","big":' + "9" * 4301 + "}",
        '{ "user_id" : "u3", "emoji": "\\ud83d\\ude00 😀" }',
    ]
    path = tmp_path / "exact.json"
    path.write_text('{"events": [\n  ' + ",\n  ".join(texts) + "\n]}", encoding="utf-8")
    [batch] = split(load_events(path), 10, EXEC_ID)
    assert batch.text == '{"events": [' + ", ".join(texts) + "]}"
    assert limits.execution_input_problem(batch.text) is None
    ndjson = tmp_path / "exact.ndjson"
    ndjson.write_text("\n".join(texts) + "\n", encoding="utf-8")
    assert [e.text for e in load_events(ndjson)] == texts


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ('{"a": 1}\nnot json\n', r"bad\.json:2: not JSON"),
        ('{"events": {}}', "expected"),
        ('{"events": [], "x": 1}', "expected"),
        ('{"events": []}', "'events' is empty"),
        ('{"user_id": "u", "n": NaN}', "NaN is not JSON"),
        ('{"a": 1}\n{"n": Infinity}\n', r"bad\.json:2: Infinity is not JSON"),
        ('{"user_id": "u", "user_id": "v"}', "repeats the key 'user_id'"),
        ('{"events": [' + "[" * 70 + "]" * 70 + "]}", "nests deeper than 64"),
    ],
)
def test_unusable_files_are_refused_with_the_place(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    with pytest.raises(InputError, match=message):
        load_events(bad)


def test_split_respects_max_events_and_keeps_order() -> None:
    events = [event_of(event(i)) for i in range(7)]
    batches = split(events, 3, EXEC_ID)
    assert [len(b.events) for b in batches] == [3, 3, 1]
    assert [e for b in batches for e in b.events] == events


def test_split_keeps_every_batch_within_the_payload_limit() -> None:
    # Quotes are escaped again in Ingest's payload, emoji count 12 bytes: both bind here.
    blobs = ['"' * 6_000, "\U0001f600" * 1_500, "x" * 20_000]
    events = [event_of(event(i, properties={"blob": blobs[i % 3]})) for i in range(60)]
    batches = split(events, 500, EXEC_ID)
    assert len(batches) > 1
    raw_key = "ingest/" + "x" * 70

    def refused(batch_events: list[Event]) -> bool:
        text = Batch(batch_events).text
        values = [e.value for e in batch_events]
        return (
            limits.execution_input_problem(text) is not None
            or estimate_payload_size(values, raw_key, EXEC_ID) > PAYLOAD_LIMIT
        )

    for batch in batches:
        assert not refused(batch.events)
        assert limits.ingest_payload_size(batch.text) <= PAYLOAD_LIMIT
        assert limits.dlq_parameters_size(batch.text) <= PAYLOAD_LIMIT
    assert [e for b in batches for e in b.events] == events
    # and as full as the limits allow: one more event would have broken one
    for batch, following in itertools.pairwise(batches):
        assert refused([*batch.events, following.events[0]])


def test_five_hundred_typical_events_travel_as_one_batch() -> None:
    events = [
        event_of(
            event(
                i,
                event_id=f"evt-{i:06d}",
                session_id=f"s-{i % 50:04d}",
                page=f"/products/{i % 97}",
                user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0",
                ip="203.0.113.57",
                properties={"product_id": str(i % 97)},
            )
        )
        for i in range(500)
    ]
    assert [len(b.events) for b in split(events, 500, EXEC_ID)] == [500]


def test_an_event_larger_than_the_limit_alone_is_refused() -> None:
    big = event(1, properties={"blob": "x" * limits.MAX_INPUT_SIZE})
    with pytest.raises(InputError, match="event #1 is"):
        split([event_of(event(0)), event_of(big)], 10, EXEC_ID)


class StubSfn:
    def __init__(self, sent_before: set[str] | None = None) -> None:
        self.sent_before = sent_before or set()
        self.started: dict[str, Any] = {}

    def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict[str, str]:
        if name in self.sent_before:
            error = {"Error": {"Code": "ExecutionAlreadyExists", "Message": name}}
            raise ClientError(error, "StartExecution")  # type: ignore[arg-type]
        self.started[name] = json.loads(input)
        return {"executionArn": f"{SM}:{name}".replace("stateMachine", "execution")}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        name = executionArn.rsplit(":", 1)[1]
        events = self.started[name]["events"]
        if any(e.get("action") == "boom" for e in events):
            return {"status": "FAILED", "error": "PipelineFailed", "cause": "boom"}
        rejected = [{"reason": "schema_violation"} for e in events if "user_id" not in e]
        output = {"written": len(events) - len(rejected), "rejected": rejected}
        return {"status": "SUCCEEDED", "output": json.dumps(output)}


@pytest.fixture
def outputs_file(tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(OUTPUTS))
    return path


def run_send(monkeypatch: pytest.MonkeyPatch, sfn: StubSfn, argv: list[str]) -> int:
    monkeypatch.setattr(Target, "client", lambda self, service: sfn)
    return cli.main(["send", *argv])


def test_send_summarises_stored_rejected_already_sent_and_failed(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    outputs_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    events = [event(i) for i in range(5)] + [{"action": "click", "event_time": "x"}]
    failing = [event(10, action="boom")]
    path, other = tmp_path / "events.ndjson", tmp_path / "failing.json"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    other.write_text(json.dumps(failing[0]))
    already = batch_name({"events": events[:3]})
    sfn = StubSfn(sent_before={already})
    code = run_send(monkeypatch, sfn, [str(path), str(other), "--outputs", str(outputs_file)])
    assert code == 1  # one batch failed
    summary = capsys.readouterr().out
    assert "batches:  3 (succeeded 1, already sent 1, started 0, failed 1)" in summary
    assert "events:   7" in summary
    assert "stored:   2" in summary
    assert "rejected: 1 (schema_violation: 1)" in summary
    assert "PipelineFailed: boom" in summary
    assert sorted(sfn.started) == sorted(batch_name({"events": b}) for b in (events[3:6], failing))


def test_send_refuses_a_non_json_file_before_starting_anything(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    outputs_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.txt"
    good.write_text(json.dumps(event(1)))
    bad.write_text("user_id=u1 action=click\n")
    sfn = StubSfn()
    code = run_send(monkeypatch, sfn, [str(good), str(bad), "--outputs", str(outputs_file)])
    assert code == 2
    assert sfn.started == {}
    assert "bad.txt:1: not JSON" in capsys.readouterr().err


def test_batch_size_comes_from_the_flag_or_the_stack_output(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"events": [event(i) for i in range(4)]}))
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({k: v for k, v in OUTPUTS.items() if k != "max_batch_events"}))
    sfn = StubSfn()
    assert run_send(monkeypatch, sfn, [str(path), "--outputs", str(outputs)]) == 2
    assert "pass --max-batch-events" in capsys.readouterr().err
    code = run_send(
        monkeypatch,
        sfn,
        [str(path), "--outputs", str(outputs), "--max-batch-events", "2", "--json"],
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["batches"], summary["events"], summary["stored"]) == (2, 4, 4)


class RejectingSfn(StubSfn):
    """Process's rejection of every event without `event_time`: index, id, reason and detail."""

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        name = executionArn.rsplit(":", 1)[1]
        events = self.started[name]["events"]
        rejected = [
            {
                "index": i,
                "event_id": e.get("event_id", "derived-id"),
                "reason": "schema_violation",
                "detail": "data must contain ['event_time'] properties (rule: required)",
            }
            for i, e in enumerate(events)
            if "event_time" not in e
        ]
        output = {"written": len(events) - len(rejected), "rejected": rejected}
        return {"status": "SUCCEEDED", "output": json.dumps(output)}


def test_send_shows_each_rejected_event_with_its_file_index_id_reason_and_detail(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    outputs_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    misspelt = {"event_id": "e-typo", "user_id": "u", "action": "click", "evnet_time": "x"}
    path = tmp_path / "events.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in [event(0), event(1), misspelt, event(3)]))
    argv = [str(path), "--outputs", str(outputs_file)]  # batches of 3: the typo is #2 of batch 1

    assert run_send(monkeypatch, RejectingSfn(), argv) == 0
    text = capsys.readouterr().out.splitlines()
    assert "rejected: 1 (schema_violation: 1)" in text
    header = text.index("") + 1  # the table follows the summary after a blank line
    assert text[header].split() == ["file", "index", "event_id", "reason", "detail"]
    assert text[header + 2].split()[:4] == [str(path), "2", "e-typo", "schema_violation"]
    assert text[header + 2].endswith("data must contain ['event_time'] properties (rule: required)")

    assert run_send(monkeypatch, RejectingSfn(), [*argv, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rejections"] == [
        {
            "file": str(path),
            "index": 2,
            "event_id": "e-typo",
            "reason": "schema_violation",
            "detail": "data must contain ['event_time'] properties (rule: required)",
        }
    ]


def test_a_rejection_in_a_later_batch_names_its_place_in_its_own_file(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    outputs_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps({"events": [event(0), event(1), event(2), event(3)]}))
    second.write_text(json.dumps({"events": [event(4), {"user_id": "u", "action": "a"}]}))
    argv = [str(first), str(second), "--outputs", str(outputs_file), "--json"]
    assert run_send(monkeypatch, RejectingSfn(), argv) == 0
    [rejection] = json.loads(capsys.readouterr().out)["rejections"]
    assert (rejection["file"], rejection["index"]) == (str(second), 1)
