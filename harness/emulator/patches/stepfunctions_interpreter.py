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
- Parsing: it parses a state machine's definition with its ANTLR grammar again for every execution
  (``ExecutionWorker._get_evaluation_entrypoint``), a quarter of an execution's CPU in the
  emulator. Step Functions compiles a definition when the state machine is created or updated; here
  each definition text is parsed once per emulator and its program reused by every execution
  (``parsed_once``). The program's components keep no execution's state — a retry's attempts and
  backoff live in the execution's own heap (``Environment.heap``), keyed by each component's
  ``heap_key`` — so executions may share it, also at the same time; the keys are assigned before
  the program is shared (the lazy assignment is not atomic). A definition with a Map or Parallel
  state (whose workers keep state on their components) is parsed for each execution, as before.
  Likewise every JSONPath of a state (``InputPath``, ``Parameters``' ``.$`` values, ``ResultPath``)
  was parsed with a newly built PLY parser at every use; each path text is parsed once (a parsed
  path is not changed by ``find`` or ``update_or_create``).
"""

from __future__ import annotations

import copy as copy_module
import functools
import json as json_module
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from types import ModuleType
from typing import IO, Any

import moto.stepfunctions.parser.asl.component.common.path.result_path as result_path_module
import moto.stepfunctions.parser.asl.component.state.state as state_module
import moto.stepfunctions.parser.asl.utils.encoding as encoding_module
import moto.stepfunctions.parser.asl.utils.json_path as json_path_module
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
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.state.exec.state_task import (
    state_task_lambda as lambda_module,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service as service_module,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

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


_SHARED_UNSAFE = ('"Map"', '"Parallel"')  # state types whose components hold a run's state


def _assign_heap_keys(program: EvalComponent) -> None:
    """Give every component of ``program`` its ``heap_key`` now, on this thread alone."""
    seen: set[int] = set()
    pending: list[Any] = [program]
    while pending:
        value = pending.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, EvalComponent):
            _ = value.heap_key
            pending.extend(vars(value).values())
        elif isinstance(value, list | tuple | set | frozenset):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())


@contextmanager
def parsed_once() -> Iterator[None]:
    """Each state machine definition parsed once and its program shared by its executions."""
    programs: dict[str, EvalComponent] = {}
    original = ExecutionWorker.__dict__["_get_evaluation_entrypoint"]

    def entrypoint(self: Any) -> EvalComponent:
        definition = self._evaluation_details.state_machine_details.definition
        if any(typ in definition for typ in _SHARED_UNSAFE):
            program: EvalComponent = original(self)
            return program
        cached = programs.get(definition)
        if cached is None:
            cached = original(self)
            _assign_heap_keys(cached)
            programs[definition] = cached  # a race parses twice and keeps one: both are whole
        return cached

    path_modules = [json_path_module, result_path_module]
    parsers = {module: module.parse for module in path_modules}
    ExecutionWorker._get_evaluation_entrypoint = entrypoint
    for module, parse in parsers.items():
        module.parse = functools.lru_cache(maxsize=4096)(parse)
    try:
        yield
    finally:
        ExecutionWorker._get_evaluation_entrypoint = original
        for module, parse in parsers.items():
            module.parse = parse
        programs.clear()
