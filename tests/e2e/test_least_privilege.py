"""Each role does its job in the emulator and nothing else (IAM enforced on exact ARNs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from harness.deploy import Deployment

DENIED = {"AccessDenied", "AccessDeniedException"}
Action = Callable[[], Any]


def role_of(dev: Deployment, function: str) -> str:
    return str(dev.find("aws:lambda/function:Function", f"workflow-{function}").inputs["role"])


def clients(dev: Deployment, role_arn: str, principal: str = "lambda.amazonaws.com") -> Any:
    def client(service: str) -> Any:
        return dev.emulator.role_client(role_arn, service, principal)

    return client


def assert_denied(actions: dict[str, Action]) -> None:
    assert len(actions) >= 10
    for label, action in actions.items():
        with pytest.raises(ClientError) as exc:
            action()
        assert exc.value.response["Error"]["Code"] in DENIED, label


def out_of_scope(dev: Deployment, c: Any) -> dict[str, Action]:
    """Actions no function role may perform."""
    o = dev.outputs
    bucket, table = o["raw_bucket_name"], o["table_name"]
    key = {"user_id": {"S": "u"}, "event_time": {"S": "t"}}
    dev.client("s3").create_bucket(Bucket="lp-other-bucket") if "lp" not in dev.__dict__ else None
    dev.__dict__["lp"] = True
    return {
        "s3 other bucket": lambda: c("s3").put_object(Bucket="lp-other-bucket", Key="k", Body=b"x"),
        "s3 other prefix": lambda: c("s3").put_object(Bucket=bucket, Key="curated/x", Body=b"x"),
        "s3 delete": lambda: c("s3").delete_object(Bucket=bucket, Key="ingest/x.json"),
        "s3 list": lambda: c("s3").list_objects_v2(Bucket=bucket),
        "ddb get": lambda: c("dynamodb").get_item(TableName=table, Key=key),
        "ddb query": lambda: c("dynamodb").query(
            TableName=table,
            KeyConditionExpression="user_id = :u",
            ExpressionAttributeValues={":u": {"S": "u"}},
        ),
        "ddb scan": lambda: c("dynamodb").scan(TableName=table),
        "ddb delete": lambda: c("dynamodb").delete_item(TableName=table, Key=key),
        "ddb other table": lambda: c("dynamodb").put_item(TableName="other", Item=key),
        "sqs dlq": lambda: c("sqs").send_message(QueueUrl=o["dlq_url"], MessageBody="x"),
        "lambda invoke": lambda: c("lambda").invoke(
            FunctionName=o["function_names"]["write"], Payload=b"{}"
        ),
        "sfn start": lambda: c("stepfunctions").start_execution(
            stateMachineArn=o["state_machine_arn"], name="lp", input="{}"
        ),
        "logs other group": lambda: c("logs").create_log_stream(
            logGroupName=o["log_group_names"]["workflow"], logStreamName="x"
        ),
        "iam": lambda: c("iam").list_roles(),
    }


def test_ingest_role_creates_raw_objects_only(dev: Deployment) -> None:
    c = clients(dev, role_of(dev, "ingest"))
    bucket = dev.outputs["raw_bucket_name"]
    key = "ingest/lp/ingest.json"
    c("s3").put_object(Bucket=bucket, Key=key, Body=b"{}", IfNoneMatch="*")
    with pytest.raises(ClientError) as exists:  # a conditional create never replaces
        c("s3").put_object(Bucket=bucket, Key=key, Body=b"[]", IfNoneMatch="*")
    assert exists.value.response["Error"]["Code"] == "PreconditionFailed"
    assert dev.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read() == b"{}"
    denied = out_of_scope(dev, c)
    denied["s3 plain put over a raw object"] = lambda: c("s3").put_object(
        Bucket=bucket, Key=key, Body=b"[]"
    )
    denied["s3 plain put of a new raw object"] = lambda: c("s3").put_object(
        Bucket=bucket, Key="ingest/lp/new.json", Body=b"[]"
    )
    denied["s3 get own prefix"] = lambda: c("s3").get_object(
        Bucket=bucket, Key="ingest/lp/ingest.json"
    )
    denied["s3 rejected prefix"] = lambda: c("s3").put_object(
        Bucket=bucket, Key="rejected/x", Body=b"x"
    )
    denied["ddb batch write"] = lambda: c("dynamodb").batch_write_item(
        RequestItems={
            dev.outputs["table_name"]: [{"PutRequest": {"Item": {"user_id": {"S": "u"}}}}]
        }
    )
    assert_denied(denied)
    assert dev.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read() == b"{}"


def test_process_role_reads_raw_and_writes_rejected_only(dev: Deployment) -> None:
    c = clients(dev, role_of(dev, "process"))
    bucket = dev.outputs["raw_bucket_name"]
    dev.client("s3").put_object(Bucket=bucket, Key="ingest/lp/process.json", Body=b"{}")
    assert c("s3").get_object(Bucket=bucket, Key="ingest/lp/process.json")["Body"].read() == b"{}"
    c("s3").put_object(Bucket=bucket, Key="rejected/lp/process.json", Body=b"{}")
    denied = out_of_scope(dev, c)
    denied["s3 put ingest"] = lambda: c("s3").put_object(Bucket=bucket, Key="ingest/y", Body=b"x")
    denied["s3 get rejected"] = lambda: c("s3").get_object(
        Bucket=bucket, Key="rejected/lp/process.json"
    )
    denied["ddb put"] = lambda: c("dynamodb").put_item(
        TableName=dev.outputs["table_name"],
        Item={"user_id": {"S": "u"}, "event_time": {"S": "t"}},
    )
    assert_denied(denied)


def test_write_role_puts_items_and_conflict_records_only(dev: Deployment) -> None:
    c = clients(dev, role_of(dev, "write"))
    table = dev.outputs["table_name"]
    bucket = dev.outputs["raw_bucket_name"]
    item = {"user_id": {"S": "u-lp"}, "event_time": {"S": "2025-01-01T00:00:00.000Z#lp"}}
    c("dynamodb").put_item(TableName=table, Item=item)
    c("s3").put_object(Bucket=bucket, Key="rejected/lp.conflicts.json", Body=b"{}")
    denied = out_of_scope(dev, c)
    denied["ddb batch write"] = lambda: c("dynamodb").batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": item}}]}
    )
    denied["ddb batch get"] = lambda: c("dynamodb").batch_get_item(
        RequestItems={table: {"Keys": [item]}}
    )
    denied["s3 get rejected"] = lambda: c("s3").get_object(
        Bucket=bucket, Key="rejected/lp.conflicts.json"
    )
    denied["ddb update"] = lambda: c("dynamodb").update_item(
        TableName=table,
        Key=item,
        UpdateExpression="SET a = :a",
        ExpressionAttributeValues={":a": {"S": "x"}},
    )
    denied["s3 put ingest"] = lambda: c("s3").put_object(
        Bucket=dev.outputs["raw_bucket_name"], Key="ingest/z", Body=b"x"
    )
    assert_denied(denied)


def test_state_machine_role_invokes_its_functions_and_sends_to_its_dlq_only(
    dev: Deployment,
) -> None:
    role = str(
        dev.find("aws:sfn/stateMachine:StateMachine", "workflow-state-machine").inputs["roleArn"]
    )
    c = clients(dev, role, "states.amazonaws.com")
    o = dev.outputs
    c("sqs").send_message(QueueUrl=o["dlq_url"], MessageBody=json.dumps({"lp": True}))
    dev.client("sqs").purge_queue(QueueUrl=o["dlq_url"])
    bucket, table = o["raw_bucket_name"], o["table_name"]
    key = {"user_id": {"S": "u"}, "event_time": {"S": "t"}}
    assert_denied(
        {
            "s3 put": lambda: c("s3").put_object(Bucket=bucket, Key="ingest/x", Body=b"x"),
            "s3 get": lambda: c("s3").get_object(Bucket=bucket, Key="ingest/x"),
            "ddb put": lambda: c("dynamodb").put_item(TableName=table, Item=key),
            "ddb get": lambda: c("dynamodb").get_item(TableName=table, Key=key),
            "sfn start": lambda: c("stepfunctions").start_execution(
                stateMachineArn=o["state_machine_arn"], name="lp-sm", input="{}"
            ),
            "lambda other": lambda: c("lambda").invoke(FunctionName="not-ours", Payload=b"{}"),
            "lambda update": lambda: c("lambda").update_function_configuration(
                FunctionName=o["function_names"]["write"], Timeout=5
            ),
            "sqs receive": lambda: c("sqs").receive_message(QueueUrl=o["dlq_url"]),
            "sqs delete queue": lambda: c("sqs").delete_queue(QueueUrl=o["dlq_url"]),
            "iam": lambda: c("iam").list_roles(),
        }
    )


def test_recovery_role_may_not_send_to_the_dlq_or_start_executions(dev: Deployment) -> None:
    recovery = dev.find("aws:sfn/stateMachine:StateMachine", "workflow-recovery-state-machine")
    c = clients(dev, str(recovery.inputs["roleArn"]), "states.amazonaws.com")
    # Everything a function role may not do, "sqs dlq" and "sfn start" included; it does invoke
    # the functions.
    denied = {k: v for k, v in out_of_scope(dev, c).items() if k != "lambda invoke"}
    assert {"sqs dlq", "sfn start"} <= set(denied)
    assert_denied(denied)


def test_iam_enforcement_refuses_unknown_credentials(dev: Deployment) -> None:
    fake = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="ak", aws_secret_access_key="sk"
    )
    with pytest.raises(ClientError) as exc:
        fake.list_tables()
    assert exc.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_a_role_lacking_a_permission_is_refused(dev: Deployment) -> None:
    iam = dev.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    arn = iam.create_role(RoleName="lp-empty", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    with pytest.raises(ClientError) as exc:
        clients(dev, arn)("dynamodb").describe_table(TableName=dev.outputs["table_name"])
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
