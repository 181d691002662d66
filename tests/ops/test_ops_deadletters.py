"""Dead letters: parsed without losing a digit, peeked at, re-submitted exactly; redrive names."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from handlers.jsontext import member_texts
from ops.deadletters import (
    BadDeadLetter,
    parse_message,
    peek,
    receive,
    resubmit_text,
)
from ops.executions import Outcome
from ops.names import redrive_name
from ops.redrive import RedriveSummary, redrive_run

BATCH = {"events": [{"user_id": "u", "action": "a", "event_time": 0}]}


def message(
    body: Any, mid: str = "0123456789abcdef", count: str = "2", sent: str = "1735689600000"
) -> dict[str, Any]:
    return {
        "MessageId": mid,
        "ReceiptHandle": f"rh-{mid}",
        "Body": body if isinstance(body, str) else json.dumps(body),
        "Attributes": {"ApproximateReceiveCount": count, "SentTimestamp": sent},
    }


def test_input_may_be_an_object_or_a_json_string() -> None:
    as_object = parse_message(message({"input": BATCH, "execution_id": "x"}))
    as_string = parse_message(message({"input": json.dumps(BATCH)}))
    assert (
        as_object.input == as_string.input == {"events": [{**BATCH["events"][0], "event_time": 0}]}
    )
    assert (as_object.receive_count, as_object.sent_at, as_object.events) == (2, 1735689600000, 1)


def test_the_input_text_is_kept_exactly_as_the_letter_carries_it() -> None:
    text = '{"events": [{"n": 1e400, "z": -0, "d": 0.12345678901234567890123, "i": ' + "7" * 4301
    text += "}]}"
    body = '{"execution_id": "arn:x", "input": ' + text + ' , "error": {"Error": "E"}}'
    letter = parse_message(message(body))
    assert letter.input_text == text
    assert letter.input["events"][0]["i"] == Decimal("7" * 4301)  # over Python's int limit
    assert parse_message(message({"input": {"x": 1.5}})).input == {"x": 1.5}  # floats otherwise
    assert resubmit_text(letter.input_text) == '{"resubmit": ' + text + "}"
    assert json.loads(resubmit_text('{"a": [1, 2]}')) == {"resubmit": {"a": [1, 2]}}


def test_member_texts_are_exact_spans_and_refuse_non_objects() -> None:
    assert member_texts(' { "a" : [1,  2] , "b":"x\\"y", "a": {} } ') == {"a": "{}", "b": '"x\\"y"'}
    assert member_texts("{}") == {}
    for bad in ("[1]", '{"a": 1', '{"a": 1} x', '{"a" 1}', "{a: 1}"):
        with pytest.raises(ValueError, match=r"expected|extra data"):
            member_texts(bad)


@pytest.mark.parametrize(
    "body",
    ["not json", json.dumps({"error": {}}), json.dumps([1]), json.dumps({"input": "{nope"})],
)
def test_messages_without_an_input_are_refused(body: str) -> None:
    with pytest.raises(BadDeadLetter):
        parse_message(message(body))


def test_events_counts_events_records_or_one_event() -> None:
    counts = [
        parse_message(message({"input": value})).events
        for value in (BATCH, {"records": ["a", "b", "c"]}, {"user_id": "u"}, [1, 2])
    ]
    assert counts == [1, 3, 1, None]


def test_redrive_runs_resubmit_the_exact_input_under_a_name_per_attempt() -> None:
    letter = parse_message(message({"input": BATCH}))
    run = redrive_run(letter)
    assert run.name == redrive_name(letter.input_text, letter.message_id, letter.receive_count)
    assert run.name.startswith("d-")
    assert run.name.endswith("-01234567-2")
    assert len(run.name) <= 80
    assert run.input == resubmit_text(letter.input_text)
    assert (json.loads(run.input)["resubmit"], run.tag) == (letter.input, "rh-0123456789abcdef")
    again = parse_message(message({"input": BATCH}, count="3"))
    assert redrive_run(again).name != run.name
    other = parse_message(message({"input": {"events": []}}))
    assert redrive_run(other).name.split("-")[1] != run.name.split("-")[1]


def test_a_failed_redrive_reports_the_message_and_its_attempts() -> None:
    letter = parse_message(message({"input": BATCH}, count="5"))
    run = redrive_run(letter)
    summary = RedriveSummary(
        1, [Outcome(run, "FAILED", {}, "BatchRejected: no")], {run.name: letter}
    ).as_dict()
    assert (summary["redriven"], summary["deleted"], summary["kept"], summary["failed"]) == (
        0,
        0,
        1,
        1,
    )
    assert summary["failures"] == [
        {
            "message_id": "0123456789abcdef",
            "attempts": 5,
            "execution": run.name,
            "status": "FAILED",
            "error": "BatchRejected: no",
        }
    ]


class FakeSqs:
    def __init__(self, batches: list[list[str]]) -> None:
        self.batches = batches
        self.calls: list[dict[str, Any]] = []
        self.released: list[str] = []

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        ids = (self.batches.pop(0) if self.batches else [])[: kwargs["MaxNumberOfMessages"]]
        return {"Messages": [message({"input": BATCH}, mid) for mid in ids]}

    def change_message_visibility(self, **kwargs: Any) -> None:
        assert kwargs["VisibilityTimeout"] == 0
        self.released.append(kwargs["ReceiptHandle"])


def test_receive_stops_after_two_empty_answers_and_ignores_repeats() -> None:
    sqs = FakeSqs([["a", "b"], [], ["b", "c"], [], []])
    got = receive(sqs, "url", limit=100, visibility=60, wait=0)
    assert [m["MessageId"] for m in got] == ["a", "b", "c"]
    assert len(sqs.calls) == 5
    assert sqs.calls[0]["VisibilityTimeout"] == 60
    assert sqs.calls[0]["AttributeNames"] == ["ApproximateReceiveCount", "SentTimestamp"]


def test_receive_honours_the_limit() -> None:
    sqs = FakeSqs([[f"m{i}" for i in range(10)], [f"n{i}" for i in range(10)]])
    got = receive(sqs, "url", limit=12, visibility=60, wait=0)
    assert len(got) == 12
    assert sqs.calls[1]["MaxNumberOfMessages"] == 2


def test_peek_makes_every_message_visible_again() -> None:
    sqs = FakeSqs([["a", "b"], ["c"]])
    got = peek(sqs, "url", limit=10, wait=0)
    assert [m["MessageId"] for m in got] == ["a", "b", "c"]
    assert sqs.released == ["rh-a", "rh-b", "rh-c"]
    assert sqs.calls[0]["VisibilityTimeout"] == 30
