"""The ASL interpreter parses a definition once and shares its program; each run keeps its own
retry counts; JSONPaths are parsed once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import moto.stepfunctions.parser.asl.utils.json_path as json_path_module
import pytest
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

from harness.emulator import Emulator
from ops.executions import history
from tests.harness.emulated import execute, function, state_machine

MAX_ATTEMPTS = 2


def retried(failing: str) -> dict[str, Any]:
    """A task that always fails, retried MAX_ATTEMPTS times, then caught."""
    return {
        "StartAt": "Shape",
        "States": {
            "Shape": {"Type": "Pass", "Parameters": {"value.$": "$.value"}, "Next": "Call"},
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": failing, "Payload.$": "$"},
                "Retry": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "IntervalSeconds": 1,
                        "MaxAttempts": MAX_ATTEMPTS,
                        "BackoffRate": 1,
                    }
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}],
                "End": True,
            },
            "Done": {"Type": "Pass", "End": True},
        },
    }


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every definition the interpreter parses from now on."""
    seen: list[str] = []
    parse = AmazonStateLanguageParser.parse

    def counted(definition: str) -> Any:
        seen.append(definition)
        return parse(definition)

    monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(counted))
    return seen


def scheduled(emulator: Emulator, arn: str) -> int:
    events = history(emulator.client("stepfunctions"), arn)
    return sum(1 for event in events if event["type"] == "TaskScheduled")


def test_a_definition_is_parsed_once_for_every_execution(
    emulator: Emulator, parses: list[str]
) -> None:
    failing = function(emulator, "fails", "always_fails")
    machine = state_machine(emulator, "shared", retried(failing))
    parses.clear()  # CreateStateMachine's own validation
    for n in range(3):
        assert execute(emulator, machine, json.dumps({"value": n}), f"run-{n}")["status"] == (
            "SUCCEEDED"
        )
    assert len(parses) == 1  # moto parsed it again for each of the three
    assert json_path_module.parse.cache_info().hits > 0  # type: ignore[attr-defined]


def test_executions_sharing_a_program_count_their_own_retries(emulator: Emulator) -> None:
    failing = function(emulator, "fails", "always_fails")
    machine = state_machine(emulator, "retries", retried(failing))
    sfn = emulator.client("stepfunctions")
    first = execute(emulator, machine, '{"value": 0}', "alone")
    assert scheduled(emulator, first["executionArn"]) == 1 + MAX_ATTEMPTS

    def run(n: int) -> dict[str, Any]:
        return execute(emulator, machine, json.dumps({"value": n}), f"together-{n}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        described = list(pool.map(run, range(4)))
    for description in described:
        assert description["status"] == "SUCCEEDED"
        assert json.loads(description["output"])["error"]["Error"] == "RuntimeError"
        assert scheduled(emulator, description["executionArn"]) == 1 + MAX_ATTEMPTS
    assert sfn.describe_state_machine(stateMachineArn=machine)["status"] == "ACTIVE"


def test_a_definition_with_a_map_state_is_parsed_for_each_execution(
    emulator: Emulator, parses: list[str]
) -> None:
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "StartAt": "Echo",
                    "States": {"Echo": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
    }
    machine = state_machine(emulator, "mapped", definition)
    parses.clear()
    for n in range(2):
        described = execute(emulator, machine, json.dumps({"items": [n, n + 1]}), f"map-{n}")
        assert json.loads(described["output"]) == [n, n + 1]
    assert len(parses) == 2
