"""Step Functions ASL interpreter: JSON kept exactly, data limits enforced as AWS enforces them.

moto 5.2.5's interpreter (``moto.stepfunctions.parser``), corrected here:

- Numbers: it reads and writes state data with Python's ``json`` (``1e400`` becomes
  ``Infinity``, ``-0`` becomes ``0``, long decimals are rounded — in ``States.JsonToString``,
  Lambda payloads and SQS message bodies alike). Every ``json``/``to_json_str`` use of the
  interpreter's modules reads and writes through ``stepfunctions_json`` instead: numbers travel as
  they were written, in compact JSON as Step Functions' own outputs are (DescribeExecution's
  ``output`` included).
- Depth: it copies state data with the recursive ``copy.deepcopy`` (a RecursionError near 490
  levels, before any state runs), and its ResultPath (jsonpath-ng 1.16's ``update_or_create``)
  walks the whole document recursively (``_clean_list_keys``). Both copy and walk dicts and lists
  without recursion here, so any input StartExecution accepts (1,000 levels) runs.
- Data limits: it checks only a state's output and a task's result, against ``< 262144`` bytes of
  spaced JSON. Step Functions reports ``States.DataLimitExceeded`` when "the output of a connector
  is larger than payload size quota", "the output of a state is larger than payload size quota" or,
  "after Parameters processing, the input of a state is larger than the payload size quota", and
  the quota applies to "input data when scheduling a task, entering a state, or starting an
  execution" (Developer Guide, "Handling errors in Step Functions workflows", error names; "Step
  Functions service quotas"). Checked here, at most 262,144 bytes as ``stepfunctions_json.size``
  measures: every Parameters result, task result and state output (a state's input is the
  execution input, checked by StartExecution, or the previous state's output).
- Catching: its ``States.ALL`` matches every error. AWS: "The States.ALL error type can't catch the
  States.DataLimitExceeded terminal error type and runtime error types" and "DataLimitExceeded is a
  terminal error that can't be caught by the States.ALL error type" (same page) — so a Retry or
  Catch on ``States.ALL`` lets it through and the execution fails; naming
  ``States.DataLimitExceeded`` explicitly still matches. (LocalStack's AWS-recorded snapshot
  ``test_states_errors`` shows a Lambda task's over-limit *result* caught by ``States.ALL``; the
  documented, stricter rule is reproduced here.)
"""

from __future__ import annotations

import copy as copy_module
import json as json_module
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from types import ModuleType
from typing import IO, Any

import moto.stepfunctions.parser.asl.component.state.state as state_module
import moto.stepfunctions.parser.asl.utils.encoding as encoding_module
from jsonpath_ng import jsonpath
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import (
    ErrorEqualsDecl,
)
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
    StatesErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.common.parargs import Parargs
from moto.stepfunctions.parser.asl.component.state.exec.state_task import (
    state_task_lambda as lambda_module,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service as service_module,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

from harness.emulator.patches import stepfunctions_json as sfn_json

PACKAGE = "moto.stepfunctions.parser"
RESPONSES = "moto.stepfunctions.responses"
DATA_LIMIT = StatesErrorNameType.StatesStatesDataLimitExceeded
_DATA_LIMIT = StatesErrorName(typ=DATA_LIMIT)


def within_limit(value: Any) -> bool:
    return sfn_json.size(value) <= sfn_json.PAYLOAD_LIMIT


class _ExactJson:
    """Stands in for the ``json`` module inside the interpreter's modules."""

    JSONDecodeError = json_module.JSONDecodeError

    @staticmethod
    def loads(text: str | bytes, **_: Any) -> Any:
        return sfn_json.loads(text)

    @staticmethod
    def load(stream: IO[Any], **_: Any) -> Any:
        return sfn_json.loads(stream.read())

    @staticmethod
    def dumps(value: Any, **options: Any) -> str:
        separators = options.pop("separators", None) or (",", ":")
        return sfn_json.dumps(value, separators=separators, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(json_module, name)


def _deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    return sfn_json.copy_value(value, lambda item: copy_module.deepcopy(item, memo))


class _IterativeCopy:
    """Stands in for the ``copy`` module inside the interpreter's modules."""

    deepcopy = staticmethod(_deepcopy)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy_module, name)


def _to_json_str(value: Any, separators: tuple[str, str] | None = None) -> str:
    return sfn_json.dumps(value, separators=separators or (",", ":"))


def _limit_exceeded(env: Any, cause: str) -> FailureEventException:
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=DATA_LIMIT),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(
                taskFailedEventDetails=TaskFailedEventDetails(
                    error=DATA_LIMIT.to_name(), cause=cause
                )
            ),
        )
    )


def _state_name(env: Any) -> str:
    return str(env.states.context_object.context_object_data.get("State", {}).get("Name", ""))


def _checked_parameters(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def eval_body(self: Any, env: Any) -> None:
        original(self, env)
        if not within_limit(env.stack[-1]):
            raise _limit_exceeded(
                env,
                f"The state/task '{_state_name(env)}' has an input, after Parameters, with a "
                "size exceeding the maximum number of bytes service limit.",
            )

    return eval_body


def _uncatchable_data_limit(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def eval_body(self: Any, env: Any) -> None:
        error_name = env.stack[-1]
        if error_name == _DATA_LIMIT and _DATA_LIMIT not in self.error_names:
            env.stack.pop()
            env.stack.append(False)
            return
        original(self, env)

    return eval_body


def _clean_list_keys(struct: Any) -> Any:
    """jsonpath-ng's ``_clean_list_keys`` without recursion: ``{LIST_KEY: [...]}`` -> ``[...]``."""

    def unwrapped(value: Any) -> Any:
        while isinstance(value, dict) and jsonpath.LIST_KEY in value:
            value = value[jsonpath.LIST_KEY]
        return value

    root = unwrapped(struct)
    pending = [root] if isinstance(root, dict | list) else []
    while pending:
        item = pending.pop()
        keys: Iterable[Any] = item.keys() if isinstance(item, dict) else range(len(item))
        for key in list(keys):
            value = unwrapped(item[key])
            item[key] = value
            if isinstance(value, dict | list):
                pending.append(value)
    return root


def _interpreter_modules() -> list[ModuleType]:
    """The interpreter's modules, and the API response module that writes execution outputs."""
    return [
        module
        for name, module in list(sys.modules.items())
        if module is not None and (name.startswith(PACKAGE) or name == RESPONSES)
    ]


@contextmanager
def _replaced(modules: list[ModuleType], attribute: str, old: Any, new: Any) -> Iterator[None]:
    changed = [m for m in modules if getattr(m, attribute, None) is old]
    for module in changed:
        setattr(module, attribute, new)
    try:
        yield
    finally:
        for module in changed:
            setattr(module, attribute, old)


@contextmanager
def _method(owner: type, name: str, wrap: Callable[[Any], Any]) -> Iterator[None]:
    original = owner.__dict__[name]
    setattr(owner, name, wrap(original))
    try:
        yield
    finally:
        setattr(owner, name, original)


@contextmanager
def exact_json_and_data_limits() -> Iterator[None]:
    modules = _interpreter_modules()
    quota_modules = [state_module, lambda_module, service_module]
    with ExitStack() as stack:
        stack.enter_context(_replaced(modules, "json", json_module, _ExactJson()))
        stack.enter_context(_replaced(modules, "copy", copy_module, _IterativeCopy()))
        stack.enter_context(
            _replaced(modules, "to_json_str", encoding_module.to_json_str, _to_json_str)
        )
        quota = state_module.is_within_size_quota
        stack.enter_context(_replaced(quota_modules, "is_within_size_quota", quota, within_limit))
        stack.enter_context(
            _replaced([jsonpath], "_clean_list_keys", jsonpath._clean_list_keys, _clean_list_keys)
        )
        stack.enter_context(_method(Parargs, "_eval_body", _checked_parameters))
        stack.enter_context(_method(ErrorEqualsDecl, "_eval_body", _uncatchable_data_limit))
        yield
