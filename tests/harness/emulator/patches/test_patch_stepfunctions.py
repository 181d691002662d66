"""StartExecution refuses what AWS refuses, with AWS's codes; everything else starts."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from harness.emulator import Emulator
from harness.emulator.patches.stepfunctions import TOO_LONG, input_refusal
from tests.harness.emulated import execute, state_machine

NON_STANDARD = (
    "Invalid State Machine Execution Input: 'Non-standard token '{}': enable "
    "`JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow'"
)
EMOJI = "\U0001f600"  # 4 bytes of UTF-8, 12 bytes escaped (\ud83d\ude00)


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ('{"a": NaN}', "InvalidExecutionInput", NON_STANDARD.format("NaN")),
        ('{"a": Infinity}', "InvalidExecutionInput", NON_STANDARD.format("Infinity")),
        ("[-Infinity]", "InvalidExecutionInput", NON_STANDARD.format("-Infinity")),
        (
            '{"a": 1',
            "InvalidExecutionInput",
            "Invalid State Machine Execution Input: 'Unexpected end-of-input: "
            "expected a complete JSON value'",
        ),
        (
            "{'a': 1}",
            "InvalidExecutionInput",
            "Invalid State Machine Execution Input: 'Unexpected character (''' (code 39)): "
            "expected a valid value (JSON String, Number, Array, Object or token 'null', "
            "'true' or 'false')'",
        ),
        (
            nested(1001),
            "InvalidExecutionInput",
            "Invalid State Machine Execution Input: 'Document nesting depth (1001) exceeds the "
            "maximum allowed (1000, from `StreamReadConstraints.getMaxNestingDepth()`)'",
        ),
        ('"' + "x" * 262_143 + '"', "ValidationException", TOO_LONG),  # 262,145 bytes sent
        ('"' + EMOJI * 21_846 + '"', "ValidationException", TOO_LONG),  # 87 KB, 262,154 measured
    ],
    ids=["nan", "infinity", "minus-infinity", "truncated", "quote", "depth", "bytes", "escaped"],
)
def test_refused(text: str, code: str, message: str) -> None:
    refusal = input_refusal(text)
    assert refusal is not None
    assert (type(refusal).__name__, str(refusal.message)) == (code, message)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "{}",
        nested(1000),
        '{"n": ' + "1" * 4301 + "}",  # Python's int() refuses it; JSON does not
        '{"a": 1e400, "b": -0, "c": 0.12345678901234567890123, "d": 1e-130}',
        '"' + "x" * 262_142 + '"',  # exactly 262,144 bytes
        '"' + EMOJI * 21_845 + '"',  # 262,142 bytes as measured
        '"\\ud800"',  # a lone surrogate, escaped: valid JSON text
    ],
    ids=[
        "empty",
        "depth-1000",
        "4301-digits",
        "number-edges",
        "limit",
        "escaped-limit",
        "surrogate",
    ],
)
def test_started(text: str) -> None:
    assert input_refusal(text) is None


def test_the_api_answers_400_with_the_code_and_starts_nothing(emulator: Emulator) -> None:
    machine = state_machine(
        emulator, "refusals", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    )
    sfn = emulator.client("stepfunctions")
    for name, text, code in (
        ("nan", '{"a": NaN}', "InvalidExecutionInput"),  # moto: started
        ("big", "[" + "1," * 131_072 + "1]", "ValidationException"),  # moto: started
    ):
        with pytest.raises(ClientError) as refused:
            sfn.start_execution(stateMachineArn=machine, name=name, input=text)
        assert refused.value.response["Error"]["Code"] == code  # moto: "" (UnknownError)
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert sfn.list_executions(stateMachineArn=machine)["executions"] == []
    text = '{"n": ' + "1" * 4301 + ', "x": -0}'
    described = execute(emulator, machine, text, "digits")
    assert described["status"] == "SUCCEEDED"
    assert described["output"] == text.replace(" ", "")  # kept exactly, written compact
