"""The entry buffer's DLQ in ops: listed by `ops dlq`, re-submitted by `ops redrive` as the Batch
function packs the bodies (one run per input), each deleted only once every run holding it
succeeded."""

from __future__ import annotations

import json
from typing import Any

from handlers import packing
from ops.deadletters import parse_buffer_message, resubmit_text
from ops.dlq import buffer_row
from ops.executions import Outcome, Run
from ops.names import redrive_name
from ops.redrive import RedriveSummary, _Settlement, buffer_plan

EVENT = {"user_id": "u1", "action": "click", "event_time": "2025-05-01T10:00:00Z"}


def message(body: str, mid: str = "mid-1", count: str = "5") -> dict[str, Any]:
    return {
        "MessageId": mid,
        "ReceiptHandle": f"rh-{mid}",
        "Body": body,
        "Attributes": {"ApproximateReceiveCount": count, "SentTimestamp": "1735689600000"},
    }


def test_a_buffer_dlq_row_counts_the_body_records_and_its_attempts() -> None:
    envelope = json.dumps({"events": [EVENT, EVENT, EVENT]})
    assert buffer_row(message(envelope)) == {
        "queue": "buffer_dlq",
        "message_id": "mid-1",
        "execution": None,
        "failed_state": "batch",
        "error": None,
        "events": 3,
        "attempts": 5,
        "sent": "2025-01-01T00:00:00Z",
    }
    assert buffer_row(message("not json"))["events"] == 1


def test_bodies_are_re_submitted_together_as_the_batch_function_packs_them() -> None:
    events = [{**EVENT, "n": i} for i in range(5)]
    letters = [
        parse_buffer_message(message(json.dumps({"events": events[:3]}), mid="mid-1")),
        parse_buffer_message(message(json.dumps(events[3]), mid="mid-2", count="7")),
        parse_buffer_message(message(json.dumps(events[4]), mid="mid-3")),
    ]
    plan = buffer_plan(letters, 2)
    chunks = packing.pack(
        [packing.Message(x.message_id, x.body, x.receive_count) for x in letters], 2
    ).chunks
    assert [run.input for run, _ in plan.runs] == [resubmit_text(c.text) for c in chunks]
    assert [json.loads(run.input)["resubmit"]["records"] for run, _ in plan.runs] == [
        [json.dumps(e) for e in events[0:2]],
        [json.dumps(events[2]), json.dumps(events[4])],
        [json.dumps(events[3])],  # received 7 times: a group of its own
    ]
    assert [[x.message_id for x in members] for _, members in plan.runs] == [
        ["mid-1"],
        ["mid-1", "mid-3"],
        ["mid-2"],
    ]
    assert [run.name for run, _ in plan.runs] == [
        redrive_name(chunks[0].text, "mid-1", 5),
        redrive_name(chunks[1].text, "mid-1", 5),
        redrive_name(chunks[2].text, "mid-2", 7),
    ]
    assert plan.refused == []


def test_a_body_that_cannot_travel_is_refused() -> None:
    big = json.dumps({**EVENT, "blob": "x" * 40_000})
    plan = buffer_plan([parse_buffer_message(message(big))], 500)
    assert plan.runs == []
    ((letter, reason),) = plan.refused
    assert letter.message_id == "mid-1"
    assert reason.startswith(f"{packing.EVENT_TOO_LARGE}: record 0")


class FakeSqs:
    def __init__(self) -> None:
        self.deleted: list[str] = []
        self.released: list[str] = []

    def delete_message(self, **kwargs: Any) -> None:
        self.deleted.append(f"{kwargs['QueueUrl']} {kwargs['ReceiptHandle']}")

    def change_message_visibility(self, **kwargs: Any) -> None:
        self.released.append(f"{kwargs['QueueUrl']} {kwargs['ReceiptHandle']}")


def test_a_message_is_settled_once_when_the_last_run_holding_it_ends() -> None:
    sqs = FakeSqs()
    settle = _Settlement(sqs)
    good = parse_buffer_message(message("{}", mid="good"))
    bad = parse_buffer_message(message("{}", mid="bad"))
    runs = [Run(f"r{i}", "{}") for i in range(3)]
    settle.expect("buffer-dlq", good, runs[:2])
    settle.expect("buffer-dlq", bad, runs[1:])  # r1 holds both
    settle(Outcome(runs[0], "SUCCEEDED"))
    assert (sqs.deleted, sqs.released) == ([], [])
    settle(Outcome(runs[2], "FAILED"))
    assert (sqs.deleted, sqs.released) == ([], [])
    settle(Outcome(runs[1], "SUCCEEDED"))
    assert sqs.deleted == ["buffer-dlq rh-good"]
    assert sqs.released == ["buffer-dlq rh-bad"]


def test_a_summary_counts_messages_not_runs() -> None:
    letter = parse_buffer_message(message(json.dumps({"events": [EVENT] * 3}), count="2"))
    other = parse_buffer_message(message(json.dumps(EVENT), mid="mid-2"))
    third = parse_buffer_message(message(json.dumps(EVENT), mid="mid-3"))
    runs = [Run(f"r{i}", "{}", "rh") for i in range(4)]
    letters: dict[str, Any] = {"r0": letter, "r1": letter, "r2": letter, "r3": other}
    members = {"r1": ["mid-1"], "r3": ["mid-2", "mid-3"]}
    outcomes = [
        Outcome(runs[0], "SUCCEEDED"),
        Outcome(runs[1], "FAILED", error="BatchRejected: no"),
        Outcome(runs[2], "SUCCEEDED"),
        Outcome(runs[3], "SUCCEEDED"),
    ]
    summary = RedriveSummary(3, outcomes, letters, [], members).as_dict()
    assert third.message_id == "mid-3"
    assert {k: summary[k] for k in ("messages", "redriven", "deleted", "kept", "failed")} == {
        "messages": 3,
        "redriven": 2,
        "deleted": 2,
        "kept": 1,
        "failed": 1,
    }
    assert summary["failures"] == [
        {
            "message_id": "mid-1",
            "attempts": 2,
            "execution": "r1",
            "status": "FAILED",
            "error": "BatchRejected: no",
        }
    ]
