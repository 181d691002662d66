"""Payload sizes as Step Functions counts them, and the margins of execution_input_problem.

The payloads are built here the way the state machine builds them (States.JsonToString is
`json.dumps(<input>, separators=(",", ":"))` in the emulator: compact, ASCII-escaped) with every
variable part at its bound, and measured with sfn_size: whatever the margins accept fits.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.errors import MAX_MESSAGE, BatchRejected
from handlers.limits import (
    DLQ_OVERHEAD,
    INGEST_OVERHEAD,
    MAX_EXECUTION_ID,
    MAX_INPUT_DEPTH,
    MAX_INPUT_SIZE,
    PAYLOAD_LIMIT,
    PROCESS_OUTPUT_LIMIT,
    dlq_parameters_size,
    execution_input_problem,
    ingest_payload_size,
    input_size,
    sfn_size,
)
from tests.examples import examples

FUNCTION_ARN = "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:" + "f" * 140
EXECUTION_ID = "x" * MAX_EXECUTION_ID  # the longest execution ARN's escaped bytes


def ingest_parameters(compact_input: str) -> dict[str, Any]:
    return {
        "FunctionName": FUNCTION_ARN,
        "Payload": {"input": compact_input, "execution_id": EXECUTION_ID},
    }


def dlq_parameters(execution_input: Any) -> dict[str, Any]:
    """SendToDLQ's parameters with every part at its bound: a 256-character Error and a
    32,768-character Cause made only of characters that escape to 2 bytes."""
    return {
        "QueueUrl": "https://sqs.us-gov-west-1.amazonaws.com/123456789012/" + "q" * 200,
        "MessageBody": {
            "execution_id": EXECUTION_ID,
            "state_machine": "arn:aws:states:us-east-1:123456789012:stateMachine:" + "m" * 200,
            "input": execution_input,
            "error": {"Error": '"' * 256, "Cause": "\\" * 32_768},
            "failed_state": "S" * 80,
        },
    }


def test_sizes_count_non_ascii_escaped() -> None:
    assert sfn_size("😀") == 14  # "\ud83d\ude00" in quotes
    assert sfn_size("é") == 8
    assert sfn_size({"a": [1, 2.5, None]}) == len('{"a":[1,2.5,null]}')
    assert input_size('{"e": "😀"}') == len('{"e":"\\ud83d\\ude00"}')
    assert input_size('{   "a"   :   1   }') == 19  # as sent, when larger than compact


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=15,
)


@settings(max_examples=examples(100), deadline=None)
@given(json_values, st.sampled_from([None, 2]), st.booleans())
def test_ingest_payload_size_is_the_parameters_the_state_machine_builds(
    value: Any, indent: int | None, ascii_only: bool
) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    compact = json.dumps(value, separators=(",", ":"))  # States.JsonToString($)
    built = sfn_size(ingest_parameters(compact))
    assert ingest_payload_size(text) == INGEST_OVERHEAD + sfn_size(compact)
    if not isinstance(value, str):  # a str is read as the input's text
        assert ingest_payload_size(value) == ingest_payload_size(text)
    assert built <= ingest_payload_size(text)
    assert dlq_parameters_size(text) == DLQ_OVERHEAD + sfn_size(value)


def test_numbers_are_counted_as_written() -> None:
    text = '{"n": [1e400, -0, 0.12345678901234567890123, ' + "7" * 4301 + "]}"
    compact = '{"n":[1e400,-0,0.12345678901234567890123,' + "7" * 4301 + "]}"
    assert input_size(text) == len(text)  # as sent: the spaces
    assert dlq_parameters_size(text) == DLQ_OVERHEAD + len(compact)
    assert ingest_payload_size(text) == INGEST_OVERHEAD + sfn_size(compact)
    assert execution_input_problem(text) is None


def padded(size: int) -> str:
    """A one-event input of exactly `size` bytes (compact, ASCII, one quote pair per field)."""
    base = '{"user_id":"u","action":"a","event_time":0,"page":""}'
    return base[:-2] + "p" * (size - len(base)) + '"}'


def test_the_largest_accepted_input_fits_ingest_and_its_dead_letter() -> None:
    text = padded(MAX_INPUT_SIZE)
    assert input_size(text) == MAX_INPUT_SIZE
    assert execution_input_problem(text) is None
    value = json.loads(text)
    assert sfn_size(dlq_parameters(value)) <= PAYLOAD_LIMIT
    assert sfn_size(ingest_parameters(json.dumps(value, separators=(",", ":")))) <= PAYLOAD_LIMIT
    problem = execution_input_problem(padded(MAX_INPUT_SIZE + 1))
    assert problem is not None
    assert (problem.code, problem.status) == ("too_large", 413)
    assert f"at most {MAX_INPUT_SIZE}" in problem.message


def test_emoji_count_twelve_bytes() -> None:
    text = json.dumps({"user_id": "u", "page": "😀" * 20_000}, ensure_ascii=False)
    assert len(text.encode()) < 100_000 < MAX_INPUT_SIZE
    problem = execution_input_problem(text)
    assert problem is not None
    assert problem.code == "too_large"
    assert "an emoji counts 12 bytes" in problem.message


def test_quote_heavy_input_is_refused_for_ingest_escaping_it_again() -> None:
    text = json.dumps({"events": [{"a": "", "b": "", "c": ""}] * 8_000}, separators=(",", ":"))
    assert input_size(text) < MAX_INPUT_SIZE
    assert ingest_payload_size(text) > PAYLOAD_LIMIT
    problem = execution_input_problem(text)
    assert problem is not None
    assert problem.code == "too_large"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{", "not_json"),
        ("", "not_json"),
        ('{"a": NaN}', "non_standard_json"),
        ('{"events": [Infinity]}', "non_standard_json"),
        ("[" * (MAX_INPUT_DEPTH + 1) + "]" * (MAX_INPUT_DEPTH + 1), "too_deep"),
        ('{"properties":' * 100_000 + "{}" + "}" * 100_000, "too_deep"),
        ('{"user_id": "u", "user_id": "v"}', "duplicate_key"),
        ('{"events": [{"a": 1, "a": 2}]}', "duplicate_key"),
    ],
)
def test_unsafe_inputs_are_refused_with_400(text: str, code: str) -> None:
    problem = execution_input_problem(text)
    assert problem is not None
    assert (problem.code, problem.status) == (code, 400)
    assert problem.message.startswith("execution input refused: ")
    for internal in ("Traceback", "Recursion", "set_int_max_str_digits", "JSONDecodeError"):
        assert internal not in problem.message


@pytest.mark.parametrize(
    "text",
    [
        '{"user_id": "u", "action": "a", "event_time": 0}',
        "[" * MAX_INPUT_DEPTH + "]" * MAX_INPUT_DEPTH,
        '{"records": ["not json", "{\\"a\\": NaN}", "[[[["]}',
        '"just a string"',
    ],
)
def test_safe_inputs_are_accepted(text: str) -> None:
    assert execution_input_problem(text) is None


def test_process_output_limit_leaves_room_for_the_invoke_response_and_write() -> None:
    output = {"items": ["i" * (PROCESS_OUTPUT_LIMIT - 20)]}
    assert sfn_size(output) <= PROCESS_OUTPUT_LIMIT
    invoke_response = {
        "ExecutedVersion": "$LATEST",
        "Payload": output,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {
                "X-Amz-Executed-Version": ["$LATEST"],
                "x-amzn-Remapped-Content-Length": ["0"],
                "Connection": ["keep-alive"],
                "x-amzn-RequestId": ["52fdfc07-2182-154f-163f-5f0f9a621d72"],
                "Content-Length": ["262144"],
                "Date": ["Wed, 01 May 2024 12:00:00 GMT"],
                "X-Amzn-Trace-Id": ["root=1-6632303f-0123456789abcdef01234567;sampled=1"],
                "Content-Type": ["application/json"],
            },
            "HttpHeaders": {
                "Connection": "keep-alive",
                "Content-Length": "262144",
                "Content-Type": "application/json",
                "Date": "Wed, 01 May 2024 12:00:00 GMT",
                "X-Amz-Executed-Version": "$LATEST",
                "x-amzn-Remapped-Content-Length": "0",
                "x-amzn-RequestId": "52fdfc07-2182-154f-163f-5f0f9a621d72",
                "X-Amzn-Trace-Id": "root=1-6632303f-0123456789abcdef01234567;sampled=1",
            },
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": "52fdfc07-2182-154f-163f-5f0f9a621d72"},
        "StatusCode": 200,
    }
    assert sfn_size(invoke_response) <= PAYLOAD_LIMIT
    write_parameters = {
        "FunctionName": FUNCTION_ARN,
        "Payload": {**output, "execution_id": EXECUTION_ID},
    }
    assert sfn_size(write_parameters) <= PAYLOAD_LIMIT


def test_our_error_messages_are_ascii_and_bounded() -> None:
    message = str(BatchRejected("key 'é😀' " + "x" * 5_000))
    assert message.isascii()
    assert message.startswith("key '\\xe9\\U0001f600' ")
    assert len(message) == MAX_MESSAGE
