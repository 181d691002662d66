"""Policy builders: exact documents for exact ARNs (no Pulumi)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from components.builders import arns, policies

BUCKET = "arn:aws:s3:::activity-pipeline-dev-raw-abc"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/activity-pipeline-dev-events"
LOGS = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/activity-pipeline-dev-ingest"
DLQ = "arn:aws:sqs:us-east-1:123456789012:activity-pipeline-dev-dlq"
FN = "arn:aws:lambda:us-east-1:123456789012:function:activity-pipeline-dev-"
SUPPRESSION = "arn:aws:dynamodb:us-east-1:123456789012:table/activity-pipeline-dev-suppression"
SALT = "arn:aws:secretsmanager:us-east-1:123456789012:secret:activity-pipeline-dev-salt-AbC123"
PRIVACY = {"suppression_table_arn": SUPPRESSION, "salt_secret_arn": SALT}

OWN_LOGS = {
    "Sid": "WriteOwnLogGroup",
    "Effect": "Allow",
    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": [LOGS, f"{LOGS}:log-stream:*"],
}


def actions(document: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for statement in document["Statement"]:
        action = statement["Action"]
        found += [action] if isinstance(action, str) else action
    return found


def test_ingest_may_only_create_raw_objects_encrypt_read_the_suppression_list_and_log() -> None:
    assert policies.ingest_policy(
        bucket_arn=BUCKET, kms_key_arn=KEY, log_group_arn=LOGS, **PRIVACY
    ) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PutRawObjects",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [f"{BUCKET}/ingest/*"],
                "Condition": {"Null": {"s3:if-none-match": "false"}},
            },
            {
                "Sid": "EncryptWithBucketKey",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey"],
                "Resource": [KEY],
            },
            {
                "Sid": "LookUpSuppressedUsers",
                "Effect": "Allow",
                "Action": ["dynamodb:BatchGetItem"],
                "Resource": [SUPPRESSION],
            },
            {
                "Sid": "ReadSuppressionSalt",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [SALT],
            },
            {
                "Sid": "DecryptSuppressionSalt",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [KEY],
            },
            OWN_LOGS,
        ],
    }


def test_operator_erasure_policy_is_exact() -> None:
    document = policies.operator_erasure_policy(
        bucket_arn=BUCKET, kms_key_arn=KEY, table_arn=TABLE, **PRIVACY
    )
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListLayersAndVersions",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:ListBucketVersions"],
                "Resource": [BUCKET],
                "Condition": {"StringLike": {"s3:prefix": ["ingest/*", "rejected/*", "erasure/*"]}},
            },
            {
                "Sid": "RewriteLayerObjectsAndDeleteTheirVersions",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:PutObject",
                    "s3:DeleteObjectVersion",
                ],
                "Resource": [f"{BUCKET}/ingest/*", f"{BUCKET}/rejected/*"],
            },
            {
                "Sid": "KeepErasureReceipts",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [f"{BUCKET}/erasure/*"],
            },
            {
                "Sid": "UseBucketKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": [KEY],
            },
            {
                "Sid": "DeleteUsersItems",
                "Effect": "Allow",
                "Action": ["dynamodb:Query", "dynamodb:BatchWriteItem"],
                "Resource": [TABLE],
            },
            {
                "Sid": "SuppressUsers",
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem"],
                "Resource": [SUPPRESSION],
            },
            {
                "Sid": "ReadSuppressionSalt",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [SALT],
            },
        ],
    }
    # the functions' roles gain nothing for erasure
    for role in (
        policies.ingest_policy(bucket_arn=BUCKET, kms_key_arn=KEY, log_group_arn=LOGS, **PRIVACY),
        policies.process_policy(bucket_arn=BUCKET, kms_key_arn=KEY, log_group_arn=LOGS),
        policies.write_policy(
            table_arn=TABLE, bucket_arn=BUCKET, kms_key_arn=KEY, log_group_arn=LOGS
        ),
    ):
        granted = set(actions(role))
        assert not granted & {"s3:DeleteObjectVersion", "s3:GetObjectVersion", "dynamodb:Query"}
        assert not granted & {"dynamodb:BatchWriteItem", "s3:ListBucketVersions"}
        assert "erasure/" not in str(role)


@pytest.mark.parametrize("bad", ["*", "arn:aws:dynamodb:us-east-1:123456789012:table/*", ""])
def test_privacy_arns_must_be_exact(bad: str) -> None:
    with pytest.raises(ValueError, match="must be an exact ARN"):
        policies.ingest_policy(
            bucket_arn=BUCKET,
            kms_key_arn=KEY,
            log_group_arn=LOGS,
            **(PRIVACY | {"suppression_table_arn": bad}),
        )
    with pytest.raises(ValueError, match="must be an exact ARN"):
        policies.operator_erasure_policy(
            bucket_arn=BUCKET,
            kms_key_arn=KEY,
            table_arn=TABLE,
            **(PRIVACY | {"salt_secret_arn": bad}),
        )


def test_process_reads_raw_writes_rejected_and_uses_key() -> None:
    assert policies.process_policy(bucket_arn=BUCKET, kms_key_arn=KEY, log_group_arn=LOGS) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadRawObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject"],
                "Resource": [f"{BUCKET}/ingest/*"],
            },
            {
                "Sid": "PutRejectedObjects",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [f"{BUCKET}/rejected/*"],
            },
            {
                "Sid": "UseBucketKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": [KEY],
            },
            OWN_LOGS,
        ],
    }


def test_write_may_only_put_items_record_conflicts_and_log() -> None:
    document = policies.write_policy(
        table_arn=TABLE, bucket_arn=BUCKET, kms_key_arn=KEY, log_group_arn=LOGS
    )
    assert document == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PutCuratedItems",
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem"],
                "Resource": [TABLE],
            },
            {
                "Sid": "PutConflictObjects",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [f"{BUCKET}/rejected/*"],
            },
            {
                "Sid": "EncryptWithBucketKey",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey"],
                "Resource": [KEY],
            },
            OWN_LOGS,
        ],
    }


def test_state_machine_invokes_exact_functions_sends_to_dlq_and_delivers_logs() -> None:
    arns = [f"{FN}ingest", f"{FN}process", f"{FN}write"]
    assert policies.state_machine_policy(function_arns=arns, dlq_arn=DLQ) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokePipelineFunctions",
                "Effect": "Allow",
                "Action": ["lambda:InvokeFunction"],
                "Resource": [
                    f"{FN}ingest",
                    f"{FN}ingest:*",
                    f"{FN}process",
                    f"{FN}process:*",
                    f"{FN}write",
                    f"{FN}write:*",
                ],
            },
            {
                "Sid": "SendToDeadLetterQueue",
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": [DLQ],
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


def test_recovery_state_machine_invokes_exact_functions_and_has_no_dlq() -> None:
    arns = [f"{FN}ingest", f"{FN}process", f"{FN}write"]
    main = policies.state_machine_policy(function_arns=arns, dlq_arn=DLQ)
    recovery = policies.recovery_state_machine_policy(function_arns=arns)
    invoke, send, logs = main["Statement"]
    assert send["Action"] == ["sqs:SendMessage"]
    assert recovery == {"Version": "2012-10-17", "Statement": [invoke, logs]}
    with pytest.raises(ValueError, match="at least one function"):
        policies.recovery_state_machine_policy(function_arns=[])


@pytest.mark.parametrize(
    "document",
    [
        policies.ingest_policy(bucket_arn=BUCKET, kms_key_arn=KEY, log_group_arn=LOGS, **PRIVACY),
        policies.process_policy(bucket_arn=BUCKET, kms_key_arn=KEY, log_group_arn=LOGS),
        policies.write_policy(
            table_arn=TABLE, bucket_arn=BUCKET, kms_key_arn=KEY, log_group_arn=LOGS
        ),
        policies.state_machine_policy(function_arns=[f"{FN}ingest"], dlq_arn=DLQ),
        policies.recovery_state_machine_policy(function_arns=[f"{FN}ingest"]),
    ],
)
def test_role_policies_have_no_wildcard_actions(document: dict[str, Any]) -> None:
    assert all("*" not in action for action in actions(document))


def test_only_log_delivery_is_granted_on_star() -> None:
    document = policies.state_machine_policy(function_arns=[f"{FN}ingest"], dlq_arn=DLQ)
    star = [s for s in document["Statement"] if "*" in s["Resource"]]
    assert star == [document["Statement"][-1]]
    assert star[0]["Sid"] == "DeliverExecutionLogs"
    assert all(action.startswith("logs:") for action in star[0]["Action"])


@pytest.mark.parametrize("bad", ["*", "arn:aws:s3:::*", "my-bucket", ""])
def test_builders_refuse_anything_but_an_exact_arn(bad: str) -> None:
    with pytest.raises(ValueError, match="must be an exact ARN"):
        policies.ingest_policy(bucket_arn=bad, kms_key_arn=KEY, log_group_arn=LOGS, **PRIVACY)
    with pytest.raises(ValueError, match="must be an exact ARN"):
        policies.write_policy(
            table_arn=TABLE, bucket_arn=BUCKET, kms_key_arn=KEY, log_group_arn=bad
        )
    with pytest.raises(ValueError, match="must be an exact ARN"):
        policies.state_machine_policy(function_arns=[bad], dlq_arn=DLQ)


def test_state_machine_policy_needs_functions() -> None:
    with pytest.raises(ValueError, match="at least one function"):
        policies.state_machine_policy(function_arns=[], dlq_arn=DLQ)


def test_tls_only_bucket_policy_denies_insecure_transport_on_bucket_and_objects() -> None:
    assert policies.tls_only_bucket_policy(BUCKET) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [BUCKET, f"{BUCKET}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def test_assume_role_policies() -> None:
    assert policies.service_assume_role_policy("lambda.amazonaws.com") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    states = policies.service_assume_role_policy("states.amazonaws.com", "123456789012")
    assert states["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": "123456789012"}
    }


def test_alarm_topic_key_policy_lets_root_administer_and_cloudwatch_publish() -> None:
    assert policies.alarm_topic_key_policy(partition="aws", account_id="123456789012") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountRootAdministersKey",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            },
        ],
    }


def test_alarm_topic_key_policy_needs_an_account_id() -> None:
    with pytest.raises(ValueError, match="12 digits"):
        policies.alarm_topic_key_policy(partition="aws", account_id="root")


def test_prefix_arns() -> None:
    assert arns.ingest_prefix_arn(BUCKET) == f"{BUCKET}/ingest/*"
    assert arns.rejected_prefix_arn(BUCKET) == f"{BUCKET}/rejected/*"


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:states:us-east-1:123456789012:stateMachine:*",
        "arn:aws:states:us-east-1:123456789012:execution:x:y",
        "*",
        "arn:aws:lambda:us-east-1:123456789012:function:x",
    ],
)
def test_start_execution_policy_refuses_anything_but_one_state_machine(arn: str) -> None:
    with pytest.raises(ValueError, match="state_machine_arn must be an exact ARN"):
        policies.start_execution_policy(arn)


def test_dlq_policy_refuses_wildcards() -> None:
    queue = "arn:aws:sqs:us-east-1:123456789012:q"
    with pytest.raises(ValueError, match="rule_arn"):
        policies.entry_dlq_policy(
            queue_arn=queue, rule_arn="arn:aws:events:us-east-1:123456789012:rule/*"
        )
    with pytest.raises(ValueError, match="queue_arn"):
        policies.entry_dlq_policy(queue_arn="*", rule_arn="arn:aws:events:us-east-1:1:rule/b/r")


ANALYST_ARNS = {
    "workgroup_arn": "arn:aws:athena:us-east-1:123456789012:workgroup/wg",
    "catalog_arn": "arn:aws:glue:us-east-1:123456789012:catalog",
    "database_arn": "arn:aws:glue:us-east-1:123456789012:database/db",
    "table_arns": ["arn:aws:glue:us-east-1:123456789012:table/db/raw_events"],
    "raw_bucket_arn": "arn:aws:s3:::raw",
    "results_bucket_arn": "arn:aws:s3:::results",
    "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/k",
    "curated_bucket_arn": "arn:aws:s3:::curated",
}


def test_analyst_policy_refuses_wildcards_and_empty_tables() -> None:
    assert policies.analyst_policy(**ANALYST_ARNS)["Version"] == "2012-10-17"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="workgroup_arn must be an exact ARN"):
        policies.analyst_policy(**(ANALYST_ARNS | {"workgroup_arn": "arn:aws:athena:*"}))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="table_arns must name at least one table"):
        policies.analyst_policy(**(ANALYST_ARNS | {"table_arns": []}))  # type: ignore[arg-type]


CURATED = policies.CuratedErasureArns(
    workgroup_arn="arn:aws:athena:us-east-1:123456789012:workgroup/activity-pipeline-dev",
    catalog_arn="arn:aws:glue:us-east-1:123456789012:catalog",
    database_arn="arn:aws:glue:us-east-1:123456789012:database/activity_pipeline_dev",
    table_arn="arn:aws:glue:us-east-1:123456789012:table/activity_pipeline_dev/curated_events",
    bucket_arn="arn:aws:s3:::activity-pipeline-dev-curated-abc",
    results_bucket_arn="arn:aws:s3:::activity-pipeline-dev-athena-results-abc",
    stream_arn="arn:aws:firehose:us-east-1:123456789012:deliverystream/activity-pipeline-dev-curated",
)


def test_operator_erasure_policy_with_the_curated_table_adds_exactly_its_statements() -> None:
    base = policies.operator_erasure_policy(
        bucket_arn=BUCKET, kms_key_arn=KEY, table_arn=TABLE, **PRIVACY
    )
    document = policies.operator_erasure_policy(
        bucket_arn=BUCKET, kms_key_arn=KEY, table_arn=TABLE, curated=CURATED, **PRIVACY
    )
    added = document["Statement"][len(base["Statement"]) :]
    assert document["Statement"][: len(base["Statement"])] == base["Statement"]
    assert added == policies.curated_erasure_statements(CURATED)
    assert [(s["Sid"], s["Action"], s["Resource"]) for s in added] == [
        (
            "EraseCuratedRowsInTheWorkgroup",
            ["athena:GetQueryExecution", "athena:GetQueryResults", "athena:StartQueryExecution"],
            [CURATED.workgroup_arn],
        ),
        (
            "CommitTheCuratedTable",
            ["glue:GetDatabase", "glue:GetTable", "glue:UpdateTable"],
            [CURATED.catalog_arn, CURATED.database_arn, CURATED.table_arn],
        ),
        (
            "ListTheCuratedTableAndVersions",
            ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketVersions"],
            [CURATED.bucket_arn],
        ),
        (
            "RewriteCuratedFilesAndDeleteTheirVersions",
            [
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                "s3:AbortMultipartUpload",
            ],
            [f"{CURATED.bucket_arn}/curated_events/*"],
        ),
        (
            "UseTheResultsBucket",
            ["s3:GetBucketLocation", "s3:ListBucket"],
            [CURATED.results_bucket_arn],
        ),
        (
            "WriteQueryResults",
            ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            [f"{CURATED.results_bucket_arn}/*"],
        ),
        ("ReadTheBufferingInterval", ["firehose:DescribeDeliveryStream"], [CURATED.stream_arn]),
    ]


def test_curated_erasure_arns_are_checked() -> None:
    with pytest.raises(ValueError, match="stream_arn"):
        replace(CURATED, stream_arn="arn:aws:kinesis:us-east-1:123456789012:stream/x")
