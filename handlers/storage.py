"""S3 adapter: the immutable raw copy and the rejected objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError

from handlers.aws import client, error_code, map_aws_error

NDJSON = "application/x-ndjson"
# S3 user metadata keys (x-amz-meta-*) of a raw object.
META_RECEIVED_AT = "received-at"
META_BATCH_ID = "batch-id"
META_EVENT_COUNT = "event-count"
META_EXECUTION_ID = "execution-id"


@dataclass(frozen=True)
class RawObject:
    body: bytes
    metadata: dict[str, str]
    last_modified: datetime


def put_raw(bucket: str, key: str, body: bytes, metadata: dict[str, str]) -> bool:
    """Store the raw batch once (If-None-Match: *). True when it was already there (a duplicate)."""
    try:
        client("s3").put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentType=NDJSON,
            Metadata=metadata,
            IfNoneMatch="*",
        )
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if error_code(exc) == "PreconditionFailed" or status == 412:
            return True
        raise map_aws_error(exc, f"s3:PutObject {key}") from exc
    except BotoCoreError as exc:
        raise map_aws_error(exc, f"s3:PutObject {key}") from exc
    return False


def get_raw(bucket: str, key: str) -> RawObject:
    try:
        response = client("s3").get_object(Bucket=bucket, Key=key)
        body = response["Body"].read()
    except (ClientError, BotoCoreError) as exc:
        raise map_aws_error(exc, f"s3:GetObject {key}") from exc
    return RawObject(
        body=body,
        metadata={k.lower(): v for k, v in response.get("Metadata", {}).items()},
        last_modified=response["LastModified"],
    )


def put_rejected(bucket: str, key: str, body: bytes) -> None:
    """Rejected events derive deterministically from the raw object: an overwrite is a no-op."""
    try:
        client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType=NDJSON)
    except (ClientError, BotoCoreError) as exc:
        raise map_aws_error(exc, f"s3:PutObject {key}") from exc
