from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, NoCredentialsError, ReadTimeoutError

from handlers import aws
from handlers.errors import ConfigurationError, PermanentAwsError, TransientAwsError


def test_env_reads_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_SETTING", "x")
    assert aws.env("SOME_SETTING") == "x"
    monkeypatch.setenv("SOME_SETTING", " ")
    with pytest.raises(ConfigurationError, match="SOME_SETTING"):
        aws.env("SOME_SETTING")
    monkeypatch.delenv("SOME_SETTING")
    with pytest.raises(ConfigurationError, match="SOME_SETTING"):
        aws.env("SOME_SETTING")


@pytest.mark.parametrize("raw", ["abc", "0", "-3"])
def test_env_int_refuses(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("MAX_BATCH_EVENTS", raw)
    with pytest.raises(ConfigurationError, match="MAX_BATCH_EVENTS"):
        aws.env_int("MAX_BATCH_EVENTS", minimum=1)


@pytest.mark.parametrize("raw", ["x", "-1", "nan", "inf"])
def test_env_float_refuses(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("LATE_EVENT_THRESHOLD_HOURS", raw)
    with pytest.raises(ConfigurationError):
        aws.env_float("LATE_EVENT_THRESHOLD_HOURS", minimum=0)


def test_client_cache_key(monkeypatch: pytest.MonkeyPatch) -> None:
    first = aws.client("s3")
    assert aws.client("s3") is first
    assert aws.client("dynamodb") is not first
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAOTHERROLE")
    other_role = aws.client("s3")
    assert other_role is not first
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:5123")
    local = aws.client("s3")
    assert local is not other_role
    assert local.meta.endpoint_url == "http://127.0.0.1:5123"
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert aws.client("s3").meta.region_name == "eu-west-1"


def client_error(code: str, status: int = 400, message: str = "m") -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "Op")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (client_error("SlowDown", 503), TransientAwsError),
        (client_error("Throttling"), TransientAwsError),
        (client_error("RequestTimeout"), TransientAwsError),
        (client_error("InternalError", 500), TransientAwsError),
        (client_error("AccessDenied", 403, "Rate exceeded, throttling"), PermanentAwsError),
        (client_error("NoSuchBucket", 404), PermanentAwsError),
        (client_error("ValidationException"), PermanentAwsError),
        (ReadTimeoutError(endpoint_url="https://x"), TransientAwsError),
        (NoCredentialsError(), PermanentAwsError),
    ],
)
def test_map_aws_error(exc: Exception, expected: type[Exception]) -> None:
    mapped = aws.map_aws_error(exc, "s3:PutObject k")
    assert type(mapped) is expected
    assert "s3:PutObject k" in str(mapped)


def test_unrelated_exceptions_pass_through() -> None:
    exc = KeyError("x")
    assert aws.map_aws_error(exc, "op") is exc


def test_error_names_match_the_contract() -> None:
    from handlers import errors

    names = {"TransientAwsError", "PermanentAwsError", "BatchRejected", "ConfigurationError"}
    assert names <= set(errors.__all__)
    assert {getattr(errors, n).__name__ for n in names} == names
