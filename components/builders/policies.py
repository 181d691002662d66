"""Every IAM and resource policy document of the program, built as plain dicts from plain ARNs.

Pure (no Pulumi), so every document can be unit-tested for exact equality. Components call these
inside `Output.all(...).apply(...)` and serialise with `Output.json_dumps`. Every `Resource` is an
exact ARN or an exact ARN plus a fixed suffix; the one exception (Step Functions log delivery) is
named where it is built. In a key policy `"Resource": "*"` means the key itself.

- the functions' roles (Ingest, Process, Write) and the two state machines' roles;
- the operator erasure policy (`ops forget`): attach it to the operators who erase users — the
  raw and rejected layers with their versions, the erasure receipts, the two tables, the salt;
- the buckets' TLS-only policy and the alarm topic's key policy;
- the entry points: the HTTP API's and the EventBridge rule's role (start exactly the main state
  machine) and the entry DLQ's resource policy (only EventBridge, only for the one rule);
- the entry buffer: the HTTP API's role (send to exactly the buffer), the Batch function's role
  (receive from and delete on the buffer, start exactly the main state machine), the buffer's
  queue policy (only EventBridge, only for the one rule) and its key's policy;
- the analyst policy: attach it to the people or roles who run the named queries — exactly one
  workgroup, one Glue database and its three tables, reads of the raw layer's `ingest/` and
  `rejected/` prefixes and of the curated table's files, the results bucket, and the stack's key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from components.builders.arns import (
    erasure_prefix_arn,
    ingest_prefix_arn,
    rejected_prefix_arn,
    require_arn,
)

PolicyDocument = dict[str, Any]
Statement = dict[str, Any]

VERSION: Final = "2012-10-17"

# Step Functions' CloudWatch Logs delivery uses these vended-log APIs, which AWS documents as not
# supporting resource-level permissions: they must be granted on "*" (Step Functions developer
# guide, "IAM policies for logging to CloudWatch Logs").
SFN_LOG_DELIVERY_ACTIONS: Final = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)


ATHENA_QUERY_ACTIONS: Final = (
    "athena:BatchGetNamedQuery",
    "athena:GetNamedQuery",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetWorkGroup",
    "athena:ListNamedQueries",
    "athena:ListQueryExecutions",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
)
GLUE_READ_ACTIONS: Final = ("glue:GetDatabase", "glue:GetPartitions", "glue:GetTable")
# The curated Iceberg table's files in its bucket (components/builders/curated.TABLE_PREFIX).
CURATED_TABLE_PREFIX: Final = "curated_events/"


def document(*statements: Statement) -> PolicyDocument:
    return {"Version": VERSION, "Statement": list(statements)}


def service_assume_role_policy(
    service: str, source_account: str | None = None, *, account_key: str = "aws:SourceAccount"
) -> PolicyDocument:
    """Trust policy for a service principal, optionally pinned to one account (confused deputy)
    by the condition key the service documents sending: `aws:SourceAccount`, or `sts:ExternalId`
    holding the account id (Firehose)."""
    statement: Statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account is not None:
        statement["Condition"] = {"StringEquals": {account_key: source_account}}
    return document(statement)


def own_log_group_statement(log_group_arn: str) -> Statement:
    """A function writes only to its own log group (which exists already: no CreateLogGroup)."""
    require_arn(log_group_arn, "log_group_arn", service="logs", resource="log-group:")
    return {
        "Sid": "WriteOwnLogGroup",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
    }


def ingest_policy(
    *,
    bucket_arn: str,
    kms_key_arn: str,
    log_group_arn: str,
    suppression_table_arn: str,
    salt_secret_arn: str,
) -> PolicyDocument:
    """Conditional creates of raw objects; reads of exactly the suppression list and its salt (a
    suppressed user's events are stored as content-free markers)."""
    require_arn(bucket_arn, "bucket_arn", service="s3")
    require_arn(kms_key_arn, "kms_key_arn", service="kms", resource="key/")
    require_arn(
        suppression_table_arn, "suppression_table_arn", service="dynamodb", resource="table/"
    )
    require_arn(salt_secret_arn, "salt_secret_arn", service="secretsmanager", resource="secret:")
    return document(
        {
            # Conditional creates only (If-None-Match: *): a stored raw object is never replaced.
            # Amazon S3 User Guide, "Enforce conditional writes on Amazon S3 buckets".
            "Sid": "PutRawObjects",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": [ingest_prefix_arn(bucket_arn)],
            "Condition": {"Null": {"s3:if-none-match": "false"}},
        },
        {
            "Sid": "EncryptWithBucketKey",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey"],
            "Resource": [kms_key_arn],
        },
        {
            "Sid": "LookUpSuppressedUsers",
            "Effect": "Allow",
            "Action": ["dynamodb:BatchGetItem"],
            "Resource": [suppression_table_arn],
        },
        {
            # GetSecretValue of a secret encrypted with a customer managed key needs the
            # caller's kms:Decrypt on it (Secrets Manager user guide, "Secret encryption and
            # decryption in AWS Secrets Manager").
            "Sid": "ReadSuppressionSalt",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [salt_secret_arn],
        },
        {
            "Sid": "DecryptSuppressionSalt",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": [kms_key_arn],
        },
        own_log_group_statement(log_group_arn),
    )


def process_policy(*, bucket_arn: str, kms_key_arn: str, log_group_arn: str) -> PolicyDocument:
    require_arn(bucket_arn, "bucket_arn", service="s3")
    require_arn(kms_key_arn, "kms_key_arn", service="kms", resource="key/")
    return document(
        {
            "Sid": "ReadRawObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [ingest_prefix_arn(bucket_arn)],
        },
        {
            "Sid": "PutRejectedObjects",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": [rejected_prefix_arn(bucket_arn)],
        },
        {
            "Sid": "UseBucketKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": [kms_key_arn],
        },
        own_log_group_statement(log_group_arn),
    )


def write_policy(
    *,
    table_arn: str,
    bucket_arn: str,
    kms_key_arn: str,
    log_group_arn: str,
    curated_stream_arn: str | None = None,
) -> PolicyDocument:
    """Conditional PutItem on the table (first write wins, no read); conflicting duplicates are
    written under rejected/ (encrypted with the bucket's key); with the curated table, the items
    go to exactly its Firehose stream (the stream has no SSE of its own: no key to grant)."""
    require_arn(table_arn, "table_arn", service="dynamodb", resource="table/")
    require_arn(bucket_arn, "bucket_arn", service="s3")
    require_arn(kms_key_arn, "kms_key_arn", service="kms", resource="key/")
    curated: list[Statement] = []
    if curated_stream_arn is not None:
        require_arn(
            curated_stream_arn, "curated_stream_arn", service="firehose", resource="deliverystream/"
        )
        curated.append(
            {
                "Sid": "FeedTheCuratedTable",
                "Effect": "Allow",
                "Action": ["firehose:PutRecordBatch"],
                "Resource": [curated_stream_arn],
            }
        )
    return document(
        {
            "Sid": "PutCuratedItems",
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem"],
            "Resource": [table_arn],
        },
        {
            "Sid": "PutConflictObjects",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": [rejected_prefix_arn(bucket_arn)],
        },
        {
            "Sid": "EncryptWithBucketKey",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey"],
            "Resource": [kms_key_arn],
        },
        *curated,
        own_log_group_statement(log_group_arn),
    )


# Athena on the curated Iceberg table for `ops forget`: DELETE, OPTIMIZE, ALTER TABLE SET
# TBLPROPERTIES and VACUUM read and commit the table through Glue (GetTable, UpdateTable), write
# and delete its files under the caller's credentials (VACUUM deletes nothing without
# s3:DeleteObject: Athena user guide, "VACUUM"), and write results to the workgroup's location.
CURATED_ERASURE_ATHENA_ACTIONS: Final = (
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:StartQueryExecution",
)
CURATED_ERASURE_GLUE_ACTIONS: Final = ("glue:GetDatabase", "glue:GetTable", "glue:UpdateTable")


@dataclass(frozen=True)
class CuratedErasureArns:
    """What the curated table's erasure acts on (the analytics stack's resources)."""

    workgroup_arn: str
    catalog_arn: str
    database_arn: str
    table_arn: str
    bucket_arn: str
    results_bucket_arn: str
    stream_arn: str

    def __post_init__(self) -> None:
        require_arn(self.workgroup_arn, "workgroup_arn", service="athena", resource="workgroup/")
        require_arn(self.catalog_arn, "catalog_arn", service="glue", resource="catalog")
        require_arn(self.database_arn, "database_arn", service="glue", resource="database/")
        require_arn(self.table_arn, "curated table_arn", service="glue", resource="table/")
        require_arn(self.bucket_arn, "curated bucket_arn", service="s3")
        require_arn(self.results_bucket_arn, "results_bucket_arn", service="s3")
        require_arn(
            self.stream_arn, "curated stream_arn", service="firehose", resource="deliverystream/"
        )


def curated_erasure_statements(curated: CuratedErasureArns) -> list[Statement]:
    files = f"{curated.bucket_arn}/{CURATED_TABLE_PREFIX}*"
    return [
        {
            "Sid": "EraseCuratedRowsInTheWorkgroup",
            "Effect": "Allow",
            "Action": list(CURATED_ERASURE_ATHENA_ACTIONS),
            "Resource": [curated.workgroup_arn],
        },
        {
            "Sid": "CommitTheCuratedTable",
            "Effect": "Allow",
            "Action": list(CURATED_ERASURE_GLUE_ACTIONS),
            "Resource": [curated.catalog_arn, curated.database_arn, curated.table_arn],
        },
        {
            "Sid": "ListTheCuratedTableAndVersions",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketVersions"],
            "Resource": [curated.bucket_arn],
            "Condition": {"StringLike": {"s3:prefix": [f"{CURATED_TABLE_PREFIX}*"]}},
        },
        {
            "Sid": "RewriteCuratedFilesAndDeleteTheirVersions",
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                "s3:AbortMultipartUpload",
            ],
            "Resource": [files],
        },
        {
            "Sid": "UseTheResultsBucket",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
            "Resource": [curated.results_bucket_arn],
        },
        {
            "Sid": "WriteQueryResults",
            "Effect": "Allow",
            "Action": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            "Resource": [f"{curated.results_bucket_arn}/*"],
        },
        {
            "Sid": "ReadTheBufferingInterval",
            "Effect": "Allow",
            "Action": ["firehose:DescribeDeliveryStream"],
            "Resource": [curated.stream_arn],
        },
    ]


def operator_erasure_policy(
    *,
    bucket_arn: str,
    kms_key_arn: str,
    table_arn: str,
    suppression_table_arn: str,
    salt_secret_arn: str,
    curated: CuratedErasureArns | None = None,
) -> PolicyDocument:
    """What `ops forget` needs, on exact ARNs: find and rewrite the raw and rejected objects
    holding a user's events, read and delete every version of them, keep receipts and progress
    records under `erasure/` (which nothing else may read), delete the user's items, add the
    user's salted hash to the suppression list; with the curated table, erase its rows through
    Athena (the stack's key, already granted, encrypts its bucket too). The functions' roles hold
    none of it."""
    require_arn(bucket_arn, "bucket_arn", service="s3")
    require_arn(kms_key_arn, "kms_key_arn", service="kms", resource="key/")
    require_arn(table_arn, "table_arn", service="dynamodb", resource="table/")
    require_arn(
        suppression_table_arn, "suppression_table_arn", service="dynamodb", resource="table/"
    )
    require_arn(salt_secret_arn, "salt_secret_arn", service="secretsmanager", resource="secret:")
    layers = [ingest_prefix_arn(bucket_arn), rejected_prefix_arn(bucket_arn)]
    return document(
        {
            "Sid": "ListLayersAndVersions",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:ListBucketVersions"],
            "Resource": [bucket_arn],
            "Condition": {"StringLike": {"s3:prefix": ["ingest/*", "rejected/*", "erasure/*"]}},
        },
        {
            # GetObjectVersion/DeleteObjectVersion: the actions S3 authorizes a request naming a
            # versionId with (Service Authorization Reference, Amazon S3).
            "Sid": "RewriteLayerObjectsAndDeleteTheirVersions",
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:DeleteObjectVersion",
            ],
            "Resource": layers,
        },
        {
            "Sid": "KeepErasureReceipts",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": [erasure_prefix_arn(bucket_arn)],
        },
        {
            "Sid": "UseBucketKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": [kms_key_arn],
        },
        {
            "Sid": "DeleteUsersItems",
            "Effect": "Allow",
            "Action": ["dynamodb:Query", "dynamodb:BatchWriteItem"],
            "Resource": [table_arn],
        },
        {
            "Sid": "SuppressUsers",
            "Effect": "Allow",
            "Action": ["dynamodb:PutItem"],
            "Resource": [suppression_table_arn],
        },
        {
            "Sid": "ReadSuppressionSalt",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [salt_secret_arn],
        },
        *(curated_erasure_statements(curated) if curated is not None else []),
    )


def state_machine_policy(*, function_arns: Sequence[str], dlq_arn: str) -> PolicyDocument:
    """The main state machine: invoke the functions, send to its DLQ, deliver its logs."""
    require_arn(dlq_arn, "dlq_arn", service="sqs")
    return document(
        _invoke_functions_statement(function_arns),
        {
            "Sid": "SendToDeadLetterQueue",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": [dlq_arn],
        },
        _log_delivery_statement(),
    )


def recovery_state_machine_policy(*, function_arns: Sequence[str]) -> PolicyDocument:
    """The recovery state machine: invoke the functions and deliver its logs — no DLQ."""
    return document(_invoke_functions_statement(function_arns), _log_delivery_statement())


def _invoke_functions_statement(function_arns: Sequence[str]) -> Statement:
    if not function_arns:
        raise ValueError("function_arns must name at least one function")
    invoke_resources: list[str] = []
    for arn in function_arns:
        require_arn(arn, "function_arns", service="lambda", resource="function:")
        invoke_resources += [arn, f"{arn}:*"]  # the function, and its versions/aliases
    return {
        "Sid": "InvokePipelineFunctions",
        "Effect": "Allow",
        "Action": ["lambda:InvokeFunction"],
        "Resource": invoke_resources,
    }


def _log_delivery_statement() -> Statement:
    # The only "*" resource in the project: log delivery is unscopable (see
    # SFN_LOG_DELIVERY_ACTIONS).
    return {
        "Sid": "DeliverExecutionLogs",
        "Effect": "Allow",
        "Action": list(SFN_LOG_DELIVERY_ACTIONS),
        "Resource": "*",
    }


def tls_only_bucket_policy(bucket_arn: str) -> PolicyDocument:
    require_arn(bucket_arn, "bucket_arn", service="s3")
    return document(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )


def alarm_topic_key_policy(*, partition: str, account_id: str) -> PolicyDocument:
    """Key policy for the alarm topic's KMS key.

    In a key policy `"Resource": "*"` means "this key". The root statement is AWS's default key
    policy (it delegates access to IAM and keeps the key manageable); CloudWatch alarms publish to
    an encrypted topic only if the key lets cloudwatch.amazonaws.com decrypt and generate data keys
    - which the AWS-managed `aws/sns` key never does, hence a customer-managed key.
    """
    if not account_id.isdigit() or len(account_id) != 12:
        raise ValueError(f"account_id must be 12 digits, got {account_id!r}")
    return document(
        {
            "Sid": "AccountRootAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
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
    )


def start_execution_policy(state_machine_arn: str) -> PolicyDocument:
    """The API's and the rule's role: start exactly this state machine, nothing else."""
    require_arn(state_machine_arn, "state_machine_arn", service="states", resource="stateMachine:")
    return document(
        {
            "Sid": "StartPipelineExecution",
            "Effect": "Allow",
            "Action": ["states:StartExecution"],
            "Resource": [state_machine_arn],
        }
    )


def entry_dlq_policy(*, queue_arn: str, rule_arn: str) -> PolicyDocument:
    """Only EventBridge, and only for this rule, may send failed deliveries to the queue."""
    require_arn(queue_arn, "queue_arn", service="sqs")
    require_arn(rule_arn, "rule_arn", service="events", resource="rule/")
    return document(
        {
            "Sid": "EventBridgeRuleDeadLetters",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }
    )


def analyst_policy(
    *,
    workgroup_arn: str,
    catalog_arn: str,
    database_arn: str,
    table_arns: Sequence[str],
    raw_bucket_arn: str,
    results_bucket_arn: str,
    kms_key_arn: str,
    curated_bucket_arn: str,
) -> PolicyDocument:
    """`table_arns` hold the raw layer's two tables and the curated Iceberg table, whose files
    (data, deletes, metadata) are under `curated_events/` in the curated bucket."""
    require_arn(workgroup_arn, "workgroup_arn", service="athena", resource="workgroup/")
    require_arn(catalog_arn, "catalog_arn", service="glue", resource="catalog")
    require_arn(database_arn, "database_arn", service="glue", resource="database/")
    for arn in table_arns:
        require_arn(arn, "table_arns", service="glue", resource="table/")
    require_arn(raw_bucket_arn, "raw_bucket_arn", service="s3")
    require_arn(results_bucket_arn, "results_bucket_arn", service="s3")
    require_arn(kms_key_arn, "kms_key_arn", service="kms", resource="key/")
    require_arn(curated_bucket_arn, "curated_bucket_arn", service="s3")
    if not table_arns:
        raise ValueError("table_arns must name at least one table")
    return document(
        {
            "Sid": "RunQueriesInTheWorkgroup",
            "Effect": "Allow",
            "Action": list(ATHENA_QUERY_ACTIONS),
            "Resource": [workgroup_arn],
        },
        {
            "Sid": "ReadTheCatalogTables",
            "Effect": "Allow",
            "Action": list(GLUE_READ_ACTIONS),
            "Resource": [catalog_arn, database_arn, *table_arns],
        },
        {
            "Sid": "LocateTheRawBucket",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation"],
            "Resource": [raw_bucket_arn],
        },
        {
            "Sid": "ListTheRawLayer",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [raw_bucket_arn],
            "Condition": {"StringLike": {"s3:prefix": ["ingest/*", "rejected/*"]}},
        },
        {
            "Sid": "ReadTheRawLayer",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [ingest_prefix_arn(raw_bucket_arn), rejected_prefix_arn(raw_bucket_arn)],
        },
        {
            "Sid": "ListTheCuratedTable",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
            "Resource": [curated_bucket_arn],
            "Condition": {"StringLike": {"s3:prefix": [f"{CURATED_TABLE_PREFIX}*"]}},
        },
        {
            "Sid": "ReadTheCuratedTable",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [f"{curated_bucket_arn}/{CURATED_TABLE_PREFIX}*"],
        },
        {
            "Sid": "UseTheResultsBucket",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
            "Resource": [results_bucket_arn],
        },
        {
            "Sid": "ReadAndWriteQueryResults",
            "Effect": "Allow",
            "Action": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            "Resource": [f"{results_bucket_arn}/*"],
        },
        {
            "Sid": "UseTheRawBucketKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": [kms_key_arn],
        },
    )


# SQS server-side encryption with a customer managed key (SQS developer guide, "Amazon SQS Key
# management", "Configuring AWS KMS permissions"): a producer needs kms:GenerateDataKey and
# kms:Decrypt on the key, a consumer kms:Decrypt.
SQS_PRODUCER_KEY_ACTIONS: Final = ("kms:GenerateDataKey", "kms:Decrypt")
SQS_CONSUMER_KEY_ACTIONS: Final = ("kms:Decrypt",)
# What Lambda's SQS poller calls with the function's execution role (Lambda developer guide,
# "Using Lambda with Amazon SQS", execution role permissions).
SQS_POLLER_ACTIONS: Final = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")


def send_to_buffer_policy(*, queue_arn: str, key_arn: str) -> PolicyDocument:
    """The HTTP API's role in buffered mode: send to exactly the entry buffer, nothing else."""
    require_arn(queue_arn, "queue_arn", service="sqs")
    require_arn(key_arn, "key_arn", service="kms", resource="key/")
    return document(
        {
            "Sid": "SendToEntryBuffer",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": [queue_arn],
        },
        {
            "Sid": "EncryptBufferMessages",
            "Effect": "Allow",
            "Action": list(SQS_PRODUCER_KEY_ACTIONS),
            "Resource": [key_arn],
        },
    )


def batch_policy(
    *, queue_arn: str, key_arn: str, state_machine_arn: str, log_group_arn: str
) -> PolicyDocument:
    """The Batch function: consume exactly the entry buffer and start exactly the main state
    machine (never the recovery one)."""
    require_arn(queue_arn, "queue_arn", service="sqs")
    require_arn(key_arn, "key_arn", service="kms", resource="key/")
    require_arn(state_machine_arn, "state_machine_arn", service="states", resource="stateMachine:")
    return document(
        {
            "Sid": "ConsumeEntryBuffer",
            "Effect": "Allow",
            "Action": list(SQS_POLLER_ACTIONS),
            "Resource": [queue_arn],
        },
        {
            "Sid": "DecryptBufferMessages",
            "Effect": "Allow",
            "Action": list(SQS_CONSUMER_KEY_ACTIONS),
            "Resource": [key_arn],
        },
        {
            "Sid": "StartPipelineExecution",
            "Effect": "Allow",
            "Action": ["states:StartExecution"],
            "Resource": [state_machine_arn],
        },
        own_log_group_statement(log_group_arn),
    )


def buffer_queue_policy(*, queue_arn: str, rule_arn: str) -> PolicyDocument:
    """Only EventBridge, and only for this rule, may send to the entry buffer (an SQS target has
    no role: EventBridge relies on the queue's policy)."""
    require_arn(queue_arn, "queue_arn", service="sqs")
    require_arn(rule_arn, "rule_arn", service="events", resource="rule/")
    return document(
        {
            "Sid": "EventBridgeRuleSendsToBuffer",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }
    )


def buffer_key_policy(
    *, partition: str, account_id: str, event_rule_arn: str | None
) -> PolicyDocument:
    """Key policy of the entry buffer's KMS key.

    In a key policy `"Resource": "*"` means "this key". The root statement is AWS's default key
    policy (it delegates to IAM: the HTTP API's and the Batch function's roles get the key through
    their own policies). A service that sends to an encrypted queue on its own behalf, as an
    EventBridge rule does, must be granted in the key policy itself (SQS developer guide, "Amazon
    SQS Key management", "Configure KMS permissions for AWS services"), here only for the one rule.
    """
    if not account_id.isdigit() or len(account_id) != 12:
        raise ValueError(f"account_id must be 12 digits, got {account_id!r}")
    statements: list[Statement] = [
        {
            "Sid": "AccountRootAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if event_rule_arn is not None:
        require_arn(event_rule_arn, "event_rule_arn", service="events", resource="rule/")
        statements.append(
            {
                "Sid": "EventBridgeRuleEncryptsBufferMessages",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": list(SQS_PRODUCER_KEY_ACTIONS),
                "Resource": "*",
                "Condition": {"ArnEquals": {"aws:SourceArn": event_rule_arn}},
            }
        )
    return document(*statements)
