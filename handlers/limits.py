"""Step Functions payload limits, and the margins that keep every accepted input inside them (pure).

Step Functions refuses an execution input, a state's input or output, a Parameters result or a task
result over 262,144 bytes "of data as a UTF-8 encoded string" (Step Functions developer guide,
Service quotas, "Quotas related to task executions":
https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). Inside an execution it
counts the JSON as it serializes it, characters outside ASCII escaped as `\\uXXXX`: an emoji (a
surrogate pair) is 12 bytes, `sfn_size` below. Met inside an execution, the limit is
`States.DataLimitExceeded`, which `States.ALL` does not catch: the execution fails and no dead
letter is sent. So an input is accepted only when every payload the pipeline builds from it fits:

- Ingest's task parameters `{"FunctionName", "Payload": {"input": States.JsonToString($),
  "execution_id": $$.Execution.Id}}`: the input's JSON text escaped once more as a string
  (`ingest_payload_size`);
- SendToDLQ's parameters `{"QueueUrl", "MessageBody": {"execution_id", "state_machine", "input",
  "error": {"Error", "Cause"}, "failed_state"}}`, where a task error's `Error` has up to 256 and its
  `Cause` up to 32,768 characters (API reference, TaskFailedEventDetails:
  https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskFailedEventDetails.html);
- Process's result, which Step Functions holds inside the Lambda invoke response ("the function
  output is nested inside a dictionary of metadata": ExecutedVersion, SdkHttpMetadata with the HTTP
  headers twice, SdkResponseMetadata, StatusCode; developer guide, "Invoke Lambda with Step
  Functions": https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html) before
  OutputPath keeps `Payload`, and Write's parameters, which add `execution_id` and FunctionName
  (`PROCESS_OUTPUT_LIMIT`).

`execution_input_problem` is the one check the entries we ship (the HTTP route, PutEvents delivery,
`ops send`) and Ingest itself apply to an execution input as received.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from handlers.jsontext import JsonTextError, Reading, read

PAYLOAD_LIMIT: Final = 262_144
# One event's canonical JSON: larger events are refused by Ingest and rejected event_too_large.
MAX_EVENT_BYTES: Final = 32 * 1024
# Nesting an execution input may have. An event may nest 16 levels (deeper is schema_violation),
# the envelope adds 2; moto's interpreter and Python's recursion fail from about 490 levels.
MAX_INPUT_DEPTH: Final = 64

# Upper bounds, in bytes as Step Functions counts them, of what the pipeline adds to an input:
# an execution ARN: `arn:<partition>:states:<region>:<account>:express:` (<= 48), our state
# machine's name (<= 80, ASCII), `:` + the execution name (80 characters, 12 bytes each when they
# are outside the BMP) + `:<uuid>` (Express, 37): 1,126, rounded up.
MAX_EXECUTION_ID: Final = 1_280
# `{"FunctionName":"<function ARN or name>","Payload":...}` around a Lambda task's payload.
TASK_PARAMETERS_OVERHEAD: Final = 512
# A task error `{"Error":"<256>","Cause":"<32,768>"}`: characters of ASCII text, each at most 2
# bytes once escaped (`"` and `\\` are; causes are JSON text with quotes, and our own messages are
# ASCII: handlers.errors).
ERROR_BOUND: Final = 2 * (256 + 32_768) + len('{"Error":"","Cause":""}')
# SendToDLQ's parameters without the input: QueueUrl (<= 256), execution_id, state_machine (our
# ARN, <= 256), error, failed_state (a state name, <= 80), keys and punctuation (<= 128).
DLQ_OVERHEAD: Final = 256 + MAX_EXECUTION_ID + 256 + ERROR_BOUND + 80 + 128
# Ingest's parameters without the input's text: the task wrapper, `{"input":,"execution_id":""}`
# and the execution id.
INGEST_OVERHEAD: Final = (
    TASK_PARAMETERS_OVERHEAD + len('{"input":,"execution_id":""}') + MAX_EXECUTION_ID
)
# The largest input (compact, escaped) whose dead letter still fits.
MAX_INPUT_SIZE: Final = PAYLOAD_LIMIT - DLQ_OVERHEAD
# The Lambda invoke response around a function's result: about 1 KB in AWS's examples.
INVOKE_RESULT_OVERHEAD: Final = 4_096
# Process's output, as the Lambda runtime serializes it (never smaller than Step Functions' count):
# room for the invoke response around it, and for Write's parameters (execution_id, FunctionName).
PROCESS_OUTPUT_LIMIT: Final = PAYLOAD_LIMIT - INVOKE_RESULT_OVERHEAD - MAX_EXECUTION_ID

TOO_LARGE: Final = "too_large"
DUPLICATE_KEY: Final = "duplicate_key"


@dataclass(frozen=True)
class InputProblem:
    """Why an execution input is refused: a machine-readable `code` (`not_json`,
    `non_standard_json`, `too_deep`, `duplicate_key`, `too_large`), an HTTP status (400, or 413 for
    size) and a message for the client."""

    code: str
    status: int
    message: str


def sfn_size(value: Any) -> int:
    """Bytes of a JSON value as Step Functions counts them: compact JSON, non-ASCII escaped
    (`"😀"` is 14 bytes)."""
    return len(json.dumps(value, ensure_ascii=True, separators=(",", ":")))


def _compact(reading: Reading) -> int:
    """sfn_size of a value read exactly: its numbers are `Number` strings, quoted by json.dumps."""
    return sfn_size(reading.value) - 2 * reading.numbers


def _ingest_text(reading: Reading) -> int:
    """Bytes of States.JsonToString(<input>) as a JSON string: the compact, escaped text (numbers as
    written), escaped again. Each of a number's two quotes json.dumps added is 2 bytes there."""
    compact = json.dumps(reading.value, ensure_ascii=True, separators=(",", ":"))
    return len(json.dumps(compact)) - 4 * reading.numbers


def _reading(input_text_or_value: Any) -> Reading:
    if isinstance(input_text_or_value, str):
        return read(input_text_or_value, max_depth=MAX_INPUT_DEPTH)
    return Reading(input_text_or_value, 0, None)


def input_size(text: str) -> int:
    """Bytes of an execution input (JSON text) as Step Functions counts them: the larger of the text
    as sent (StartExecution's own check) and the input as the execution holds it (compact, escaped).
    JsonTextError when it is not JSON."""
    return max(len(text.encode("utf-8", "surrogatepass")), _compact(_reading(text)))


def ingest_payload_size(input_text_or_value: Any) -> int:
    """Bytes of Ingest's task parameters for an execution input, given as its JSON text (a `str`)
    or as a parsed value. Counted as if States.JsonToString escaped every non-ASCII character,
    the larger of its possible forms once escaped again."""
    return INGEST_OVERHEAD + _ingest_text(_reading(input_text_or_value))


def dlq_parameters_size(input_text_or_value: Any) -> int:
    """Bytes of SendToDLQ's parameters for an execution input, with the largest possible error."""
    return DLQ_OVERHEAD + _compact(_reading(input_text_or_value))


def execution_input_problem(text: str) -> InputProblem | None:
    """Why the pipeline cannot safely accept this execution input (its JSON text as received), or
    None. Refused: text that is not JSON, the non-standard tokens NaN/Infinity, nesting deeper than
    MAX_INPUT_DEPTH, an object that repeats a key (Step Functions would keep one value silently),
    and any input whose Ingest parameters or dead letter could exceed PAYLOAD_LIMIT."""
    try:
        reading = read(text, max_depth=MAX_INPUT_DEPTH)
    except JsonTextError as exc:
        return InputProblem(exc.code, 400, f"execution input refused: {exc.message}")
    if reading.duplicate_key is not None:
        key = ascii(reading.duplicate_key)
        key = key if len(key) <= 64 else key[:61] + "..."
        return InputProblem(
            DUPLICATE_KEY,
            400,
            f"execution input refused: an object repeats the key {key}; "
            "which value is meant cannot be known",
        )
    sent = len(text.encode("utf-8", "surrogatepass"))
    held = max(sent, _compact(reading))
    ingest = INGEST_OVERHEAD + _ingest_text(reading)
    if held > MAX_INPUT_SIZE or ingest > PAYLOAD_LIMIT:
        return InputProblem(
            TOO_LARGE,
            413,
            f"execution input refused: {held} bytes as Step Functions counts them (UTF-8, "
            "characters outside ASCII escaped: an emoji counts 12 bytes), "
            f"{ingest} bytes once escaped again for Ingest; at most {MAX_INPUT_SIZE} and "
            f"{PAYLOAD_LIMIT} are accepted, so that Ingest's payload and a dead letter of the "
            "input stay within Step Functions' 262,144-byte limit; send smaller batches",
        )
    return None
