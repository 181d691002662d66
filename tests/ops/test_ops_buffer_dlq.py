"""The entry buffer's DLQ in ops: listed by `ops dlq`, re-submitted by `ops redrive` as the Batch
function packs a body (one run per input), deleted only once every run of a body succeeded."""

from __future__ import annotations

import json
from typing import Any

from handlers import packing
from ops.deadletters import parse_buffer_message, resubmit_text
from ops.dlq import buffer_row
from ops.executions import Outcome, Run
from ops.names import redrive_name
from ops.redrive import RedriveSummary, _Settlement, buffer_runs

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


def test_a_body_is_re_submitted_as_the_batch_function_packs_it() -> None:
    bodies = [{**EVENT, "n": i} for i in range(5)]
    letter = parse_buffer_message(message(json.dumps({"events": bodies})))
    runs = buffer_runs(letter, 2)
    assert isinstance(runs, list)
    chunks = letter.plan(2).chunks
    assert [run.input for run in runs] == [resubmit_text(c.text) for c in chunks]
    assert [json.loads(run.input)["resubmit"]["records"] for run in runs] == [
        [json.dumps(b) for b in bodies[0:2]],
        [json.dumps(b) for b in bodies[2:4]],
        [json.dumps(bodies[4])],
    ]
    assert [run.name for run in runs] == [redrive_name(c.text, "mid-1", 5) for c in chunks]
    assert len({run.name for run in runs}) == 3
    assert {run.tag for run in runs} == {"rh-mid-1"}


def test_a_body_that_cannot_travel_is_refused() -> None:
    big = json.dumps({**EVENT, "blob": "x" * 40_000})
    reason = buffer_runs(parse_buffer_message(message(big)), 500)
    assert isinstance(reason, str)
    assert reason.startswith(f"{packing.EVENT_TOO_LARGE}: record 0")


class FakeSqs:
    def __init__(self) -> None:
        self.deleted: list[str] = []
        self.released: list[str] = []

    def delete_message(self, **kwargs: Any) -> None:
        self.deleted.append(f"{kwargs['QueueUrl']} {kwargs['ReceiptHandle']}")

    def change_message_visibility(self, **kwargs: Any) -> None:
        self.released.append(f"{kwargs['QueueUrl']} {kwargs['ReceiptHandle']}")


def test_a_message_is_settled_once_when_its_last_run_ends() -> None:
    sqs = FakeSqs()
    settle = _Settlement(sqs)
    good = [Run(f"g{i}", "{}", "rh-good") for i in range(3)]
    bad = [Run(f"b{i}", "{}", "rh-bad") for i in range(2)]
    settle.expect("buffer-dlq", "good", good)
    settle.expect("buffer-dlq", "bad", bad)
    settle(Outcome(bad[0], "FAILED"))
    for run in good[:2]:
        settle(Outcome(run, "SUCCEEDED"))
    assert (sqs.deleted, sqs.released) == ([], [])
    settle(Outcome(good[2], "SUCCEEDED"))
    settle(Outcome(bad[1], "SUCCEEDED"))
    assert sqs.deleted == ["buffer-dlq rh-good"]
    assert sqs.released == ["buffer-dlq rh-bad"]


def test_a_summary_counts_messages_not_runs() -> None:
    letter = parse_buffer_message(message(json.dumps({"events": [EVENT] * 3}), count="2"))
    other = parse_buffer_message(message(json.dumps(EVENT), mid="mid-2"))
    runs = [Run(f"r{i}", "{}", "rh") for i in range(4)]
    letters: dict[str, Any] = {"r0": letter, "r1": letter, "r2": letter, "r3": other}
    outcomes = [
        Outcome(runs[0], "SUCCEEDED"),
        Outcome(runs[1], "FAILED", error="BatchRejected: no"),
        Outcome(runs[2], "SUCCEEDED"),
        Outcome(runs[3], "SUCCEEDED"),
    ]
    summary = RedriveSummary(2, outcomes, letters).as_dict()
    assert {k: summary[k] for k in ("messages", "redriven", "deleted", "kept", "failed")} == {
        "messages": 2,
        "redriven": 1,
        "deleted": 1,
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
