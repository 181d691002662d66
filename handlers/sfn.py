"""Step Functions adapter: start one execution of the pipeline, retried like the other adapters.

Throttling, 5xx and `ExecutionLimitExceeded` (too many open executions) are retried with backoff
after boto3's own retries; a name that is taken (`ExecutionAlreadyExists`: a Standard execution's
name is unique for 90 days) means the execution was started before, which is what was asked.
Anything else (AccessDenied, InvalidExecutionInput, StateMachineDoesNotExist ...) is a
PermanentAwsError; attempts that run out, a TransientAwsError.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import client, error_code, map_aws_error
from handlers.errors import TransientAwsError
from handlers.table import backoff

MAX_ATTEMPTS = 6
ALREADY_EXISTS = "ExecutionAlreadyExists"
# StartExecution's "The maximum number of running executions has been reached" (Step Functions API
# reference, StartExecution errors): it clears as executions end.
RETRIED_CODES = frozenset({"ExecutionLimitExceeded"})

Started = Literal["started", "already_started"]


def start_execution(
    state_machine_arn: str,
    input_text: str,
    name: str | None,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> Started:
    """Start an execution of `state_machine_arn` with `input_text` (named `name` when given)."""
    operation = f"states:StartExecution {name or state_machine_arn}"
    named = {} if name is None else {"name": name}
    for attempt in range(max_attempts):
        try:
            client("stepfunctions").start_execution(
                stateMachineArn=state_machine_arn, input=input_text, **named
            )
        except ClientError as exc:
            code = error_code(exc)
            if code == ALREADY_EXISTS and name is not None:
                return "already_started"
            mapped = map_aws_error(exc, operation)
            if code in RETRIED_CODES:
                mapped = TransientAwsError(str(mapped))
            if isinstance(mapped, TransientAwsError) and attempt + 1 < max_attempts:
                sleep(backoff(attempt))
                continue
            raise mapped from exc
        except BotoCoreError as exc:  # boto3 retried connection errors already
            raise map_aws_error(exc, operation) from exc
        return "started"
    raise AssertionError("unreachable: the last attempt returns or raises")
