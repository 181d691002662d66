"""ops replay: hour partitions of a range, raw-key listing, execution names, CLI wiring."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from ops import cli
from ops.cli import build_parser
from ops.executions import Outcome, failure_message
from ops.names import execution_arn
from ops.replay import ReplaySummary, hour_prefixes, list_raw_keys, replay_runs
from ops.times import parse_time


def test_parse_time_accepts_rfc3339_and_dates_naive_is_utc() -> None:
    assert parse_time("2025-03-10") == datetime(2025, 3, 10, tzinfo=UTC)
    assert parse_time("2025-03-10T07") == datetime(2025, 3, 10, 7, tzinfo=UTC)
    assert parse_time("2025-03-10T07:30:00+02:00") == datetime(2025, 3, 10, 5, 30, tzinfo=UTC)
    assert parse_time("2025-03-10T07:30:00Z") == datetime(2025, 3, 10, 7, 30, tzinfo=UTC)
    with pytest.raises(argparse.ArgumentTypeError, match="not a time"):
        parse_time("yesterday")


def test_hour_prefixes_cover_since_hour_up_to_until_exclusive() -> None:
    prefixes = hour_prefixes(
        datetime(2025, 3, 10, 22, 30, tzinfo=UTC), datetime(2025, 3, 11, 1, tzinfo=UTC)
    )
    assert prefixes == [
        "ingest/yyyy=2025/mm=03/dd=10/hh=22/",
        "ingest/yyyy=2025/mm=03/dd=10/hh=23/",
        "ingest/yyyy=2025/mm=03/dd=11/hh=00/",
    ]
    day = hour_prefixes(datetime(2025, 3, 10, tzinfo=UTC), datetime(2025, 3, 11, tzinfo=UTC))
    assert len(day) == 24


def test_hour_prefixes_refuse_empty_and_huge_ranges() -> None:
    at = datetime(2025, 3, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="must be after"):
        hour_prefixes(at, at)
    with pytest.raises(ValueError, match="more than"):
        hour_prefixes(at, datetime(2027, 3, 10, tzinfo=UTC))


class Pages:
    def __init__(self, pages: dict[str, list[list[str]]]) -> None:
        self.pages = pages
        self.calls: list[dict[str, Any]] = []

    def get_paginator(self, name: str) -> Pages:
        assert name == "list_objects_v2"
        return self

    def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
        self.calls.append(kwargs)
        return [
            {"Contents": [{"Key": k} for k in page]} if page else {}
            for page in self.pages.get(kwargs["Prefix"], [[]])
        ]


def test_list_raw_keys_reads_every_page_of_every_prefix() -> None:
    s3 = Pages(
        {
            "ingest/a/": [["ingest/a/1.json", "ingest/a/2.json"], ["ingest/a/3.json"]],
            "ingest/b/": [["ingest/b/x.json", "ingest/b/folder/"]],
        }
    )
    keys = list_raw_keys(s3, "bucket", ["ingest/a/", "ingest/b/", "ingest/c/"])
    assert keys == ["ingest/a/1.json", "ingest/a/2.json", "ingest/a/3.json", "ingest/b/x.json"]
    assert [c["Bucket"] for c in s3.calls] == ["bucket"] * 3


def test_replay_runs_are_replay_requests_named_per_run() -> None:
    key = "ingest/yyyy=2025/mm=03/dd=10/hh=07/" + "a" * 32 + ".json"
    [run] = replay_runs([key], "1234abcd")
    assert run.name == f"r-{'a' * 32}-1234abcd"
    assert len(run.name) <= 80
    assert json.loads(run.input) == {"replay": {"raw_key": key}}
    assert run.tag == key


def test_summary_counts_items_and_failures() -> None:
    [a, b] = replay_runs(["ingest/x/a.json", "ingest/x/b.json"], "r1")
    summary = ReplaySummary(
        2,
        [
            Outcome(a, "SUCCEEDED", {"written": 2, "already_present": 3, "rejected": [{}]}),
            Outcome(b, "FAILED", {}, "PipelineFailed: boom"),
        ],
    ).as_dict()
    assert summary["items_written"] == 2
    assert summary["already_present"] == 3
    assert summary["rejected"] == 1
    assert summary["failed"] == 1
    assert summary["failures"][0]["raw_key"] == "ingest/x/b.json"


def test_execution_arn_of_a_name() -> None:
    sm = "arn:aws:states:us-east-1:123456789012:stateMachine:wf"
    assert execution_arn(sm, "r-1") == "arn:aws:states:us-east-1:123456789012:execution:wf:r-1"


def test_cli_registers_replay_and_redrive_with_target_options() -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["replay", "--since", "2025-03-10", "--until", "2025-03-11", "--outputs", "o.json"]
    )
    assert (args.since, args.concurrency, args.outputs) == (
        datetime(2025, 3, 10, tzinfo=UTC),
        4,
        "o.json",
    )
    args = parser.parse_args(["redrive", "--max", "7", "--outputs", "-"])
    assert (args.max, args.visibility_timeout) == (7, 900)
    args = parser.parse_args(
        [
            "sweep",
            "--since",
            "2025-03-10T07",
            "--until",
            "2025-03-10T08",
            "--json",
            "--outputs",
            "-",
        ]
    )
    assert (args.since, args.until, args.json, args.concurrency) == (
        datetime(2025, 3, 10, 7, tzinfo=UTC),
        datetime(2025, 3, 10, 8, tzinfo=UTC),
        True,
        4,
    )
    args = parser.parse_args(["dlq", "--outputs", "-"])
    assert (args.max, args.json) == (1000, False)


@pytest.mark.parametrize(
    "argv",
    [
        ["replay", "--since", "2025-03-10", "--until", "2025-03-11"],
        ["redrive"],
        ["sweep", "--since", "2025-03-10", "--until", "2025-03-11"],
    ],
)
def test_recovery_commands_need_the_recovery_state_machine(
    argv: list[str], tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "state_machine_arn": "arn:aws:states:us-east-1:123456789012:stateMachine:wf",
                "table_name": "t",
                "raw_bucket_name": "b",
                "dlq_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                "region": "us-east-1",
            }
        ),
        encoding="utf-8",
    )
    assert cli.main([*argv, "--outputs", str(outputs)]) == 2
    assert "recovery_state_machine_arn" in capsys.readouterr().err


def test_a_lambda_failure_is_reported_by_its_message_without_the_stack() -> None:
    cause = json.dumps({"errorType": "BatchRejected", "errorMessage": "no", "stackTrace": ["x"]})
    assert failure_message(cause) == "no"
    assert failure_message("plain words") == "plain words"
    assert failure_message(None) == "None"
