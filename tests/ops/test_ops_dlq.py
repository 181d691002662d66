"""ops dlq: one row per message of the DLQ and of the entry DLQ, nothing redriven or deleted."""

from __future__ import annotations

import json
from typing import Any

from ops.dlq import dead_letter_row, entry_row

ARN = "arn:aws:states:us-east-1:123456789012:execution:app-workflow:b-0123"


def message(body: str, count: str = "3", **attributes: str) -> dict[str, Any]:
    return {
        "MessageId": "mid-1",
        "ReceiptHandle": "rh",
        "Body": body,
        "Attributes": {"ApproximateReceiveCount": count, "SentTimestamp": "1735689600000"},
        "MessageAttributes": {
            k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()
        },
    }


def test_a_dead_letter_row_names_execution_state_error_events_attempts_and_time() -> None:
    body = {
        "execution_id": ARN,
        "state_machine": "arn:sm",
        "input": {"events": [{"user_id": "u", "n": 1e400}, {}]},
        "error": {"Error": "BatchRejected", "Cause": "..."},
        "failed_state": "Ingest",
    }
    text = json.dumps(body).replace("Infinity", "1e400")
    assert dead_letter_row(message(text)) == {
        "queue": "dlq",
        "message_id": "mid-1",
        "execution": "b-0123",
        "failed_state": "Ingest",
        "error": "BatchRejected",
        "events": 2,
        "attempts": 3,
        "sent": "2025-01-01T00:00:00Z",
    }


def test_an_unreadable_dead_letter_is_listed_with_why() -> None:
    row = dead_letter_row(message("not json", count="1"))
    assert row["error"].startswith("message mid-1: body is not a JSON object")
    assert (row["execution"], row["events"], row["attempts"]) == (None, None, 1)


def test_an_entry_dlq_row_carries_eventbridge_error_code() -> None:
    event = {"source": "activity.web", "detail": {"events": [{}, {}, {}]}}
    row = entry_row(message(json.dumps(event), ERROR_CODE="AccessDeniedException"))
    assert row == {
        "queue": "entry_dlq",
        "message_id": "mid-1",
        "execution": None,
        "failed_state": "delivery",
        "error": "AccessDeniedException",
        "events": 3,
        "attempts": 3,
        "sent": "2025-01-01T00:00:00Z",
    }
    assert entry_row(message(json.dumps({"detail": {"user_id": "u"}})))["events"] == 1
    assert entry_row(message("garbage"))["events"] is None
