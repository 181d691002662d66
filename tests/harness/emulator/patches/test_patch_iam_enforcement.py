"""DynamoDB, Lambda, Step Functions and Logs authorized on the ARN each request acts on."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from harness.emulator import Emulator
from tests.harness.emulated import function, make_user


def test_a_policy_on_one_table_allows_that_table_only(emulator: Emulator) -> None:
    ddb = emulator.client("dynamodb")
    arns = {}
    for name in ("allowed", "other"):
        arns[name] = ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )["TableDescription"]["TableArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": arns["allowed"]}
        ],
    }
    _, credentials = make_user(emulator, "writer", policy)
    writer = emulator.client("dynamodb", credentials)
    writer.put_item(TableName="allowed", Item={"k": {"S": "1"}})  # moto: denied (resource "*")
    with pytest.raises(ClientError) as denied:
        writer.put_item(TableName="other", Item={"k": {"S": "1"}})
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_invoke_is_authorized_as_lambda_invoke_function(emulator: Emulator) -> None:
    arn = function(emulator, "echo", "echo")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": arn}],
    }
    _, credentials = make_user(emulator, "caller", policy)
    answer = emulator.client("lambda", credentials).invoke(FunctionName=arn, Payload=b'{"a": 1}')
    assert answer["Payload"].read() == b'{"a": 1}'
    with pytest.raises(ClientError) as denied:
        emulator.client("lambda", credentials).get_function(FunctionName=arn)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
