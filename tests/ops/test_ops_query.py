"""`ops query`: normalized bounds, the key condition, and pagination newest first (stub client)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ops import cli
from ops.query import key_condition, normalize_bound, timeline
from ops.target import Target

OUTPUTS = {
    "state_machine_arn": "arn:aws:states:us-east-1:123456789012:stateMachine:sm",
    "table_name": "events",
    "raw_bucket_name": "b",
    "dlq_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
    "region": "us-east-1",
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-11-20T10:15:00+02:00", "2025-11-20T08:15:00.000Z"),
        ("2025-11-20T08:15:00.1234Z", "2025-11-20T08:15:00.123Z"),
        ("1763629200000", "2025-11-20T09:00:00.000Z"),
        ("1763629200", "2025-11-20T09:00:00.000Z"),
    ],
)
def test_bounds_are_normalized_like_event_time(value: str, expected: str) -> None:
    assert normalize_bound(value) == expected


@pytest.mark.parametrize("value", ["2025-11-20T10:15:00", "yesterday", "true"])
def test_bounds_that_are_not_times_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="is not a time"):
        normalize_bound(value)


def test_key_condition_covers_whole_milliseconds_at_both_ends() -> None:
    condition, names, values = key_condition("u1", "2025-11-20T09:00:00Z", "2025-11-20T10:00:00Z")
    assert condition == "#pk = :u AND #sk BETWEEN :low AND :high"
    assert names == {"#pk": "user_id", "#sk": "event_time"}
    low, high = values[":low"]["S"], values[":high"]["S"]
    assert low <= "2025-11-20T09:00:00.000Z#any-id"
    assert "2025-11-20T10:00:00.000Z#zzzz" <= high < "2025-11-20T10:00:00.001Z"
    assert key_condition("u1", None, None)[:2] == ("#pk = :u", {"#pk": "user_id"})
    assert key_condition("u1", "1763629200", None)[0] == "#pk = :u AND #sk >= :low"
    assert key_condition("u1", None, "1763629200")[0] == "#pk = :u AND #sk <= :high"
    with pytest.raises(ValueError, match="--since is after --until"):
        key_condition("u1", "2025-11-21T00:00:00Z", "2025-11-20T00:00:00Z")


class StubTable:
    """Items newest first, served in pages of 2 with LastEvaluatedKey."""

    def __init__(self, count: int) -> None:
        self.items = [
            {
                "user_id": {"S": "u1"},
                "event_time": {"S": f"2025-11-20T09:00:{59 - i:02d}.000Z#e{i}"},
                "occurred_at": {"S": f"2025-11-20T09:00:{59 - i:02d}.000Z"},
                "action": {"S": "click"},
                "event_id": {"S": f"e{i}"},
                "late": {"BOOL": False},
                "properties": {"M": {"qty": {"N": "2"}}},
            }
            for i in range(count)
        ]
        self.calls: list[dict[str, Any]] = []

    def query(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        assert kwargs["ScanIndexForward"] is False
        for name in kwargs["ExpressionAttributeNames"]:  # DynamoDB refuses unused names
            assert name in kwargs["KeyConditionExpression"], name
        start = int(kwargs.get("ExclusiveStartKey", {}).get("i", 0))
        end = start + min(2, kwargs["Limit"])
        page: dict[str, Any] = {"Items": self.items[start:end]}
        if end < len(self.items):
            page["LastEvaluatedKey"] = {"i": end}
        return page


def test_timeline_follows_pages_until_the_limit() -> None:
    table = StubTable(5)
    items = timeline(table, "events", "u1", None, None, limit=3)
    assert [i["event_id"] for i in items] == ["e0", "e1", "e2"]
    assert [c.get("ExclusiveStartKey") for c in table.calls] == [None, {"i": 2}]
    everything = timeline(StubTable(5), "events", "u1", None, None, limit=50)
    assert [i["event_id"] for i in everything] == [f"e{i}" for i in range(5)]


def test_cli_prints_a_table_or_json_lines(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(OUTPUTS))
    monkeypatch.setattr(Target, "client", lambda self, service: StubTable(3))
    assert cli.main(["query", "u1", "--outputs", str(outputs), "--limit", "2"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["occurred_at", "action", "event_id", "page", "session_id", "late"]
    assert table[2].split() == ["2025-11-20T09:00:59.000Z", "click", "e0", "False"]
    assert len(table) == 4
    assert cli.main(["query", "u1", "--outputs", str(outputs), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["event_id"] for line in lines] == ["e0", "e1", "e2"]
    assert lines[0]["properties"] == {"qty": 2}
    assert cli.main(["query", "u1", "--outputs", str(outputs), "--since", "soon"]) == 2
    assert "is not a time" in capsys.readouterr().err
