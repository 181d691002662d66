"""The command line as a user meets it: help that describes the commands, one-line errors (never a
traceback), the same output choice on every command."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from ops import cli
from ops.target import Target

OUTPUTS = {
    "state_machine_arn": "arn:aws:states:us-east-1:123456789012:stateMachine:app-workflow",
    "recovery_state_machine_arn": "arn:aws:states:us-east-1:123456789012:stateMachine:app-recovery",
    "table_name": "events",
    "raw_bucket_name": "raw",
    "dlq_url": "https://sqs.us-east-1.amazonaws.com/123456789012/app-dlq",
    "region": "us-east-1",
    "max_batch_events": 10,
}
EVENT = {"user_id": "u1", "action": "click", "event_time": "2025-11-20T09:00:00Z"}


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(OUTPUTS), encoding="utf-8")
    return path


@pytest.fixture
def event_file(tmp_path: Path) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(EVENT), encoding="utf-8")
    return path


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ")
    return lines[0]


def test_top_level_help_describes_each_command_for_its_user(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in cli.COMMANDS:
        summary = " ".join(command.summary.split()[:3])
        assert any(
            line.split()[:1] == [command.name] and summary in line for line in text.splitlines()
        ), command.name
    assert "--outputs FILE" in text
    assert "--json" in text
    for developer_note in (cli.__doc__ or "", "register(", "func(", "ops/<command>.py", "issue"):
        assert developer_note.strip() not in text


@pytest.mark.parametrize("command", cli.COMMANDS, ids=lambda c: c.name)
def test_each_command_help_shows_its_description_json_and_target_options(
    command: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([command.name, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert " ".join(command.description.split()) in text
    for option in ("--json", "--outputs FILE", "--endpoint-url URL", "--region REGION"):
        assert option in text


def test_no_source_line_carries_an_issue_number() -> None:
    for path in Path(cli.__file__).parent.glob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        assert "issue " not in text, path


def test_a_missing_event_file_is_one_line_and_nothing_is_sent(
    outputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.json"
    assert cli.main(["send", str(missing), "--outputs", str(outputs)]) == 2
    assert one_error_line(capsys) == (
        f"error: {missing}: No such file or directory (nothing was sent)"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file or directory"),
        (b"not json", "is not JSON"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b"[]", "must hold a JSON object"),
        (json.dumps({"table_name": "t"}).encode(), "lacks the stack output(s) state_machine_arn"),
    ],
    ids=["missing", "not-json", "not-utf8", "not-an-object", "not-outputs"],
)
def test_an_outputs_file_that_cannot_be_used_is_one_line(
    content: bytes | None,
    message: str,
    tmp_path: Path,
    event_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "outputs.json"
    if content is not None:
        path.write_bytes(content)
    assert cli.main(["send", str(event_file), "--outputs", str(path)]) == 2
    assert message in one_error_line(capsys)


def test_an_outputs_directory_is_one_line(
    tmp_path: Path, event_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["status", "--outputs", str(tmp_path)]) == 2
    assert one_error_line(capsys).startswith(f"error: --outputs {tmp_path}: ")


@pytest.mark.parametrize(
    "argv",
    [
        ["query", "u1", "--limit", "0"],
        ["status", "--last", "-3"],
        ["send", "x.json", "--concurrency", "many"],
        ["send", "x.json", "--timeout", "0"],
        ["dlq", "--max", "1.5"],
        ["redrive", "--visibility-timeout", "0"],
    ],
)
def test_a_bad_option_value_is_a_usage_error_naming_the_option(
    argv: list[str], outputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([*argv, "--outputs", str(outputs)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith(f"python -m ops {argv[0]}: error: argument --")
    assert "Traceback" not in err


def test_a_bad_stack_output_value_is_one_line(
    tmp_path: Path, event_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(OUTPUTS | {"max_batch_events": "lots"}), encoding="utf-8")
    assert cli.main(["send", str(event_file), "--outputs", str(path)]) == 2
    assert "the stack output max_batch_events: 'lots' is not a whole number" in one_error_line(
        capsys
    )


class Refusing:
    """Every AWS call fails as ``error`` says."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            raise self.error

        return call


AWS_ERRORS = [
    ClientError({"Error": {"Code": "AccessDenied", "Message": "not you"}}, "Op"),
    NoCredentialsError(),
]


@pytest.mark.parametrize("error", AWS_ERRORS, ids=["client-error", "no-credentials"])
@pytest.mark.parametrize(
    "argv",
    [
        ["query", "u1"],
        ["status"],
        ["dlq"],
        ["replay", "--since", "2025-11-20", "--until", "2025-11-21"],
        ["redrive"],
        ["sweep", "--since", "2025-11-20", "--until", "2025-11-21"],
    ],
    ids=lambda a: a[0],
)
def test_aws_errors_are_one_line_with_exit_1(
    argv: list[str],
    error: Exception,
    outputs: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(Target, "client", lambda self, service: Refusing(error))
    assert cli.main([*argv, "--outputs", str(outputs)]) == 1
    line = one_error_line(capsys)
    assert line == (
        "error: AccessDenied: not you"
        if isinstance(error, ClientError)
        else "error: Unable to locate credentials"
    )


def test_a_failed_send_start_is_reported_not_raised(
    outputs: Path,
    event_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(Target, "client", lambda self, service: Refusing(AWS_ERRORS[0]))
    assert cli.main(["send", str(event_file), "--outputs", str(outputs)]) == 1
    assert "ERROR AccessDenied: not you" in capsys.readouterr().out


@pytest.mark.parametrize("user_id", ["", "x" * 2049])
def test_a_user_id_no_item_can_have_is_a_clear_message_not_a_validation_exception(
    user_id: str,
    outputs: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    error = ClientError({"Error": {"Code": "ValidationException", "Message": "raw"}}, "Query")
    monkeypatch.setattr(Target, "client", lambda self, service: Refusing(error))
    assert cli.main(["query", user_id, "--outputs", str(outputs)]) == 2
    line = one_error_line(capsys)
    assert line.startswith("error: USER_ID is ")
    assert "ValidationException" not in line


class Empty:
    """A stack with nothing in it yet: no executions, no items, no messages, no objects."""

    def list_executions(self, **kwargs: Any) -> dict[str, Any]:
        return {"executions": []}

    def query(self, **kwargs: Any) -> dict[str, Any]:
        return {"Items": []}

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        return {"Messages": []}

    def get_paginator(self, name: str) -> Any:
        return self

    def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
        return [{}]


@pytest.mark.parametrize(
    ("argv", "shape"),
    [
        (["query", "u1"], list),
        (["status"], list),
        (["dlq"], list),
        (["replay", "--since", "2025-11-20", "--until", "2025-11-21"], dict),
        (["redrive"], dict),
        (["sweep", "--since", "2025-11-20", "--until", "2025-11-21"], dict),
    ],
    ids=lambda a: a[0] if isinstance(a, list) else "",
)
def test_every_command_prints_text_or_json(
    argv: list[str],
    shape: type,
    outputs: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(Target, "client", lambda self, service: Empty())
    assert cli.main([*argv, "--outputs", str(outputs)]) == 0
    text = capsys.readouterr().out
    assert text.strip()
    with pytest.raises(json.JSONDecodeError, match=r"Expecting value|Extra data"):
        json.loads(text)
    assert cli.main([*argv, "--outputs", str(outputs), "--json"]) == 0
    printed = capsys.readouterr().out
    if shape is list:  # a listing: one JSON object per line, none here
        assert printed == ""
    else:
        assert isinstance(json.loads(printed), dict)


def test_the_outputs_can_come_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    read, write = os.pipe()
    os.write(write, json.dumps(OUTPUTS).encode())
    os.close(write)
    with os.fdopen(read) as stdin:
        monkeypatch.setattr("sys.stdin", stdin)
        monkeypatch.setattr(Target, "client", lambda self, service: Empty())
        assert cli.main(["status", "--outputs", "-", "--json"]) == 0
    assert capsys.readouterr().out == ""
