"""Fault injection for the embedded emulator: throttling, 5xx errors and timeouts, reproducibly.

Faults are injected at the emulator's response layer, so everything above it reacts as it would in
AWS: the handlers' boto3 clients retry (standard mode), map what is left to ``TransientAwsError``,
and the state machine's Retry takes over from there.

- S3 ``PutObject``/``GetObject`` and DynamoDB ``PutItem``/``BatchWriteItem``/``BatchGetItem``
  made by a function, its worker threads included (a context variable marks the function's
  context; calls of the harness, the tests or ``ops`` are never disturbed): ``throttle``
  (S3 ``SlowDown`` 503, DynamoDB ``ProvisionedThroughputExceededException``), ``server_error``
  (S3 ``InternalError`` 500, DynamoDB ``InternalServerError`` 500) or ``timeout`` — the request IS
  carried out, then the response is lost (``ReadTimeoutError``), the hardest case for idempotency.
- Lambda ``Invoke`` by the state machine or by an SQS event-source mapping's poller (the Batch
  function): ``throttle`` (``TooManyRequestsException`` 429 -> ``Lambda.TooManyRequestsException``),
  ``server_error`` (``ServiceException`` 500 -> ``Lambda.ServiceException``), or ``timeout``: the
  function runs to the end, then the invocation reports ``Sandbox.Timedout`` as Lambda does for a
  function over its timeout (not retried by the state machine: the execution goes to the DLQ, and
  a redrive must not duplicate anything; the poller's batch returns to the queue, and a second
  delivery must not duplicate anything either).
- SQS ``SendMessage``/``ReceiveMessage`` that an AWS service makes on the stack's behalf (the HTTP
  API's integration, Lambda's poller: ``on_behalf`` marks them): ``throttle`` (``RequestThrottled``
  400), ``server_error`` (``InternalError`` 500) or ``timeout`` (carried out, the response lost: a
  message sent that the route cannot confirm, a receive that counts without delivering).
- Step Functions ``StartExecution`` made by a function (the Batch function): ``throttle``
  (``ThrottlingException`` 400), ``server_error`` (``InternalServerError`` 500) or ``timeout``
  (the execution started, the answer lost).
- Firehose ``PutRecordBatch`` made by a function (Write): ``throttle`` fails records of the call
  — each with probability 1/2, at least one — with the per-record ``ErrorCode``
  ``ServiceUnavailableException`` (those records are not buffered: the rest are), as Firehose
  answers a producer over its stream's throughput; ``server_error`` fails the whole call
  (``ServiceUnavailableException`` 500); ``timeout`` buffers every record, then loses the answer.

Each eligible call draws from one ``random.Random(seed)``: ``rate`` is the probability that a call
fails, the kind is drawn uniformly from ``kinds``; ``after`` lets the first calls pass and ``limit``
caps the number of faults ("the third Invoke times out"). Draws follow call order: with one
execution at a time a seed reproduces the same faults; concurrent executions interleave their calls,
so there the seed fixes the rate and sequence of draws, not which call gets which.
"""

from __future__ import annotations

import contextvars
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ReadTimeoutError
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.responses import DynamoHandler
from moto.firehose.responses import FirehoseResponse
from moto.s3.responses import S3Response
from moto.sqs.responses import SQSResponse
from moto.stepfunctions.responses import StepFunctionResponse

KINDS = ("throttle", "server_error", "timeout")
TARGETS = ("s3", "dynamodb", "lambda", "sqs", "stepfunctions", "firehose")
_DDB = "com.amazonaws.dynamodb.v20120810#"
_S3_OPERATIONS = {"PUT": "PutObject", "GET": "GetObject"}
SQS_OPERATIONS = {"send_message": "SendMessage", "receive_message": "ReceiveMessage"}
_SQS_URL = "https://sqs.us-east-1.amazonaws.com/"
_SFN_URL = "https://states.us-east-1.amazonaws.com/"
_FIREHOSE_URL = "https://firehose.us-east-1.amazonaws.com/"

_in_function_scope: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "in_function", default=False
)
_on_behalf_scope: contextvars.ContextVar[bool] = contextvars.ContextVar("on_behalf", default=False)
# The injector whose throttle is failing records of the PutRecordBatch this context is serving.
_record_faults: contextvars.ContextVar[FaultInjector | None] = contextvars.ContextVar(
    "record_faults", default=None
)


@dataclass(frozen=True)
class FaultConfig:
    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = KINDS
    targets: tuple[str, ...] = TARGETS
    limit: int | None = None  # stop injecting after this many faults (targeted tests)
    after: int = 0  # let this many eligible calls pass first ("the third Invoke times out")

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be within [0, 1], got {self.rate}")
        unknown = (set(self.kinds) - set(KINDS)) | (set(self.targets) - set(TARGETS))
        if unknown or not self.kinds:
            raise ValueError(
                f"unknown fault kinds/targets {sorted(unknown)}; know {KINDS} {TARGETS}"
            )


class _JsonFault(JsonRESTError):  # type: ignore[misc]
    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(code, message)
        self.code = status


def _in_function() -> bool:
    return _in_function_scope.get()


def _faultable() -> bool:
    return _in_function_scope.get() or _on_behalf_scope.get()


def failing_records(count: int) -> set[int]:
    """The indexes of a PutRecordBatch's records an injected throttle fails (none without one)."""
    injector = _record_faults.get()
    if injector is None or count == 0:
        return set()
    return injector.draw_records(count)


class FaultInjector:
    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self.injected: Counter[tuple[str, str, str]] = Counter()  # (target, operation, kind)
        self.eligible: Counter[str] = Counter()  # target -> calls that could have failed
        self._rng = random.Random(config.seed)  # noqa: S311 - reproducible faults, not secrets
        self._lock = threading.Lock()

    @staticmethod
    @contextmanager
    def in_function() -> Iterator[None]:
        """Marks the current context as a function's: its S3/DynamoDB calls may be faulted (worker
        threads the function starts in a copy of its context are marked too)."""
        token = _in_function_scope.set(True)
        try:
            yield
        finally:
            _in_function_scope.reset(token)

    @staticmethod
    @contextmanager
    def on_behalf() -> Iterator[None]:
        """Marks calls an AWS service makes for the stack (the HTTP API's integration, Lambda's
        SQS poller): their SQS calls may be faulted."""
        token = _on_behalf_scope.set(True)
        try:
            yield
        finally:
            _on_behalf_scope.reset(token)

    @property
    def total(self) -> int:
        return sum(self.injected.values())

    def by_target(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for (target, _, _), n in self.injected.items():
            totals[target] += n
        return dict(totals)

    def decide(self, target: str, operation: str) -> str | None:
        """The kind of fault for this call, or None (and count it)."""
        if target not in self.config.targets or self.config.rate <= 0:
            return None
        with self._lock:
            self.eligible[target] += 1
            if sum(self.eligible.values()) <= self.config.after:
                return None
            if self.config.limit is not None and self.total >= self.config.limit:
                return None
            if self._rng.random() >= self.config.rate:
                return None
            kind = self._rng.choice(self.config.kinds)
            self.injected[(target, operation, kind)] += 1
            return kind

    def draw_records(self, count: int) -> set[int]:
        """Each of ``count`` records fails with probability 1/2, at least one fails."""
        with self._lock:
            failed = {index for index in range(count) if self._rng.random() < 0.5}
            return failed or {self._rng.randrange(count)}

    def lambda_error(self, kind: str) -> Exception:
        if kind == "throttle":
            return _JsonFault("TooManyRequestsException", "Rate exceeded (harness fault)", 429)
        return _JsonFault("ServiceException", "Lambda service error (harness fault)", 500)

    @staticmethod
    def _s3_error(kind: str) -> tuple[int, dict[str, str], str]:
        """An S3 error response (moto's S3 errors take their status from the model: 400)."""
        status, code, message = (
            (503, "SlowDown", "Please reduce your request rate.")
            if kind == "throttle"
            else (500, "InternalError", "We encountered an internal error. Please try again.")
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message} (harness fault)</Message></Error>"
        )
        return status, {"Content-Type": "application/xml"}, body

    @staticmethod
    def _dynamodb_error(kind: str) -> Exception:
        if kind == "throttle":
            return _JsonFault(
                f"{_DDB}ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput was exceeded. (harness fault)",
                400,
            )
        return _JsonFault(
            f"{_DDB}InternalServerError", "Internal server error (harness fault)", 500
        )

    @staticmethod
    def _sqs_error(kind: str) -> Exception:
        if kind == "throttle":
            return _JsonFault("RequestThrottled", "Request is throttled (harness fault)", 400)
        return _JsonFault("InternalError", "Internal error (harness fault)", 500)

    @staticmethod
    def _stepfunctions_error(kind: str) -> Exception:
        if kind == "throttle":
            return _JsonFault("ThrottlingException", "Rate exceeded (harness fault)", 400)
        return _JsonFault("InternalServerError", "Internal server error (harness fault)", 500)

    @staticmethod
    def _firehose_error(kind: str) -> Exception:
        return _JsonFault(
            "ServiceUnavailableException", "Service unavailable. (harness fault)", 500
        )

    def _records_around(self, call: Callable[[], Any]) -> Any:
        """PutRecordBatch: a throttle fails some records (``failing_records``), the other kinds
        the whole call."""
        kind = self.decide("firehose", "PutRecordBatch") if _faultable() else None
        if kind != "throttle":
            return self._around_kind(kind, call, self._firehose_error, _FIREHOSE_URL)
        token = _record_faults.set(self)
        try:
            return call()
        finally:
            _record_faults.reset(token)

    def _around_kind(
        self,
        kind: str | None,
        call: Callable[[], Any],
        error: Callable[[str], Any],
        url: str,
    ) -> Any:
        if kind is None:
            return call()
        if kind == "timeout":
            call()  # carried out; the response is lost on the way back
            raise ReadTimeoutError(endpoint_url=url)
        failure = error(kind)
        if isinstance(failure, Exception):
            raise failure
        return failure

    def _around(
        self,
        target: str,
        operation: str,
        call: Callable[[], Any],
        error: Callable[[str], Any],
        url: str,
    ) -> Any:
        """The call's response, an error response (returned or raised), or a lost response."""
        kind = self.decide(target, operation) if _faultable() else None
        return self._around_kind(kind, call, error, url)

    @contextmanager
    def installed(self) -> Iterator[None]:
        original_key_response = S3Response._key_response
        originals = {
            name: DynamoHandler.__dict__[name]
            for name in ("put_item", "batch_write_item", "batch_get_item")
        }
        sqs_originals = {name: SQSResponse.__dict__[name] for name in SQS_OPERATIONS}
        start_execution = StepFunctionResponse.__dict__["start_execution"]
        put_record_batch = FirehoseResponse.__dict__["put_record_batch"]
        injector = self

        def key_response(response: Any, request: Any, full_url: str) -> Any:
            operation = _S3_OPERATIONS.get(str(request.method).upper())
            if operation is None:
                return original_key_response(response, request, full_url)
            return injector._around(
                "s3",
                operation,
                lambda: original_key_response(response, request, full_url),
                injector._s3_error,
                full_url,
            )

        def ddb(name: str, operation: str) -> Callable[[Any], Any]:
            original = originals[name]

            def method(handler: Any) -> Any:
                return injector._around(
                    "dynamodb",
                    operation,
                    lambda: original(handler),
                    injector._dynamodb_error,
                    "https://dynamodb.us-east-1.amazonaws.com/",
                )

            return method

        def around(
            target: str,
            operation: str,
            original: Callable[[Any], Any],
            error: Callable[[str], Exception],
            url: str,
        ) -> Callable[[Any], Any]:
            def method(response: Any) -> Any:
                return injector._around(target, operation, lambda: original(response), error, url)

            return method

        S3Response._key_response = key_response
        DynamoHandler.put_item = ddb("put_item", "PutItem")
        DynamoHandler.batch_write_item = ddb("batch_write_item", "BatchWriteItem")
        DynamoHandler.batch_get_item = ddb("batch_get_item", "BatchGetItem")
        for name, operation in SQS_OPERATIONS.items():
            setattr(
                SQSResponse,
                name,
                around("sqs", operation, sqs_originals[name], injector._sqs_error, _SQS_URL),
            )
        StepFunctionResponse.start_execution = around(
            "stepfunctions",
            "StartExecution",
            start_execution,
            injector._stepfunctions_error,
            _SFN_URL,
        )

        def records(response: Any) -> Any:
            return injector._records_around(lambda: put_record_batch(response))

        FirehoseResponse.put_record_batch = records
        try:
            yield
        finally:
            FirehoseResponse.put_record_batch = put_record_batch
            S3Response._key_response = original_key_response
            for name, method in originals.items():
                setattr(DynamoHandler, name, method)
            for name, method in sqs_originals.items():
                setattr(SQSResponse, name, method)
            StepFunctionResponse.start_execution = start_execution
