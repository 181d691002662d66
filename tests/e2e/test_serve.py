"""``python -m harness serve``: real clients through the HTTPS server on 127.0.0.1."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlparse

import boto3

from tests.e2e.conftest import load_event


def test_serve_runs_the_pipeline_for_an_external_client(harness_serve: dict[str, Any]) -> None:
    ready = harness_serve
    endpoint = urlparse(ready["endpoint_url"])
    assert (endpoint.scheme, endpoint.hostname) == ("https", "127.0.0.1")
    kwargs = {
        "endpoint_url": ready["endpoint_url"],
        "verify": ready["ca_bundle"],
        "region_name": ready["region"],
        "aws_access_key_id": ready["aws_access_key_id"],
        "aws_secret_access_key": ready["aws_secret_access_key"],
    }
    outputs = ready["outputs"]
    sfn = boto3.client("stepfunctions", **kwargs)
    event = load_event("page_view.json")
    arn = sfn.start_execution(
        stateMachineArn=outputs["state_machine_arn"],
        name="serve-page-view",
        input=json.dumps(event),
    )["executionArn"]
    deadline = time.monotonic() + 60
    while (status := sfn.describe_execution(executionArn=arn)["status"]) == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert status == "SUCCEEDED"

    items = boto3.client("dynamodb", **kwargs).query(
        TableName=outputs["table_name"],
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"S": event["user_id"]}},
    )["Items"]
    assert [i["event_id"]["S"] for i in items] == [event["event_id"]]
    dlq = boto3.client("sqs", **kwargs).receive_message(QueueUrl=outputs["dlq_url"])
    assert dlq.get("Messages", []) == []
    # the raw copy is readable over TLS (the bucket policy denies anything else)
    s3 = boto3.client("s3", **kwargs)
    [raw] = s3.list_objects_v2(Bucket=outputs["raw_bucket_name"], Prefix="ingest/")["Contents"]
    body = s3.get_object(Bucket=outputs["raw_bucket_name"], Key=raw["Key"])["Body"].read()
    assert json.loads(body) == event
