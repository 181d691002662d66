"""Lambda Invoke runs the function in-process: its result, its errors as Lambda answers them."""

from __future__ import annotations

import json

from harness.emulator import Emulator
from tests.harness.emulated import function


def test_invoke_runs_the_handler_and_answers_errors_as_lambda(emulator: Emulator) -> None:
    client = emulator.client("lambda")
    echo = function(emulator, "echo", "echo")
    ran = client.invoke(FunctionName=echo, Payload=b'{"n": [1, 2]}')
    assert "FunctionError" not in ran
    assert json.loads(ran["Payload"].read()) == {"n": [1, 2]}
    unreadable = client.invoke(FunctionName=echo, Payload=b"[1, 2")  # never reaches the handler
    assert unreadable["FunctionError"] == "Unhandled"
    assert json.loads(unreadable["Payload"].read())["errorType"] == "Runtime.UnmarshalError"
    oversized = function(emulator, "oversized", "oversized")
    assert "FunctionError" not in client.invoke(FunctionName=oversized, Payload=b"{}")
    assert [i.function_name for i in emulator.runtime.invocations] == ["echo", "echo", "oversized"]
