"""One time parser for every command: the forms the README promises, the same for query, replay
and sweep, and one clear refusal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ops import cli
from ops.times import TimeError, parse_time

FORMS = [
    ("2025-11-20", datetime(2025, 11, 20, tzinfo=UTC)),
    ("2025-11-20T09", datetime(2025, 11, 20, 9, tzinfo=UTC)),
    ("2025-11-20T09:30", datetime(2025, 11, 20, 9, 30, tzinfo=UTC)),
    ("2025-11-20T09:30:05Z", datetime(2025, 11, 20, 9, 30, 5, tzinfo=UTC)),
    ("2025-11-20T09:30:05.250Z", datetime(2025, 11, 20, 9, 30, 5, 250_000, tzinfo=UTC)),
    ("2025-11-20T10:30:05+01:00", datetime(2025, 11, 20, 9, 30, 5, tzinfo=UTC)),
    ("1763629200", datetime(2025, 11, 20, 9, tzinfo=UTC)),
    ("1763629200000", datetime(2025, 11, 20, 9, tzinfo=UTC)),
    ("1763629200.5", datetime(2025, 11, 20, 9, 0, 0, 500_000, tzinfo=UTC)),
]
REFUSED = [
    "yesterday",
    "2025-11-20T09:30:05",  # seconds without an offset: which zone is unknowable
    "2025-13-01",
    "2025-11-20T24",
    "２０２５-11-20",  # noqa: RUF001 - digits that are not ASCII
    "",
]


@pytest.mark.parametrize(("text", "expected"), FORMS)
def test_every_documented_form_is_a_time(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", REFUSED)
def test_other_texts_are_refused_naming_the_forms(text: str) -> None:
    with pytest.raises(TimeError, match=r"is not a time.*YYYY-MM-DD\[THH\[:MM\]\]"):
        parse_time(text)


COMMANDS_WITH_TIMES = [
    ["query", "u1", "--since", "{t}", "--until", "{t}"],
    ["replay", "--since", "{t}", "--until", "{t}"],
    ["sweep", "--since", "{t}", "--until", "{t}"],
]


@pytest.mark.parametrize("argv", COMMANDS_WITH_TIMES, ids=lambda a: a[0])
@pytest.mark.parametrize(("text", "expected"), FORMS)
def test_every_command_taking_a_time_takes_every_form(
    argv: list[str], text: str, expected: datetime
) -> None:
    args = cli.build_parser().parse_args(
        [a.replace("{t}", text) for a in argv] + ["--outputs", "-"]
    )
    assert (args.since, args.until) == (expected, expected)


@pytest.mark.parametrize("argv", COMMANDS_WITH_TIMES, ids=lambda a: a[0])
def test_every_command_refuses_a_bad_time_in_one_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([a.replace("{t}", "soon") for a in argv] + ["--outputs", "-"]) == 2
    err = capsys.readouterr().err
    assert "argument --since: 'soon' is not a time" in err
    assert "Traceback" not in err


class StubTable:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def query(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"Items": []}


def test_query_since_a_date_is_the_start_of_that_day_utc(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "state_machine_arn": "arn:aws:states:us-east-1:123456789012:stateMachine:sm",
                "table_name": "events",
                "raw_bucket_name": "b",
                "dlq_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                "region": "us-east-1",
            }
        )
    )
    table = StubTable()
    monkeypatch.setattr("ops.target.Target.client", lambda self, service: table)
    assert cli.main(["query", "u1", "--since", "2025-11-20", "--outputs", str(outputs)]) == 0
    [call] = table.calls
    assert call["ExpressionAttributeValues"][":low"] == {"S": "2025-11-20T00:00:00.000Z"}
