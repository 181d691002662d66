"""The interpreter calls services with the state machine's own role; plain variables are read."""

from __future__ import annotations

import json
from typing import Any

from harness.emulator import Emulator
from tests.harness.emulated import execute, function, state_machine

TRUST_STATES = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "states.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def invoke(function_arn: str) -> dict[str, Any]:
    return {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }


def test_the_state_machines_role_decides_what_it_may_call(emulator: Emulator) -> None:
    arn = function(emulator, "echo", "echo")
    allowed = state_machine(emulator, "allowed", invoke(arn))
    iam = emulator.client("iam")
    role = iam.create_role(RoleName="no-lambda", AssumeRolePolicyDocument=json.dumps(TRUST_STATES))
    refused = emulator.client("stepfunctions").create_state_machine(
        name="refused", definition=json.dumps(invoke(arn)), roleArn=role["Role"]["Arn"]
    )["stateMachineArn"]
    ran = execute(emulator, allowed, '{"a": 1}', "ok")
    assert (ran["status"], json.loads(ran["output"])) == ("SUCCEEDED", {"a": 1})
    failed = execute(emulator, refused, '{"a": 1}', "denied")  # moto: every call refused ("ak")
    assert failed["status"] == "FAILED"
    assert "AccessDenied" in failed["error"] + failed.get("cause", "")


def test_a_plain_variable_is_read_from_the_variable_store(emulator: Emulator) -> None:
    definition = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"who": {"name": "ada"}}, "Next": "Use"},
            "Use": {"Type": "Pass", "Parameters": {"name.$": "$who.name"}, "End": True},
        },
    }
    machine = state_machine(emulator, "variables", definition)
    done = execute(emulator, machine, "{}", "v")  # moto: fails, no JSONata engine
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"name": "ada"})
