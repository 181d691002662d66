"""Step Functions API: StartExecution refuses, with AWS's codes, the inputs AWS refuses.

moto 5.2.5's parser backend
- starts any input of any size (AWS: "Length constraints apply to the payload size, and are
  expressed as bytes in UTF-8 encoding", maximum 262144 — Step Functions API reference,
  StartExecution, ``input``; the quota "256 KiB of data as a UTF-8 encoded string" — Developer
  Guide, "Step Functions service quotas");
- reads the input with Python's ``json``, so ``NaN``/``Infinity`` start an execution, a 4,301-digit
  integer is refused with Python's "Exceeds the limit (4300 digits) for integer string conversion"
  text, and an input nested ~490 levels crashes the interpreter (RecursionError) before any state;
- raises its own ``InvalidExecutionInput`` for text that is not JSON, which its response layer
  serialises with no error code (``x-amzn-errortype: UnknownError``); every input it would refuse is
  refused here first, with moto's classic (coded) exceptions.

Here, in AWS's order (request validation, then parsing):
- over 262,144 bytes of UTF-8 as sent, or over 262,144 bytes as Step Functions measures state
  data (``stepfunctions_json.size``): 400 ``ValidationException`` "1 validation error detected:
  Value at 'input' failed to satisfy constraint: Member must have length less than or equal to
  262144" (the constraint's message; the sensitive value is not echoed);
- nested deeper than 1,000 (Jackson's default, see ``stepfunctions_json.MAX_DEPTH``), not JSON, or
  a non-standard token: 400 ``InvalidExecutionInput`` "Invalid State Machine Execution Input:
  '<parser message>'", in the shape AWS answers (its messages are Jackson's: "Non-standard token
  'NaN': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow", "Unexpected character ...").
Any other input starts, its numbers kept exactly (``stepfunctions_interpreter``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.stepfunctions import exceptions as classic
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from harness.emulator.patches import stepfunctions_json as sfn_json

TOO_LONG = (
    "1 validation error detected: Value at 'input' failed to satisfy constraint: "
    f"Member must have length less than or equal to {sfn_json.PAYLOAD_LIMIT}"
)


def _invalid(detail: str) -> Exception:
    error: Exception = classic.InvalidExecutionInput(
        f"Invalid State Machine Execution Input: '{detail}'"
    )
    return error


def _too_long() -> Exception:
    error: Exception = classic.ValidationException(TOO_LONG)
    return error


def _syntax_message(text: str, error: json.JSONDecodeError) -> str:
    if error.pos >= len(text.rstrip()):
        return "Unexpected end-of-input: expected a complete JSON value"
    char = text[error.pos]
    return (
        f"Unexpected character ('{char}' (code {ord(char)})): expected a valid value "
        "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
    )


def input_refusal(text: str | None) -> Exception | None:
    """The error StartExecution answers for ``text``, or None when the execution may start."""
    if text is None:
        return None
    if len(text.encode("utf-8", "surrogatepass")) > sfn_json.PAYLOAD_LIMIT:
        return _too_long()
    nesting = sfn_json.depth(text)
    if nesting > sfn_json.MAX_DEPTH:
        return _invalid(
            f"Document nesting depth ({sfn_json.MAX_DEPTH + 1}) exceeds the maximum allowed "
            f"({sfn_json.MAX_DEPTH}, from `StreamReadConstraints.getMaxNestingDepth()`)"
        )
    try:
        value = sfn_json.loads(text)
    except sfn_json.NonStandardToken as token:
        return _invalid(
            f"Non-standard token '{token.token}': enable "
            "`JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow"
        )
    except json.JSONDecodeError as error:
        return _invalid(_syntax_message(text, error))
    if sfn_json.size(value) > sfn_json.PAYLOAD_LIMIT:
        return _too_long()
    return None


@contextmanager
def start_execution_input() -> Iterator[None]:
    original: Callable[..., Any] = StepFunctionsParserBackend.start_execution

    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: str | None = None,
        execution_input: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        refusal = input_refusal(execution_input)
        if refusal is not None:
            raise refusal
        return original(self, state_machine_arn, name, execution_input, *args, **kwargs)

    StepFunctionsParserBackend.start_execution = start_execution
    try:
        yield
    finally:
        StepFunctionsParserBackend.start_execution = original
