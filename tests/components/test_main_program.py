"""The whole program (`__main__.py`) under PipelineMocks, with each stack's real config.

Expected IAM documents are written out in full with the ARNs the mocks returned, so a widened
resource, an extra action or a missing statement fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from components.builders.settings import CONFIG_KEYS, WEB_KEYS, load_stack_config

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_ID = "123456789012"  # what PipelineMocks answers for getCallerIdentity

PREFIX = "activity-pipeline-dev"
FUNCTIONS = ("ingest", "process", "write")

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
BUCKET = "aws:s3/bucket:Bucket"
TABLE = "aws:dynamodb/table:Table"
SECRET = "aws:secretsmanager/secret:Secret"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FUNCTION = "aws:lambda/function:Function"
QUEUE = "aws:sqs/queue:Queue"
STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
NAMED_QUERY = "aws:athena/namedQuery:NamedQuery"  # analytics
ANALYTICS_QUERIES = (
    "daily_active_users",
    "weekly_active_users",
    "monthly_active_users",
    "sessions_per_day",
    "events_per_action_per_day",
    "top_pages",
    "late_event_share",
    "rejected_by_reason",
)
HTTP_API = "aws:apigatewayv2/api:Api"
# The dev stack with direct entry points (no buffer keys).
DIRECT = {
    "activity-pipeline:entryMode": "direct",
    **{
        f"activity-pipeline:{key}": ""
        for key in (
            "bufferBatchSize",
            "bufferBatchingWindowSeconds",
            "bufferMaxReceives",
            "bufferRetentionDays",
        )
    },
}

ProgramRun = Any  # conftest.ProgramRun (fixtures only: test modules do not import conftest)
Deploy = Callable[..., ProgramRun]
StackRun = Callable[[str], ProgramRun]  # conftest.stack_run: one run per stack, shared


@pytest.fixture(scope="module")
def dev(stack_run: StackRun) -> ProgramRun:
    return stack_run("dev")


def arn(deployment: ProgramRun, typ: str, name: str) -> str:
    value = deployment.find(typ, name).state["arn"]
    assert isinstance(value, str)
    return value


def policy_of(deployment: ProgramRun, name: str) -> dict[str, Any]:
    document = json.loads(deployment.find(ROLE_POLICY, name).inputs["policy"])
    assert isinstance(document, dict)
    return document


def own_logs(log_group_arn: str) -> dict[str, Any]:
    return {
        "Sid": "WriteOwnLogGroup",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
    }


# -- program shape ---------------------------------------------------------------------------


def test_exports_exactly_the_contract_outputs(dev: ProgramRun) -> None:
    bucket = f"{PREFIX}-raw-20250101000000000000000001"
    assert dev.exports == {
        "raw_bucket_name": bucket,
        "raw_bucket_arn": f"arn:aws:s3:::{bucket}",
        "kms_key_arn": arn(dev, KEY, "raw-storage-key"),
        "table_name": f"{PREFIX}-events",
        "table_arn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT_ID}:table/{PREFIX}-events",
        "state_machine_arn": (
            f"arn:aws:states:us-east-1:{ACCOUNT_ID}:stateMachine:{PREFIX}-workflow"
        ),
        "state_machine_name": f"{PREFIX}-workflow",
        "recovery_state_machine_arn": (
            f"arn:aws:states:us-east-1:{ACCOUNT_ID}:stateMachine:{PREFIX}-recovery"
        ),
        "recovery_state_machine_name": f"{PREFIX}-recovery",
        "workflow_type": "STANDARD",
        "dlq_url": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT_ID}/{PREFIX}-dlq",
        "dlq_arn": f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{PREFIX}-dlq",
        "alarm_topic_arn": f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:{PREFIX}-alarms",
        "dashboard_name": PREFIX,
        "function_names": {fn: f"{PREFIX}-{fn}" for fn in FUNCTIONS},
        "log_group_names": {
            **{fn: f"/aws/lambda/{PREFIX}-{fn}" for fn in FUNCTIONS},
            "workflow": f"/aws/vendedlogs/states/{PREFIX}-workflow",
            "recovery": f"/aws/vendedlogs/states/{PREFIX}-recovery",
        },
        "region": "us-east-1",
        "max_batch_events": 500,
        # erasure and suppression
        "suppression_table_name": f"{PREFIX}-suppression",
        "suppression_salt_secret_arn": arn(dev, SECRET, "privacy-salt"),
        "operator_erasure_policy_arn": (
            f"arn:aws:iam::{ACCOUNT_ID}:policy/{PREFIX}-operator-erasure"
        ),
        # analytics
        "athena_workgroup": PREFIX,
        "glue_database": "activity_pipeline_dev",
        "named_queries": {
            name: dev.find(NAMED_QUERY, f"analytics-{name.replace('_', '-')}").id
            for name in ANALYTICS_QUERIES
        },
        "athena_results_bucket": f"{PREFIX}-athena-results-20250101000000000000000001",
        "analyst_policy_arn": f"arn:aws:iam::{ACCOUNT_ID}:policy/{PREFIX}-analyst",
        "curated_bucket_name": f"{PREFIX}-curated-20250101000000000000000001",
        "curated_table_name": "curated_events",
        "curated_stream_name": f"{PREFIX}-curated",
        "curated_stream_arn": (
            f"arn:aws:firehose:us-east-1:{ACCOUNT_ID}:deliverystream/{PREFIX}-curated"
        ),
        # entry points
        "http_api_url": (
            f"https://{dev.find(HTTP_API, 'http-api-api').id}.execute-api.us-east-1.amazonaws.com/"
        ),
        "http_api_id": dev.find(HTTP_API, "http-api-api").id,
        "event_bus_name": f"{PREFIX}-activity",
        "event_bus_arn": f"arn:aws:events:us-east-1:{ACCOUNT_ID}:event-bus/{PREFIX}-activity",
        "entry_dlq_url": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT_ID}/{PREFIX}-entry-dlq",
        # the entry buffer (entryMode buffered)
        "entry_mode": "buffered",
        "buffer_queue_url": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT_ID}/{PREFIX}-buffer",
        "buffer_queue_arn": f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{PREFIX}-buffer",
        "buffer_dlq_url": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT_ID}/{PREFIX}-buffer-dlq",
        "buffer_dlq_arn": f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{PREFIX}-buffer-dlq",
        "batch_function_name": f"{PREFIX}-batch",
        "batch_log_group_name": f"/aws/lambda/{PREFIX}-batch",
    }


def test_registers_exactly_these_resource_types(dev: ProgramRun) -> None:
    counts: dict[str, int] = {}
    for registration in dev.mocks.registrations:
        counts[registration.typ] = counts.get(registration.typ, 0) + 1
    assert counts == {
        "activity-pipeline:raw_storage:RawStorage": 1,
        "activity-pipeline:processed_storage:ProcessedStorage": 1,
        "activity-pipeline:workflow:Workflow": 1,
        "activity-pipeline:monitoring:Monitoring": 1,
        "activity-pipeline:privacy:Privacy": 1,
        SECRET: 1,  # the suppression salt
        "aws:secretsmanager/secretVersion:SecretVersion": 1,
        KEY: 3,  # raw bucket, alarm topic, entry buffer
        ALIAS: 3,
        BUCKET: 3,  # + athena results, curated
        "aws:s3/bucketVersioning:BucketVersioning": 2,  # raw, curated
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 3,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 3,  # + athena results, curated
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 3,  # + athena results, curated
        "aws:s3/bucketPolicy:BucketPolicy": 3,  # + athena results, curated
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 3,
        TABLE: 2,  # + suppression list
        LOG_GROUP: 8,  # 4 functions, 2 state machines, HTTP API access logs, curated stream
        # 4 functions, 2 state machines, API role (the rule sends to SQS: no role), curated
        # stream, table optimizers
        ROLE: 9,
        ROLE_POLICY: 9,
        FUNCTION: 4,  # + batch
        QUEUE: 4,  # + entry DLQ, entry buffer, buffer DLQ
        STATE_MACHINE: 2,  # workflow, recovery
        TOPIC: 1,
        ALARM: 14,  # + batch errors/throttles, buffer age, buffer DLQ
        "aws:cloudwatch/logMetricFilter:LogMetricFilter": 1,
        DASHBOARD: 1,
        # analytics
        "activity-pipeline:analytics:Analytics": 1,
        "aws:glue/catalogDatabase:CatalogDatabase": 1,
        "aws:glue/catalogTable:CatalogTable": 3,  # + curated_events (Iceberg)
        "activity-pipeline:curated:CuratedTable": 1,
        "aws:glue/catalogTableOptimizer:CatalogTableOptimizer": 3,
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": 1,
        "aws:cloudwatch/logStream:LogStream": 1,
        "aws:athena/workgroup:Workgroup": 1,
        "aws:athena/namedQuery:NamedQuery": 8,
        "aws:iam/policy:Policy": 2,  # analyst, operator erasure
        # entry points: HTTP API (IAM auth in dev: no authorizer) and EventBridge, buffered
        "activity-pipeline:entry_buffer:EntryBuffer": 1,
        "aws:lambda/eventSourceMapping:EventSourceMapping": 1,
        "activity-pipeline:http_api:HttpApi": 1,
        "activity-pipeline:event_entry:EventEntry": 1,
        HTTP_API: 1,
        "aws:apigatewayv2/integration:Integration": 1,
        "aws:apigatewayv2/route:Route": 1,
        "aws:apigatewayv2/stage:Stage": 1,
        "aws:cloudwatch/eventBus:EventBus": 1,
        "aws:cloudwatch/eventRule:EventRule": 1,
        "aws:cloudwatch/eventTarget:EventTarget": 1,
        "aws:sqs/queuePolicy:QueuePolicy": 2,  # entry DLQ, entry buffer
    }
    assert set(dev.mocks.calls) == {
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getRegion:getRegion",
        "aws:index/getPartition:getPartition",
        "aws:secretsmanager/getRandomPassword:getRandomPassword",  # the salt, stored once
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_set_every_required_key_and_no_unknown_one(stack: str) -> None:
    config = load_stack_config(ROOT / f"Pulumi.{stack}.yaml")
    keys = {k.removeprefix("activity-pipeline:") for k in config if not k.startswith("aws:")}
    assert keys <= set(CONFIG_KEYS)
    http_keys = {"httpApiAuth", "httpApiThrottleBurst", "httpApiThrottleRate"}
    unset_entry_keys: dict[str, set[str]] = {"dev": set(), "prod": http_keys}
    jwt_keys = {"jwtIssuer", "jwtAudience"}  # entry points: dev uses IAM auth, prod no HTTP API
    web_keys = set(WEB_KEYS)  # neither stack has a public route or CORS
    assert set(CONFIG_KEYS) - keys == {"alarmEmail"} | jwt_keys | web_keys | unset_entry_keys[stack]
    assert config["aws:region"] == "us-east-1"


# -- IAM -------------------------------------------------------------------------------------


def test_ingest_role_policy_is_exactly_the_contract(dev: ProgramRun) -> None:
    bucket = dev.exports["raw_bucket_arn"]
    assert policy_of(dev, "workflow-ingest-policy") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PutRawObjects",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [f"{bucket}/ingest/*"],
                "Condition": {"Null": {"s3:if-none-match": "false"}},
            },
            {
                "Sid": "EncryptWithBucketKey",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey"],
                "Resource": [arn(dev, KEY, "raw-storage-key")],
            },
            {
                "Sid": "LookUpSuppressedUsers",
                "Effect": "Allow",
                "Action": ["dynamodb:BatchGetItem"],
                "Resource": [arn(dev, TABLE, "privacy-suppression-table")],
            },
            {
                "Sid": "ReadSuppressionSalt",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [arn(dev, SECRET, "privacy-salt")],
            },
            {
                "Sid": "DecryptSuppressionSalt",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [arn(dev, KEY, "raw-storage-key")],
            },
            own_logs(arn(dev, LOG_GROUP, "workflow-ingest-logs")),
        ],
    }


def test_process_role_policy_is_exactly_the_contract(dev: ProgramRun) -> None:
    bucket = dev.exports["raw_bucket_arn"]
    assert policy_of(dev, "workflow-process-policy") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadRawObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [f"{bucket}/ingest/*"],
            },
            {
                "Sid": "PutRejectedObjects",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [f"{bucket}/rejected/*"],
            },
            {
                "Sid": "UseBucketKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": [arn(dev, KEY, "raw-storage-key")],
            },
            own_logs(arn(dev, LOG_GROUP, "workflow-process-logs")),
        ],
    }


def test_write_role_policy_is_exactly_the_contract(dev: ProgramRun) -> None:
    assert policy_of(dev, "workflow-write-policy") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PutCuratedItems",
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem"],
                "Resource": [dev.exports["table_arn"]],
            },
            {
                "Sid": "PutConflictObjects",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [f"{dev.exports['raw_bucket_arn']}/rejected/*"],
            },
            {
                "Sid": "EncryptWithBucketKey",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey"],
                "Resource": [arn(dev, KEY, "raw-storage-key")],
            },
            {
                "Sid": "FeedTheCuratedTable",
                "Effect": "Allow",
                "Action": ["firehose:PutRecordBatch"],
                "Resource": [dev.exports["curated_stream_arn"]],
            },
            own_logs(arn(dev, LOG_GROUP, "workflow-write-logs")),
        ],
    }


def test_state_machine_role_policy_is_exactly_the_contract(dev: ProgramRun) -> None:
    functions = [arn(dev, FUNCTION, f"workflow-{fn}") for fn in FUNCTIONS]
    assert policy_of(dev, "workflow-workflow-policy") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokePipelineFunctions",
                "Effect": "Allow",
                "Action": ["lambda:InvokeFunction"],
                "Resource": [r for f in functions for r in (f, f"{f}:*")],
            },
            {
                "Sid": "SendToDeadLetterQueue",
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": [dev.exports["dlq_arn"]],
            },
            {
                "Sid": "DeliverExecutionLogs",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogDelivery",
                    "logs:GetLogDelivery",
                    "logs:UpdateLogDelivery",
                    "logs:DeleteLogDelivery",
                    "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy",
                    "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups",
                ],
                "Resource": "*",
            },
        ],
    }


def test_recovery_role_policy_invokes_the_functions_and_sends_nowhere(dev: ProgramRun) -> None:
    main = policy_of(dev, "workflow-workflow-policy")
    invoke, _send, logs = main["Statement"]
    assert policy_of(dev, "workflow-recovery-policy") == {
        "Version": "2012-10-17",
        "Statement": [invoke, logs],
    }


def test_no_entry_role_may_start_the_recovery_state_machine(dev: ProgramRun) -> None:
    main, recovery = dev.exports["state_machine_arn"], dev.exports["recovery_state_machine_arn"]
    documents = {
        p.name: json.loads(p.inputs["policy"])
        for p in [*dev.of_type(ROLE_POLICY), *dev.of_type("aws:iam/policy:Policy")]
    }
    granting_states = {
        name: statement
        for name, document in documents.items()
        for statement in document["Statement"]
        if any(str(action).startswith("states:") for action in statement["Action"])
    }
    # Buffered: the Batch function's role only, on exactly the main state machine.
    assert set(granting_states) == {"entry-buffer-batch-policy"}
    for statement in granting_states.values():
        assert statement["Action"] == ["states:StartExecution"]
        assert statement["Resource"] == [main]
    assert not [name for name, document in documents.items() if recovery in json.dumps(document)]
    environment = dev.find(FUNCTION, "entry-buffer-batch").inputs["environment"]["variables"]
    assert environment["STATE_MACHINE_ARN"] == main


def test_no_entry_role_may_start_the_recovery_state_machine_in_direct_mode(deploy: Deploy) -> None:
    direct = deploy("dev", DIRECT)
    main = direct.exports["state_machine_arn"]
    recovery = direct.exports["recovery_state_machine_arn"]
    documents = {p.name: json.loads(p.inputs["policy"]) for p in direct.of_type(ROLE_POLICY)}
    granting_states = {
        name: statement
        for name, document in documents.items()
        for statement in document["Statement"]
        if any(str(action).startswith("states:") for action in statement["Action"])
    }
    # The HTTP API's and the EventBridge rule's roles, each on exactly the main state machine.
    assert set(granting_states) == {"http-api-policy", "event-entry-policy"}
    for statement in granting_states.values():
        assert statement["Action"] == ["states:StartExecution"]
        assert statement["Resource"] == [main]
    assert not [name for name, document in documents.items() if recovery in json.dumps(document)]
    integration = direct.find(
        "aws:apigatewayv2/integration:Integration", "http-api-start-execution"
    )
    assert integration.inputs["requestParameters"]["StateMachineArn"] == main
    target = direct.find("aws:cloudwatch/eventTarget:EventTarget", "event-entry-target")
    assert target.inputs["arn"] == main


@pytest.mark.parametrize("role", [*FUNCTIONS, "workflow", "recovery"])
def test_each_role_has_one_inline_policy_and_nothing_else(dev: ProgramRun, role: str) -> None:
    registration = dev.find(ROLE, f"workflow-{role}-role")
    assert {"managedPolicyArns", "inlinePolicies", "permissionsBoundary"}.isdisjoint(
        registration.inputs
    )
    attached = [p for p in dev.of_type(ROLE_POLICY) if p.inputs["role"] == registration.id]
    assert [p.name for p in attached] == [f"workflow-{role}-policy"]


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_function_roles_trust_lambda_only(dev: ProgramRun, fn: str) -> None:
    trust = json.loads(dev.find(ROLE, f"workflow-{fn}-role").inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]


@pytest.mark.parametrize("machine", ["workflow", "recovery"])
def test_state_machine_roles_trust_states_in_this_account(dev: ProgramRun, machine: str) -> None:
    trust = json.loads(dev.find(ROLE, f"workflow-{machine}-role").inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "states.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
        }
    ]


# -- functions -------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_function_configuration(dev: ProgramRun, fn: str) -> None:
    inputs = dev.find(FUNCTION, f"workflow-{fn}").inputs
    assert inputs["name"] == f"{PREFIX}-{fn}"
    assert inputs["runtime"] == "python3.13"
    assert inputs["handler"] == f"handlers.{fn}.handler"
    assert inputs["architectures"] == ["arm64"]
    assert inputs["memorySize"] == 512
    assert inputs["timeout"] == 30
    assert inputs["layers"] == [
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:27"
    ]
    assert inputs["role"] == arn(dev, ROLE, f"workflow-{fn}-role")
    assert inputs["loggingConfig"] == {
        "logFormat": "JSON",
        "logGroup": f"/aws/lambda/{PREFIX}-{fn}",
    }


def test_function_environments_follow_the_contract(dev: ProgramRun) -> None:
    common = {
        "POWERTOOLS_SERVICE_NAME": PREFIX,
        "POWERTOOLS_METRICS_NAMESPACE": "ActivityPipeline",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    bucket = dev.exports["raw_bucket_name"]
    expected = {
        "ingest": common
        | {
            "RAW_BUCKET": bucket,
            "MAX_BATCH_EVENTS": "500",
            "OLDEST_EVENT_TIME": "2000-01-01T00:00:00.000Z",
            "SUPPRESSION_TABLE": f"{PREFIX}-suppression",
            "SUPPRESSION_SALT_SECRET_ARN": arn(dev, SECRET, "privacy-salt"),
        },
        "process": common
        | {
            "RAW_BUCKET": bucket,
            "LATE_EVENT_THRESHOLD_HOURS": "72",
            "OLDEST_EVENT_TIME": "2000-01-01T00:00:00.000Z",
        },
        "write": common
        | {
            "TABLE_NAME": f"{PREFIX}-events",
            "RAW_BUCKET": bucket,
            "ITEM_RETENTION_DAYS": "30",
            "CURATED_STREAM": f"{PREFIX}-curated",
        },
    }
    for fn in FUNCTIONS:
        environment = dev.find(FUNCTION, f"workflow-{fn}").inputs["environment"]
        assert environment == {"variables": expected[fn]}, fn


def test_one_code_archive_with_the_handlers_package(dev: ProgramRun) -> None:
    archives = [dev.find(FUNCTION, f"workflow-{fn}").inputs["code"] for fn in FUNCTIONS]
    contents = [
        {key: asset.path for key, asset in archive.assets["handlers"].assets.items()}
        for archive in archives
    ]
    assert all(list(archive.assets) == ["handlers"] for archive in archives)
    assert contents[0] == contents[1] == contents[2]
    handlers_dir = ROOT / "handlers"
    expected = {
        path.relative_to(handlers_dir).as_posix(): str(path)
        for path in handlers_dir.rglob("*")
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts
    }
    assert contents[0] == expected
    assert {"ingest.py", "process.py", "write.py"} <= set(expected)


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_function_log_groups_have_retention(dev: ProgramRun, fn: str) -> None:
    inputs = dev.find(LOG_GROUP, f"workflow-{fn}-logs").inputs
    assert inputs == {"name": f"/aws/lambda/{PREFIX}-{fn}", "retentionInDays": 14}


# -- state machine and DLQ -------------------------------------------------------------------


def test_dead_letter_queue(dev: ProgramRun) -> None:
    assert dev.find(QUEUE, "workflow-dlq").inputs == {
        "name": f"{PREFIX}-dlq",
        "messageRetentionSeconds": 14 * 24 * 3600,
        "maxMessageSize": 1_048_576,  # SQS's largest: a dead letter of any execution input fits
        "sqsManagedSseEnabled": True,
    }


def test_state_machine_resource(dev: ProgramRun) -> None:
    inputs = dev.find(STATE_MACHINE, "workflow-state-machine").inputs
    assert inputs["name"] == f"{PREFIX}-workflow"
    assert inputs["type"] == "STANDARD"
    assert inputs["roleArn"] == arn(dev, ROLE, "workflow-workflow-role")
    assert inputs["loggingConfiguration"] == {
        "logDestination": f"{arn(dev, LOG_GROUP, 'workflow-workflow-logs')}:*",
        "includeExecutionData": True,
        "level": "ERROR",
    }
    assert dev.find(LOG_GROUP, "workflow-workflow-logs").inputs == {
        "name": f"/aws/vendedlogs/states/{PREFIX}-workflow",
        "retentionInDays": 14,
    }


def test_recovery_state_machine_resource(dev: ProgramRun) -> None:
    inputs = dev.find(STATE_MACHINE, "workflow-recovery-state-machine").inputs
    assert inputs["name"] == f"{PREFIX}-recovery"
    assert inputs["type"] == "STANDARD"
    assert inputs["roleArn"] == arn(dev, ROLE, "workflow-recovery-role")
    assert inputs["loggingConfiguration"] == {
        "logDestination": f"{arn(dev, LOG_GROUP, 'workflow-recovery-logs')}:*",
        "includeExecutionData": True,
        "level": "ERROR",
    }
    states = json.loads(inputs["definition"])["States"]
    for fn, state in zip(FUNCTIONS, ("Ingest", "Process", "Write"), strict=True):
        assert states[state]["Parameters"]["FunctionName"] == arn(dev, FUNCTION, f"workflow-{fn}")
    assert "SendToDLQ" not in states


def test_definition_wires_the_real_functions_and_dlq(dev: ProgramRun) -> None:
    definition = json.loads(dev.find(STATE_MACHINE, "workflow-state-machine").inputs["definition"])
    states = definition["States"]
    for fn, state in zip(FUNCTIONS, ("Ingest", "Process", "Write"), strict=True):
        task = states[state]
        assert task["Parameters"]["FunctionName"] == arn(dev, FUNCTION, f"workflow-{fn}")
        assert task["Retry"], state
        assert [c["ErrorEquals"] for c in task["Catch"]] == [
            ["States.DataLimitExceeded"],
            ["States.ALL"],
        ]
        assert {c["Next"] for c in task["Catch"]} == {"SendToDLQ"}
    tasks = [name for name, state in states.items() if state["Type"] == "Task"]
    assert all(states[name]["Retry"] for name in tasks)
    assert states["SendToDLQ"]["Parameters"]["QueueUrl"] == dev.exports["dlq_url"]
    assert states["SendToDLQ"]["Next"] == "Failed"
    assert states["Failed"]["Type"] == "Fail"


@pytest.mark.parametrize(
    ("overrides", "workflow_type", "level"),
    [
        ({}, "STANDARD", "ERROR"),
        ({"activity-pipeline:workflowType": "EXPRESS"}, "EXPRESS", "ERROR"),
        (
            {
                "activity-pipeline:workflowType": "EXPRESS",
                "activity-pipeline:workflowLogLevel": "ALL",
            },
            "EXPRESS",
            "ALL",
        ),
    ],
)
def test_workflow_type_and_log_level_come_from_stack_config(
    deploy: Deploy, overrides: dict[str, str], workflow_type: str, level: str
) -> None:
    deployment = deploy("dev", overrides)
    inputs = deployment.find(STATE_MACHINE, "workflow-state-machine").inputs
    assert inputs["type"] == workflow_type
    assert inputs["loggingConfiguration"]["level"] == level
    assert inputs["loggingConfiguration"]["includeExecutionData"] is True
    assert deployment.exports["workflow_type"] == workflow_type


# -- storage ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stack", "force_destroy", "window", "noncurrent_days"),
    [("dev", True, 7, 30), ("prod", False, 30, 90)],
)
def test_raw_bucket_protections(
    stack_run: StackRun, stack: str, force_destroy: bool, window: int, noncurrent_days: int
) -> None:
    raw_days, rejected_days = {"dev": (30, 14), "prod": (400, 90)}[stack]
    deployment = stack_run(stack)
    bucket = deployment.find(BUCKET, "raw-storage-bucket")
    bucket_id, bucket_arn = bucket.id, bucket.state["arn"]
    key_arn = arn(deployment, KEY, "raw-storage-key")

    assert bucket.inputs == {
        "bucketPrefix": f"activity-pipeline-{stack}-raw-",
        "forceDestroy": force_destroy,
    }
    assert deployment.find(KEY, "raw-storage-key").inputs == {
        "description": f"activity-pipeline-{stack} raw event bucket (SSE-KMS)",
        "enableKeyRotation": True,
        "deletionWindowInDays": window,
    }
    assert deployment.find(ALIAS, "raw-storage-key-alias").inputs == {
        "name": f"alias/activity-pipeline-{stack}-raw",
        "targetKeyId": deployment.find(KEY, "raw-storage-key").state["keyId"],
    }
    s3 = "aws:s3/"
    assert deployment.find(
        f"{s3}bucketVersioning:BucketVersioning", "raw-storage-versioning"
    ).inputs == {
        "bucket": bucket_id,
        "versioningConfiguration": {"status": "Enabled"},
    }
    assert deployment.find(
        f"{s3}bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "raw-storage-encryption",
    ).inputs == {
        "bucket": bucket_id,
        "rules": [
            {
                "applyServerSideEncryptionByDefault": {
                    "sseAlgorithm": "aws:kms",
                    "kmsMasterKeyId": key_arn,
                },
                "bucketKeyEnabled": True,
            }
        ],
    }
    assert deployment.find(
        f"{s3}bucketPublicAccessBlock:BucketPublicAccessBlock", "raw-storage-public-access"
    ).inputs == {
        "bucket": bucket_id,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    assert deployment.find(
        f"{s3}bucketOwnershipControls:BucketOwnershipControls", "raw-storage-ownership"
    ).inputs == {"bucket": bucket_id, "rule": {"objectOwnership": "BucketOwnerEnforced"}}
    policy = deployment.find(f"{s3}bucketPolicy:BucketPolicy", "raw-storage-tls-only").inputs
    assert policy["bucket"] == bucket_id
    assert json.loads(policy["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    assert deployment.find(
        f"{s3}bucketLifecycleConfiguration:BucketLifecycleConfiguration", "raw-storage-lifecycle"
    ).inputs == {
        "bucket": bucket_id,
        "rules": [
            {
                "id": "expire-raw-objects",
                "status": "Enabled",
                "filter": {"prefix": "ingest/"},
                "expiration": {"days": raw_days},
            },
            {
                "id": "expire-rejected-objects",
                "status": "Enabled",
                "filter": {"prefix": "rejected/"},
                "expiration": {"days": rejected_days},
            },
            {
                "id": "expire-noncurrent-versions",
                "status": "Enabled",
                "filter": {},
                "noncurrentVersionExpiration": {"noncurrentDays": noncurrent_days},
            },
            {
                "id": "remove-expired-delete-markers",
                "status": "Enabled",
                "filter": {},
                "expiration": {"expiredObjectDeleteMarker": True},
            },
            {
                "id": "abort-incomplete-multipart-uploads",
                "status": "Enabled",
                "filter": {},
                "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
            },
        ],
    }


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("prod", True)])
def test_table_keys_and_settings(stack_run: StackRun, stack: str, protected: bool) -> None:
    deployment = stack_run(stack)
    assert deployment.find(TABLE, "processed-storage-table").inputs == {
        "name": f"activity-pipeline-{stack}-events",
        "billingMode": "PAY_PER_REQUEST",
        "hashKey": "user_id",
        "rangeKey": "event_time",
        "attributes": [{"name": "user_id", "type": "S"}, {"name": "event_time", "type": "S"}],
        "ttl": {"attributeName": "expires_at", "enabled": True},
        "pointInTimeRecovery": {"enabled": True},
        "serverSideEncryption": {"enabled": True},
        "deletionProtectionEnabled": protected,
    }


def test_prod_sizes_functions_and_logs_from_its_config(stack_run: StackRun) -> None:
    prod = stack_run("prod")
    inputs = prod.find(FUNCTION, "workflow-write").inputs
    assert (inputs["memorySize"], inputs["timeout"]) == (1024, 60)
    assert prod.find(LOG_GROUP, "workflow-write-logs").inputs["retentionInDays"] == 90
    assert prod.exports["function_names"]["write"] == "activity-pipeline-prod-write"


# -- monitoring ------------------------------------------------------------------------------


def alarms_by_metric(deployment: ProgramRun) -> dict[tuple[str, str], dict[str, Any]]:
    """(metric, its one dimension's value, or its namespace when it has none) -> inputs."""
    return {
        (
            a.inputs["metricName"],
            next(iter(a.inputs["dimensions"].values()))
            if "dimensions" in a.inputs
            else a.inputs["namespace"],
        ): a.inputs
        for a in deployment.of_type(ALARM)
    }


def test_alarms_cover_functions_executions_and_dlq(dev: ProgramRun) -> None:
    alarms = alarms_by_metric(dev)
    sm_arn, topic = dev.exports["state_machine_arn"], dev.exports["alarm_topic_arn"]
    expected = {
        *(
            (metric, f"{PREFIX}-{fn}")
            for fn in (*FUNCTIONS, "batch")
            for metric in ("Errors", "Throttles")
        ),
        ("ExecutionsFailed", sm_arn),
        ("ExecutionsTimedOut", sm_arn),
        ("ApproximateNumberOfMessagesVisible", f"{PREFIX}-dlq"),
        ("ExecutionsFailedWithoutDeadLetter", f"ActivityPipeline/{PREFIX}"),
        ("ApproximateAgeOfOldestMessage", f"{PREFIX}-buffer"),
        ("ApproximateNumberOfMessagesVisible", f"{PREFIX}-buffer-dlq"),
    }
    assert set(alarms) == expected
    age = alarms.pop(("ApproximateAgeOfOldestMessage", f"{PREFIX}-buffer"))
    # one visibility timeout (6 x 30 s + the 5 s window) plus the window
    assert (age["threshold"], age["statistic"]) == (6 * 30 + 5 + 5, "Maximum")
    assert age["dimensions"] == {"QueueName": f"{PREFIX}-buffer"}
    assert age["alarmActions"] == [topic]
    log_filter = dev.find(
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "monitoring-executions-failed-no-dlq-filter",
    ).inputs
    assert log_filter["logGroupName"] == f"/aws/vendedlogs/states/{PREFIX}-workflow"
    assert log_filter["metricTransformation"]["namespace"] == f"ActivityPipeline/{PREFIX}"
    dimension_names = {
        key: next(iter(a["dimensions"])) for key, a in alarms.items() if "dimensions" in a
    }
    assert dimension_names[("Errors", f"{PREFIX}-ingest")] == "FunctionName"
    assert dimension_names[("ExecutionsFailed", sm_arn)] == "StateMachineArn"
    assert dimension_names[("ApproximateNumberOfMessagesVisible", f"{PREFIX}-dlq")] == "QueueName"
    for alarm in alarms.values():
        assert alarm["alarmActions"] == [topic]
        assert alarm["okActions"] == [topic]
        assert alarm["treatMissingData"] == "notBreaching"
        assert alarm["threshold"] == 0
        assert alarm["comparisonOperator"] == "GreaterThanThreshold"


def test_alarm_topic_is_encrypted_with_a_key_cloudwatch_can_use(dev: ProgramRun) -> None:
    topic = dev.find(TOPIC, "monitoring-topic").inputs
    assert topic == {
        "name": f"{PREFIX}-alarms",
        "kmsMasterKeyId": arn(dev, KEY, "monitoring-topic-key"),
    }
    key = dev.find(KEY, "monitoring-topic-key").inputs
    assert key["enableKeyRotation"] is True
    statements = json.loads(key["policy"])["Statement"]
    assert statements[0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    assert statements[1] == {
        "Sid": "CloudWatchAlarmsPublish",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
    }


def test_no_email_subscription_without_alarm_email(dev: ProgramRun) -> None:
    assert dev.of_type(SUBSCRIPTION) == []


def test_alarm_email_subscribes_to_the_topic(deploy: Deploy) -> None:
    deployment = deploy("dev", {"activity-pipeline:alarmEmail": "ops@example.com"})
    assert deployment.find(SUBSCRIPTION, "monitoring-email").inputs == {
        "topic": deployment.exports["alarm_topic_arn"],
        "protocol": "email",
        "endpoint": "ops@example.com",
    }


def test_dashboard(dev: ProgramRun) -> None:
    inputs = dev.find(DASHBOARD, "monitoring-dashboard").inputs
    assert inputs["dashboardName"] == PREFIX
    body = json.loads(inputs["dashboardBody"])
    metrics = [m for w in body["widgets"] for m in w["properties"]["metrics"]]
    assert ["ActivityPipeline", "EventsWritten", "service", PREFIX] in metrics
    assert [
        "AWS/States",
        "ExecutionsFailed",
        "StateMachineArn",
        dev.exports["state_machine_arn"],
    ] in (metrics)
    assert {w["properties"]["region"] for w in body["widgets"]} == {"us-east-1"}
    assert ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", f"{PREFIX}-buffer"] in [
        m[:4] for m in metrics
    ]
    assert ["ActivityPipeline", "BatchEvents", "service", PREFIX] in [m[:4] for m in metrics]


# -- config errors surface -------------------------------------------------------------------


def test_bad_config_fails_the_program_with_the_key(deploy: Deploy) -> None:
    with pytest.raises(ValueError, match="activity-pipeline:lambdaArchitecture"):
        deploy("dev", {"activity-pipeline:lambdaArchitecture": "sparc"})
