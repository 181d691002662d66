"""Functions the harness unit tests deploy into a bare emulator (run by the in-process runtime)."""

from __future__ import annotations

from typing import Any

import boto3


def echo(event: Any, context: Any) -> Any:
    return event


def oversized(event: Any, context: Any) -> str:
    return "a" * (257 * 1024)  # a result over the 256 KiB payload quota


def whoami(event: Any, context: Any) -> dict[str, Any]:
    """The caller identity and S3 endpoint a function's own boto3 clients get."""
    s3 = boto3.client("s3")
    s3.list_buckets()
    arn = boto3.client("sts").get_caller_identity()["Arn"]
    return {"arn": arn, "s3_endpoint": s3.meta.endpoint_url}


def partial(event: Any, context: Any) -> dict[str, Any]:
    """A partial batch response: every record whose body is "fail" failed; "crash" raises."""
    bodies = [record["body"] for record in event["Records"]]
    if "crash" in bodies:
        raise RuntimeError("crash")
    failed = [r["messageId"] for r in event["Records"] if r["body"] == "fail"]
    if "bad-id" in bodies:
        failed.append("not-a-message-of-the-batch")
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}


def always_fails(event: Any, context: Any) -> Any:
    raise RuntimeError("always fails")
