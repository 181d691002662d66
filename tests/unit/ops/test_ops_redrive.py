"""ops redrive: dead letters parsed, named per attempt, received until the queue runs dry."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ops.executions import execution_name
from ops.redrive import BadDeadLetter, parse_message, receive, run_name

BATCH = {"events": [{"user_id": "u", "action": "a", "event_time": 0}]}


def message(body: Any, mid: str = "0123456789abcdef", count: str = "2") -> dict[str, Any]:
    return {
        "MessageId": mid,
        "ReceiptHandle": f"rh-{mid}",
        "Body": body if isinstance(body, str) else json.dumps(body),
        "Attributes": {"ApproximateReceiveCount": count},
    }


def test_input_may_be_an_object_or_a_json_string() -> None:
    as_object = parse_message(message({"input": BATCH, "execution_id": "x"}))
    as_string = parse_message(message({"input": json.dumps(BATCH)}))
    assert as_object.input == as_string.input == BATCH
    assert as_object.receive_count == 2


def test_run_names_are_unique_per_message_and_attempt() -> None:
    letter = parse_message(message({"input": BATCH}))
    assert run_name(letter) == f"d-{execution_name(BATCH)[2:]}-01234567-2"
    again = parse_message(message({"input": BATCH}, count="3"))
    assert run_name(again) != run_name(letter)
    replayed = parse_message(
        message({"input": {"replay": {"raw_key": "ingest/p/" + "c" * 32 + ".json"}}})
    )
    assert run_name(replayed) == f"d-{'c' * 32}-01234567-2"
    assert len(run_name(letter)) <= 80


@pytest.mark.parametrize("body", ["not json", json.dumps({"error": {}}), json.dumps([1])])
def test_messages_without_an_input_are_refused(body: str) -> None:
    with pytest.raises(BadDeadLetter):
        parse_message(message(body))


class FakeSqs:
    def __init__(self, batches: list[list[str]]) -> None:
        self.batches = batches
        self.calls: list[dict[str, Any]] = []

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        ids = (self.batches.pop(0) if self.batches else [])[: kwargs["MaxNumberOfMessages"]]
        return {"Messages": [message({"input": BATCH}, mid) for mid in ids]}


def test_receive_stops_after_two_empty_answers_and_ignores_repeats() -> None:
    sqs = FakeSqs([["a", "b"], [], ["b", "c"], [], []])
    got = receive(sqs, "url", limit=100, visibility=60, wait=0)
    assert [m["MessageId"] for m in got] == ["a", "b", "c"]
    assert len(sqs.calls) == 5
    assert sqs.calls[0]["VisibilityTimeout"] == 60
    assert sqs.calls[0]["AttributeNames"] == ["ApproximateReceiveCount"]


def test_receive_honours_the_limit() -> None:
    sqs = FakeSqs([[f"m{i}" for i in range(10)], [f"n{i}" for i in range(10)]])
    got = receive(sqs, "url", limit=12, visibility=60, wait=0)
    assert len(got) == 12
    assert sqs.calls[1]["MaxNumberOfMessages"] == 2
