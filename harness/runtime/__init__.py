"""The in-process Lambda runtime: moto's Invoke runs here (``harness.emulator.patches.lambda_``).

An invocation imports the module named by the function's ``Handler`` from the repository, gives its
package the state the function's own sandbox would have (``harness.runtime.sandbox``) and calls it
with the function's environment, the credentials of the function's own role (STS assume-role as
``lambda.amazonaws.com``), a Lambda context and the configured timeout. Errors come back as Lambda
does: ``FunctionError: Unhandled`` and ``{"errorType", "errorMessage", "requestId", "stackTrace"}``.
The event is read with ``json.loads``, as AWS's Python runtime reads it: a payload it cannot read
never reaches the handler and answers ``Runtime.UnmarshalError``.
Output printed or logged during the call (``harness.runtime.streams``) goes to the function's log
group, written with the role's own credentials — so a role without its logs permissions loses its
logs (recorded here; AWS would drop them).
``os.environ`` is process-global: invocations are serialized with a lock.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from harness.runtime import sandbox, streams

if TYPE_CHECKING:
    from harness.emulator.credentials import Credentials
    from harness.emulator.faults import FaultInjector


class Host(Protocol):
    """What the in-process Lambda runtime needs from the emulator."""

    region: str
    account_id: str

    def assume_role(self, role_arn: str, principal_service: str) -> Credentials: ...

    def client(self, service: str, credentials: Credentials | None = None) -> Any: ...


@dataclass
class LambdaContext:
    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float = field(repr=False)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass
class Invocation:
    function_name: str
    request_id: str
    payload: Any
    error_type: str | None
    log_lines: list[str]
    duration_s: float


def unmarshal_error(exc: ValueError) -> tuple[dict[str, Any], str, list[str]]:
    """What AWS's Python runtime answers for a payload ``json.loads`` cannot read.

    The runtime parses the event with ``json.loads`` before calling the handler; a failure is
    ``{"errorMessage": "Unable to unmarshal input: <json's message>", "errorType":
    "Runtime.UnmarshalError", "stackTrace": []}`` (as reported by the aws-lambda-runtime-interface-
    emulator and by Lambda, e.g. for an integer over Python's 4,300-digit conversion limit).
    """
    payload = {
        "errorMessage": f"Unable to unmarshal input: {exc}",
        "errorType": "Runtime.UnmarshalError",
        "stackTrace": [],
    }
    return payload, "Runtime.UnmarshalError", [json.dumps(payload)]


class LambdaRuntime:
    def __init__(self, host: Host, repo_root: Path) -> None:
        self.host = host
        self.repo_root = repo_root
        self.log_groups: dict[str, str] = {}  # function name -> LoggingConfig log group
        self.invocations: list[Invocation] = []
        self.log_delivery_errors: list[str] = []
        self.faults: FaultInjector | None = None
        self._lock = threading.Lock()
        self.sandboxes = sandbox.Sandboxes()  # one per function: its role's clients, kept warm

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Handler modules importable from the repository, the functions' output routed."""
        if str(self.repo_root) not in sys.path:
            sys.path.insert(0, str(self.repo_root))
        with streams.routed():
            yield

    def log_group_for(self, function_name: str) -> str:
        return self.log_groups.get(function_name, f"/aws/lambda/{function_name}")

    def invoke(self, fn: Any, body: Any, response_headers: dict[str, Any]) -> bytes:
        fault = self.faults.decide("lambda", "Invoke") if self.faults is not None else None
        if self.faults is not None and fault in ("throttle", "server_error"):
            raise self.faults.lambda_error(fault)  # the Invoke API refuses: nothing runs
        request_id = str(uuid.uuid4())
        credentials = self.host.assume_role(fn.role, "lambda.amazonaws.com")
        stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        timeout = float(fn.timeout)
        context = LambdaContext(
            function_name=fn.function_name,
            function_version="$LATEST",
            invoked_function_arn=fn.function_arn,
            memory_limit_in_mb=int(fn.memory_size),
            aws_request_id=request_id,
            log_group_name=self.log_group_for(fn.function_name),
            log_stream_name=stream,
            deadline=time.monotonic() + timeout,
        )
        env = {
            **{str(k): str(v) for k, v in (fn.environment_vars or {}).items()},
            **credentials.as_env(),
            "AWS_REGION": self.host.region,
            "AWS_DEFAULT_REGION": self.host.region,
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(fn.timeout),
            "AWS_LAMBDA_LOG_GROUP_NAME": context.log_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
            "LAMBDA_TASK_ROOT": str(self.repo_root),
            "_HANDLER": fn.handler,
        }
        with self._lock:
            started = time.monotonic()
            error_type: str | None
            try:
                event = json.loads(body) if body else {}
            except ValueError as exc:  # the payload never reaches the handler
                payload, error_type, lines = unmarshal_error(exc)
            else:
                payload, error_type, lines = self._run(fn.handler, event, context, env, timeout)
            duration = time.monotonic() - started
        if fault == "timeout" and error_type is None:  # it ran to the end; the result is lost
            error_type = "Sandbox.Timedout"
            payload = {"errorType": error_type, "errorMessage": "Task timed out (harness fault)"}
            lines.append(payload["errorMessage"])
        lines.append(f"REPORT RequestId: {request_id}\tDuration: {duration * 1000:.2f} ms")
        self._deliver_logs(context, credentials, [f"START RequestId: {request_id}", *lines])
        self.invocations.append(
            Invocation(fn.function_name, request_id, payload, error_type, lines, duration)
        )
        if error_type is not None:
            response_headers["x-amz-function-error"] = "Unhandled"
            payload = {**payload, "requestId": request_id}
        return json.dumps(payload).encode("utf-8")

    def _run(
        self, handler: str, event: Any, context: LambdaContext, env: dict[str, str], timeout: float
    ) -> tuple[Any, str | None, list[str]]:
        outcome: dict[str, Any] = {}
        buffer = io.StringIO()

        def target() -> None:
            with streams.captured(buffer):
                try:
                    module_name, _, attr = handler.rpartition(".")
                    function = getattr(importlib.import_module(module_name), attr)
                    self.sandboxes.enter(sandbox.package_of(handler), context.invoked_function_arn)
                    with self.faults.in_function() if self.faults is not None else nullcontext():
                        result = function(event, context)
                    json.dumps(result)  # Lambda refuses a result it cannot serialize
                    outcome["result"] = result
                except BaseException as exc:
                    outcome["error"] = exc

        saved = dict(os.environ)
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_PROFILE", None)
        os.environ.update(env)
        try:
            worker = threading.Thread(target=target, name=f"lambda-{context.function_name}")
            worker.daemon = True
            worker.start()
            worker.join(timeout)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        lines = buffer.getvalue().splitlines()
        if worker.is_alive():
            message = f"Task timed out after {timeout:.2f} seconds"
            return (
                {"errorType": "Sandbox.Timedout", "errorMessage": message},
                "Sandbox.Timedout",
                [
                    *lines,
                    message,
                ],
            )
        if "error" in outcome:
            exc: BaseException = outcome["error"]
            payload = {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            return payload, type(exc).__name__, [*lines, json.dumps(payload)]
        return outcome["result"], None, lines

    def _deliver_logs(self, context: LambdaContext, credentials: Any, lines: list[str]) -> None:
        logs = self.host.client("logs", credentials)
        now = int(time.time() * 1000)
        group, stream = context.log_group_name, context.log_stream_name
        try:
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": now, "message": line} for line in lines if line],
            )
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            self.log_delivery_errors.append(f"{context.function_name}: {group}: {code}")
