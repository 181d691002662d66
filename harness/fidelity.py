"""Where moto answers differently from AWS in a way the pipeline's clients can see.

moto 5.2.5's Step Functions (ASL interpreter backend) refuses input that is not JSON with its
own ``InvalidExecutionInput`` model exception, which its response layer serialises without an
error code (``x-amzn-errortype: UnknownError``, ``Code: ''``). AWS answers 400
``InvalidExecutionInput``; so does moto's classic backend exception, raised here instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.stepfunctions import exceptions as classic
from moto.stepfunctions.parser.api import InvalidExecutionInput as ParserInvalidInput
from moto.stepfunctions.parser.models import StepFunctionsParserBackend


@contextmanager
def invalid_execution_input() -> Iterator[None]:
    original: Callable[..., Any] = StepFunctionsParserBackend.start_execution

    def start_execution(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        except ParserInvalidInput as exc:
            raise classic.InvalidExecutionInput(
                f"Invalid State Machine Execution Input: '{exc}'"
            ) from exc

    StepFunctionsParserBackend.start_execution = start_execution
    try:
        yield
    finally:
        StepFunctionsParserBackend.start_execution = original
