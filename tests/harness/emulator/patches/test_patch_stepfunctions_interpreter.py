"""The ASL interpreter keeps numbers exactly, runs deep inputs and enforces the data limits."""

from __future__ import annotations

import json
from typing import Any

from harness.emulator import Emulator
from tests.harness.emulated import execute, function, messages, queue, state_machine

NUMBERS = '{"a":1e400,"b":-0,"c":0.12345678901234567890123,"d":1e-130,"e":' + "9" * 4301 + "}"
CATCH_ALL = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$", "Next": "Caught"}]
CAUGHT = {"Type": "Pass", "End": True}


def test_numbers_travel_exactly(emulator: Emulator) -> None:
    url, _ = queue(emulator, "exact")
    echo = function(emulator, "echo", "echo")
    bodies: list[bytes] = []
    invoke = emulator.runtime.invoke

    def record(fn: Any, body: Any, headers: Any) -> bytes:
        bodies.append(body)
        return invoke(fn, body, headers)

    emulator.runtime.invoke = record  # type: ignore[method-assign]
    machine = state_machine(
        emulator,
        "exact",
        {
            "StartAt": "Text",
            "States": {
                "Text": {
                    "Type": "Pass",
                    "Parameters": {"text.$": "States.JsonToString($)", "value.$": "$"},
                    "Next": "Invoke",
                },
                "Invoke": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": echo, "Payload": {"text.$": "$.text"}},
                    "ResultPath": "$.echoed",
                    "Next": "Send",
                },
                "Send": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage",
                    "Parameters": {"QueueUrl": url, "MessageBody.$": "$.value"},
                    "ResultPath": None,
                    "End": True,
                },
            },
        },
    )
    described = execute(emulator, machine, NUMBERS, "exact")
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = json.loads(described["output"], parse_float=str, parse_int=str)
    assert output["text"] == NUMBERS  # moto: {"a": Infinity, "b": 0, "c": 0.12345678901234568 ...
    assert json.loads(bodies[0])["text"] == NUMBERS  # the Lambda payload as sent
    assert messages(emulator, url) == [NUMBERS]  # the SQS message body
    assert described["output"].startswith('{"text":' + json.dumps(NUMBERS) + ',"value":' + NUMBERS)


def test_a_payload_python_cannot_read_is_an_unmarshal_error(emulator: Emulator) -> None:
    echo = function(emulator, "echo-digits", "echo")
    machine = state_machine(
        emulator,
        "digits",
        {
            "StartAt": "Invoke",
            "States": {
                "Invoke": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": echo, "Payload.$": "$"},
                    "Catch": CATCH_ALL,
                    "Next": "Caught",
                },
                "Caught": CAUGHT,
            },
        },
    )
    described = execute(emulator, machine, NUMBERS, "digits")
    assert described["status"] == "SUCCEEDED"
    error = json.loads(described["output"])
    assert error["Error"] == "Runtime.UnmarshalError"
    cause = json.loads(error["Cause"])
    assert cause["errorType"] == "Runtime.UnmarshalError"
    assert cause["errorMessage"].startswith(
        "Unable to unmarshal input: Exceeds the limit (4300 digits) for integer string conversion"
    )
    [invocation] = emulator.runtime.invocations
    assert invocation.error_type == "Runtime.UnmarshalError"  # the handler never ran


def test_inputs_nested_1000_levels_run(emulator: Emulator) -> None:
    url, _ = queue(emulator, "deep")
    machine = state_machine(
        emulator,
        "deep",
        {
            "StartAt": "Text",
            "States": {
                "Text": {
                    "Type": "Pass",
                    "Parameters": {"text.$": "States.JsonToString($)"},
                    "ResultPath": "$.copy",
                    "Next": "Send",
                },
                "Send": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage",
                    "Parameters": {"QueueUrl": url, "MessageBody.$": "$$.Execution.Input"},
                    "End": True,
                },
            },
        },
    )
    deep = '{"d":' + "[" * 999 + "]" * 999 + "}"  # 1,000 levels: the deepest StartExecution takes
    described = execute(emulator, machine, deep, "deep")
    assert described["status"] == "SUCCEEDED", described.get("cause")  # moto: RecursionError
    assert messages(emulator, url) == [deep]


def limited(emulator: Emulator, name: str, task: dict[str, Any], catch: list[str]) -> str:
    return state_machine(
        emulator,
        name,
        {
            "StartAt": "Task",
            "States": {
                "Task": {
                    **task,
                    "Retry": [{"ErrorEquals": catch, "MaxAttempts": 2, "IntervalSeconds": 1}],
                    "Catch": [{"ErrorEquals": catch, "ResultPath": "$", "Next": "Caught"}],
                    "Next": "Done",
                },
                "Caught": CAUGHT,
                "Done": {"Type": "Pass", "End": True},
            },
        },
    )


def uncaught_error(described: dict[str, Any]) -> tuple[str, str]:
    return (described["status"], str(described.get("error")))


def test_over_the_limit_fails_the_execution_past_states_all(emulator: Emulator) -> None:
    url, _ = queue(emulator, "limits")
    big = function(emulator, "big", "oversized")
    half = json.dumps({"x": "x" * 131_100})  # twice that is over 262,144 bytes
    cases = {
        # after Parameters processing, the state's input is over the limit (moto: not checked)
        "parameters": (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": url, "MessageBody": {"a.$": "$.x", "b.$": "$.x"}},
            },
            half,
        ),
        # the connector's output (the task result) is over the limit
        "result": (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": big, "Payload": {}},
            },
            "{}",
        ),
        # the state's output is over the limit (Parameters and result each fit)
        "output": (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": url, "MessageBody.$": "$.x"},
                "ResultPath": "$.sent",
                "ResultSelector": {"copy.$": "$.MessageId", "body.$": "$$.Execution.Input"},
            },
            half,
        ),
    }
    for name, (task, text) in cases.items():
        all_machine = limited(emulator, f"{name}-all", task, ["States.ALL"])
        uncaught = execute(emulator, all_machine, text, name)
        assert uncaught["status"] == "FAILED", name  # moto: caught, or not checked at all
        assert uncaught.get("error") == "States.DataLimitExceeded", name
        named_machine = limited(emulator, f"{name}-named", task, ["States.DataLimitExceeded"])
        named = execute(emulator, named_machine, text, name)
        if name == "output":  # formed after Retry and Catch: nothing catches it
            assert (named["status"], named.get("error")) == uncaught_error(uncaught), name
        else:  # named explicitly, a task's error is caught
            assert named["status"] == "SUCCEEDED", name
            assert json.loads(named["output"])["Error"] == "States.DataLimitExceeded", name
    # only the output case sent (its MessageBody fits); an over-limit Parameters never reaches SQS
    assert messages(emulator, url) == ["x" * 131_100] * 2


def test_sizes_are_measured_compact_with_ascii_escapes_up_to_262144(emulator: Emulator) -> None:
    machine = state_machine(
        emulator,
        "escapes",
        {
            "StartAt": "Twice",
            "States": {
                "Twice": {"Type": "Pass", "Parameters": {"a.$": "$", "bb.$": "$"}, "End": True}
            },
        },
    )
    emoji = "\U0001f600" * 10_922  # 43,688 bytes of UTF-8, 131,064 bytes escaped
    at_limit = execute(emulator, machine, f'"{emoji}"', "at-limit")  # output: 262,144 bytes
    assert at_limit["status"] == "SUCCEEDED"  # moto: refused (spaced JSON, and `<` the limit)
    assert len(at_limit["output"].encode()) == 262_144  # written as it is measured
    over = execute(emulator, machine, f'"{emoji}x"', "over")  # output: 262,146 bytes
    assert (over["status"], over.get("error")) == ("FAILED", "States.DataLimitExceeded")
