"""S3 requests carry their condition keys: conditional writes enforced by an identity policy."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from harness.emulator import Emulator
from harness.emulator.patches import s3
from tests.harness.emulated import make_user


def conditional_put_policy(bucket: str) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/raw/*",
                "Condition": {"Null": {"s3:if-none-match": "false"}},
            }
        ],
    }


def test_identity_policy_allows_only_conditional_creates(
    emulator: Emulator,
) -> None:
    emulator.client("s3").create_bucket(Bucket="raw-layer")
    _, credentials = make_user(emulator, "writer", conditional_put_policy("raw-layer"))
    writer = emulator.client("s3", credentials)
    writer.put_object(Bucket="raw-layer", Key="raw/a", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as plain:  # moto: allowed, the object replaced
        writer.put_object(Bucket="raw-layer", Key="raw/a", Body=b"2")
    assert plain.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as again:
        writer.put_object(Bucket="raw-layer", Key="raw/a", Body=b"2", IfNoneMatch="*")
    assert again.value.response["Error"]["Code"] == "PreconditionFailed"
    body = emulator.client("s3").get_object(Bucket="raw-layer", Key="raw/a")["Body"].read()
    assert body == b"1"


class _Request:
    def __init__(self, method: str, headers: dict[str, str]) -> None:
        self.method = method
        self.headers = headers


def test_request_context_keys() -> None:
    put = _Request("PUT", {"If-None-Match": "*"})
    assert s3.context_of(put, "https://b.s3.amazonaws.com/k", object_request=True) == {
        "aws:SecureTransport": "true",
        "s3:if-none-match": "*",
    }
    get = _Request("GET", {"If-None-Match": "etag"})  # a conditional read is not a write
    assert s3.context_of(get, "http://127.0.0.1:5000/b/k", object_request=True) == {
        "aws:SecureTransport": "false"
    }
