"""AWS plumbing: lazy client cache, environment access, ClientError -> named error mapping."""

from __future__ import annotations

import os
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from handlers.errors import ConfigurationError, PermanentAwsError, TransientAwsError
from handlers.times import EPOCH, EventTimeError, parse_timestamp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_firehose import FirehoseClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient

# Error codes that are worth retrying. Matched on the CODE only, never on message text.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ConditionalRequestConflict",
        "OperationAborted",
        "TransactionInProgressException",
        "KMSInternalException",
    }
)

_BOTO_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=5,
    read_timeout=20,
)
_clients: dict[tuple[str, str | None, str | None, str | None], Any] = {}
_lock = threading.Lock()


def env(name: str) -> str:
    """The value of a required environment variable, read at call time; never a silent default."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        raise ConfigurationError(f"required environment variable {name} is not set")
    return value


def env_int(name: str, *, minimum: int) -> int:
    raw = env(name)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be >= {minimum}, got {value}")
    return value


def env_float(name: str, *, minimum: float) -> float:
    raw = env(name)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from None
    if not value >= minimum or value == float("inf"):
        raise ConfigurationError(f"{name} must be a finite number >= {minimum}, got {raw!r}")
    return value


def env_time(name: str) -> datetime:
    """An RFC 3339 time with an offset, not before 1970-01-01T00:00:00Z (oldestEventTime)."""
    raw = env(name)
    try:
        moment = parse_timestamp(raw)
    except EventTimeError as exc:
        raise ConfigurationError(f"{name} must be an RFC 3339 time with an offset: {exc}") from None
    if moment < EPOCH:
        raise ConfigurationError(f"{name} must not be before 1970-01-01T00:00:00Z, got {raw!r}")
    return moment


def _endpoint(service: str) -> str | None:
    specific = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}")
    return specific or os.environ.get("AWS_ENDPOINT_URL") or None


@overload
def client(service: Literal["s3"]) -> S3Client: ...
@overload
def client(service: Literal["dynamodb"]) -> DynamoDBClient: ...
@overload
def client(service: Literal["stepfunctions"]) -> SFNClient: ...
@overload
def client(service: Literal["secretsmanager"]) -> Any: ...
@overload
def client(service: Literal["firehose"]) -> FirehoseClient: ...
def client(
    service: Literal["s3", "dynamodb", "stepfunctions", "secretsmanager", "firehose"],
) -> Any:
    """A boto3 client built on first use and cached per (service, region, access key id, endpoint).

    Each new key gets its own Session, so changed credentials (another role) give a new client
    instead of the default session's cached credentials.
    """
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    key = (service, region, os.environ.get("AWS_ACCESS_KEY_ID"), _endpoint(service))
    with _lock:
        cached = _clients.get(key)
        if cached is None:
            session = boto3.session.Session(region_name=region)
            cached = session.client(service, endpoint_url=key[3], config=_BOTO_CONFIG)
            _clients[key] = cached
        return cached


def reset_clients() -> None:
    """Forget every cached client (tests, credential rotation)."""
    with _lock:
        _clients.clear()


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def map_aws_error(exc: Exception, operation: str) -> Exception:
    """Translate a botocore exception into the named error the state machine retries or catches."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        message = exc.response.get("Error", {}).get("Message", "")
        text = f"{operation} failed: {code or status}: {message}"
        if code in TRANSIENT_CODES or status >= 500:
            return TransientAwsError(text)
        return PermanentAwsError(text)
    if isinstance(
        exc,
        EndpointConnectionError
        | ConnectTimeoutError
        | ReadTimeoutError
        | ConnectionClosedError
        | BotoConnectionError,
    ):
        return TransientAwsError(f"{operation} failed: {type(exc).__name__}: {exc}")
    if isinstance(exc, BotoCoreError):
        return PermanentAwsError(f"{operation} failed: {type(exc).__name__}: {exc}")
    return exc
