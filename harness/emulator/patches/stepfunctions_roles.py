"""Step Functions interpreter: service calls made with the state machine's role; plain variables.

moto 5.2.5 builds the interpreter's service clients in ``boto_client_for`` with the fake keys
``"ak"``/``"sk"``, which IAM enforcement refuses. AWS (Step Functions Developer Guide, "How Step
Functions works with IAM"): a state machine calls the services its tasks integrate with using the
credentials of its execution role. Here the interpreter calls with credentials of the executing
state machine's own role (STS assume-role as ``states.amazonaws.com``), so that role's policy is
what allows ``lambda:InvokeFunction`` and ``sqs:SendMessage``.

The role is carried in a thread-local set when an execution's worker thread starts; the interpreter
runs each task (and Map/Parallel branch) in a thread of its own, so the interpreter modules'
``Thread`` is swapped for one that inherits the role of the thread that created it.

moto has no JSONata engine, yet it evaluates every variable reference with JSONata, so a JSONPath
state's ``"key.$": "$name"`` fails. AWS (Developer Guide, "Passing data between states with
variables"): a variable set by ``Assign`` is referenced with its name after a dollar sign
(``$productName``), in JSONPath states too. A plain ``$name`` or ``$name.field`` is sampled from
the variable store here; anything richer still needs JSONata and fails as before.

Not a correction: Retry waits can be scaled down (``retry_time_scale``) so tests of Retry stay
fast; 1.0 is real time.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import moto.stepfunctions.parser.asl.component.common.retry.retrier_decl as retrier_decl
import moto.stepfunctions.parser.asl.component.program.program
import moto.stepfunctions.parser.asl.component.state.exec.execute_state
import moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker
import moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils
import moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs  # noqa: F401
import moto.stepfunctions.parser.asl.utils.boto_client as boto_client_module
from moto.stepfunctions.parser.asl.component.common.string.string_expression import (
    StringVariableSample,
)
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

ClientFactory = Callable[[str, str, str], Any]  # (role_arn, service, region) -> client

_current = threading.local()
_PLAIN_VARIABLE = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_]+)*)$")


def _sample_plain_variable(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def eval_body(self: Any, env: Any) -> None:
        match = _PLAIN_VARIABLE.match(self.expression.strip())
        if match is None:
            original(self, env)
            return
        value = env.variable_store.get(match.group(1))
        for part in filter(None, match.group(2).split(".")):
            value = value[part]
        env.stack.append(value)

    return eval_body


class _InheritingThread(threading.Thread):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._harness_role_arn = getattr(_current, "role_arn", None)

    def run(self) -> None:
        _current.role_arn = self._harness_role_arn
        super().run()


class _ThreadingProxy:
    """Stands in for the ``threading`` module inside the interpreter modules."""

    Thread = _InheritingThread

    def __getattr__(self, name: str) -> Any:
        return getattr(threading, name)


def current_role_arn() -> str:
    role_arn = getattr(_current, "role_arn", None)
    if not isinstance(role_arn, str):
        raise RuntimeError(
            "harness: a state-machine service call ran outside an execution thread; "
            "the executing state machine's role is unknown"
        )
    return role_arn


@contextmanager
def interpreter_credentials(
    client_for_role: ClientFactory, retry_time_scale: float = 1.0
) -> Iterator[None]:
    original_boto_client_for = boto_client_module.boto_client_for
    original_logic = ExecutionWorker._execution_logic
    original_time = retrier_decl.time

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        return client_for_role(current_role_arn(), service, region)

    def execution_logic(self: Any) -> Any:
        _current.role_arn = self._evaluation_details.aws_execution_details.role_arn
        try:
            return original_logic(self)
        finally:
            _current.role_arn = None

    patched_modules = [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser")
        and getattr(module, "boto_client_for", None) is original_boto_client_for
    ]
    threaded_modules = [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser")
        and getattr(module, "Thread", None) is threading.Thread
    ]
    for module in patched_modules:
        module.boto_client_for = boto_client_for  # type: ignore[attr-defined]
    threading_modules = [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser")
        and getattr(module, "threading", None) is threading
    ]
    for module in threaded_modules:
        module.Thread = _InheritingThread  # type: ignore[attr-defined]
    for module in threading_modules:
        module.threading = _ThreadingProxy()  # type: ignore[attr-defined]
    ExecutionWorker._execution_logic = execution_logic
    original_variable_sample = StringVariableSample._eval_body
    StringVariableSample._eval_body = _sample_plain_variable(original_variable_sample)
    retrier_decl.time = SimpleNamespace(
        sleep=lambda seconds: time.sleep(seconds * retry_time_scale)
    )
    try:
        yield
    finally:
        retrier_decl.time = original_time
        StringVariableSample._eval_body = original_variable_sample
        for module in threaded_modules:
            module.Thread = threading.Thread  # type: ignore[attr-defined]
        for module in threading_modules:
            module.threading = threading  # type: ignore[attr-defined]
        ExecutionWorker._execution_logic = original_logic
        for module in patched_modules:
            module.boto_client_for = original_boto_client_for  # type: ignore[attr-defined]
