"""The failed-without-dead-letter filter pattern, matched against sample Step Functions log events.

The samples have the shape Step Functions writes to CloudWatch Logs (one JSON line per history
event). ``matches`` evaluates the subset of the CloudWatch Logs JSON pattern syntax the pattern
uses — ``{ }``, ``( )``, ``&&``, ``||``, ``$.a.b = "x"`` / ``!=`` — with CloudWatch's reading of a
selector that names no field: the comparison does not match.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from components.builders.log_metrics import failed_without_dead_letter_pattern

ARN = "arn:aws:states:us-east-1:123456789012:execution:activity-pipeline-dev-workflow:b-1"
TOKEN = re.compile(r'\s*(\{|\}|\(|\)|&&|\|\||!=|=|"[^"]*"|\$(?:\.[A-Za-z_][A-Za-z0-9_]*)+)')


def tokens(pattern: str) -> list[str]:
    found, index = [], 0
    while index < len(pattern.rstrip()):
        match = TOKEN.match(pattern, index)
        assert match is not None, f"unexpected text at {pattern[index:]!r}"
        found.append(match.group(1))
        index = match.end()
    return found


def matches(pattern: str, message: str) -> bool:
    event = json.loads(message)
    stream = tokens(pattern)
    assert (stream[0], stream[-1]) == ("{", "}"), "a JSON pattern is enclosed in braces"
    position = 1

    def take() -> str:
        nonlocal position
        position += 1
        return stream[position - 1]

    def either() -> bool:
        value = both()
        while stream[position] == "||":
            take()
            value = both() or value
        return value

    def both() -> bool:
        value = term()
        while stream[position] == "&&":
            take()
            value = term() and value
        return value

    def term() -> bool:
        if stream[position] == "(":
            take()
            value = either()
            assert take() == ")"
            return value
        selector, operator, literal = take(), take(), take()
        node: Any = event
        for part in selector.split(".")[1:]:
            if not isinstance(node, dict) or part not in node:
                return False  # a selector that names no field matches nothing
            node = node[part]
        equal = node == literal.strip('"')
        return equal if operator == "=" else not equal

    value = either()
    assert take() == "}"
    return value


def log_event(kind: str, details: dict[str, Any] | None = None) -> str:
    event: dict[str, Any] = {
        "id": "12",
        "type": kind,
        "details": details or {},
        "previous_event_id": "11",
        "event_timestamp": "1746093600123",
        "execution_arn": ARN,
        "redrive_count": "0",
    }
    return json.dumps(event)


PATTERN = failed_without_dead_letter_pattern()


def test_pattern_text() -> None:
    assert PATTERN == (
        '{ ($.type = "ExecutionFailed" && $.details.error != "PipelineFailed")'
        ' || $.type = "ExecutionTimedOut" || $.type = "ExecutionAborted" }'
    )


@pytest.mark.parametrize(
    ("message", "counted"),
    [
        # The dead letter was sent: the execution ends in Failed with the pipeline's error.
        (log_event("ExecutionFailed", {"error": "PipelineFailed", "cause": "sent"}), False),
        # No Catch could take these: no dead letter.
        (log_event("ExecutionFailed", {"error": "States.DataLimitExceeded", "cause": "x"}), True),
        (log_event("ExecutionFailed", {"error": "SQS.SdkClientException", "cause": "x"}), True),
        (log_event("ExecutionFailed", {"error": "States.Runtime"}), True),
        (log_event("ExecutionTimedOut", {"error": "States.Timeout"}), True),
        (log_event("ExecutionAborted"), True),
        (log_event("ExecutionAborted", {"error": "PipelineFailed", "cause": "stopped"}), True),
        # Other ERROR-level events of a run that may still end well or send its letter.
        (log_event("TaskFailed", {"error": "TransientAwsError", "resourceType": "lambda"}), False),
        (log_event("LambdaFunctionFailed", {"error": "Lambda.ServiceException"}), False),
        (log_event("FailStateEntered", {"name": "Failed"}), False),
        (log_event("ExecutionSucceeded", {"output": "{}"}), False),
    ],
)
def test_counts_exactly_the_executions_that_left_no_dead_letter(
    message: str, counted: bool
) -> None:
    assert matches(PATTERN, message) is counted


def test_the_pipeline_error_is_a_plain_name() -> None:
    assert '"Other"' in failed_without_dead_letter_pattern("Other")
    with pytest.raises(ValueError, match="plain error name"):
        failed_without_dead_letter_pattern('x" || $.type = "y')
