"""The curated Iceberg table and its Firehose stream (pure, no Pulumi): layouts and policies.

The Glue table's Iceberg schema and partition spec come from handlers.curated (the row contract
Write sends); the stream's routing sets `operation` to `update` for every record, since Firehose
applies updates and deletes to a single table only when each record carries its operation
("Route incoming records to a single Iceberg table": "If you want to perform update or delete
operations on a single table, then you must provide the operation for each incoming record"), and
an update with unique keys replaces the row of the same keys or inserts it — an upsert.

Policies (every `Resource` an exact ARN or an exact ARN plus a fixed prefix):
- the Firehose role: the catalog, the database and the table (GetTable, GetDatabase, UpdateTable),
  the curated bucket's table and error prefixes, the stack key (through S3 only), its log stream
  (Firehose developer guide, "Grant Firehose access to Apache Iceberg Tables");
- the table optimizers' role: the table (GetTable, UpdateTable), the table's prefix, the stack
  key, the three optimizer log groups Glue writes to (AWS Glue developer guide, "Table
  optimization prerequisites"; publishing optimizer metrics needs cloudwatch:PutMetricData on
  "*", which is not granted: the runs and their logs do not depend on it);
Write's `firehose:PutRecordBatch` on exactly the stream is in policies.write_policy.
"""

from __future__ import annotations

from typing import Any, Final

from components.builders.arns import require_arn
from components.builders.policies import (
    CURATED_TABLE_PREFIX,
    PolicyDocument,
    Statement,
    document,
)
from handlers import curated

TABLE_PREFIX: Final = CURATED_TABLE_PREFIX
# Firehose's error output: the error type (Firehose requires it in an error prefix that holds
# expressions) and the UTC day of delivery (Firehose developer guide, "Custom prefixes for Amazon
# S3 objects").
ERROR_PREFIX_ROOT: Final = "errors/"
ERROR_PREFIX: Final = (
    f"{ERROR_PREFIX_ROOT}!{{firehose:error-output-type}}/!{{timestamp:yyyy/MM/dd}}/"
)
# How long Firehose retries a failed delivery before it writes the records under the error
# prefix: stated (300 s, the default Firehose documents for its other destinations) so that a
# delivery's longest time is known — `ops forget` waits it out before VACUUM (ops.curated_erasure).
RETRY_SECONDS: Final = 300
LOG_STREAM: Final = "DestinationDelivery"
FORMAT_VERSION: Final = "2"
# Table optimizers. Compaction rewrites a partition's small files (one per Firehose delivery) and
# the delete files of upserts into large ones; retention expires snapshots older than a week
# (keeping at least one) and deletes the files only they referenced — time travel reaches a week
# back, and a row deleted for erasure is gone from storage a week later; orphan-file deletion
# removes files no snapshot references (a failed write's) after three days.
SNAPSHOT_RETENTION_DAYS: Final = 7
SNAPSHOTS_TO_RETAIN: Final = 1
ORPHAN_FILE_RETENTION_DAYS: Final = 3
OPTIMIZER_TYPES: Final = ("compaction", "retention", "orphan_file_deletion")
# Glue's optimizer runs log to these groups (AWS Glue developer guide, "Table optimization
# prerequisites").
OPTIMIZER_LOG_GROUPS: Final = (
    "/aws-glue/iceberg-compaction/logs",
    "/aws-glue/iceberg-retention/logs",
    "/aws-glue/iceberg-orphan-file-deletion/logs",
)
FIREHOSE_S3_ACTIONS: Final = (
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:PutObject",
)
FIREHOSE_BUCKET_ACTIONS: Final = (
    "s3:GetBucketLocation",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
)
GLUE_TABLE_ACTIONS: Final = ("glue:GetDatabase", "glue:GetTable", "glue:UpdateTable")


def stream_name(name_prefix: str) -> str:
    return f"{name_prefix}-curated"


def log_group_name(name_prefix: str) -> str:
    return f"/aws/kinesisfirehose/{stream_name(name_prefix)}"


def table_location(bucket: str) -> str:
    if not bucket or "/" in bucket:
        raise ValueError(f"bucket must be a bucket name, got {bucket!r}")
    return f"s3://{bucket}/{TABLE_PREFIX}"


def iceberg_schema() -> dict[str, Any]:
    """The Glue Iceberg schema: every column of the row contract, the unique keys as Iceberg's
    identifier fields (they must be required)."""
    by_name = {column.name: column for column in curated.COLUMNS}
    return {
        "schema_id": 0,
        "type": "struct",
        "fields": [
            {
                "id": column.id,
                "name": column.name,
                "type": column.type,
                "required": column.required,
                "doc": column.doc,
            }
            for column in curated.COLUMNS
        ],
        "identifier_field_ids": [by_name[key].id for key in curated.UNIQUE_KEYS],
    }


def partition_spec() -> dict[str, Any]:
    return {
        "spec_id": 0,
        "fields": [
            {
                "name": field.name,
                "source_id": field.source_id,
                "transform": field.transform,
                "field_id": field.field_id,
            }
            for field in curated.PARTITION
        ],
    }


def table_properties() -> dict[str, str]:
    """Iceberg properties: format version 2 (row-level deletes: upserts and erasure), Parquet
    with zstd, merge-on-read deletes and updates (Firehose writes equality deletes)."""
    return {
        "format-version": FORMAT_VERSION,
        "write.format.default": "parquet",
        "write.parquet.compression-codec": "zstd",
        "write.delete.mode": "merge-on-read",
        "write.update.mode": "merge-on-read",
    }


def metadata_extraction_query(database: str) -> str:
    """The JQ 1.6 query that routes every record to the one table with operation `update`."""
    if not database or '"' in database or "\\" in database:
        raise ValueError(f"database must be a plain Glue name, got {database!r}")
    return (
        f'{{destinationDatabaseName: "{database}", '
        f'destinationTableName: "{curated.TABLE_NAME}", operation: "update"}}'
    )


def _kms_through_s3(kms_key_arn: str, region: str, bucket_arn: str) -> Statement:
    return {
        "Sid": "UseTheStackKeyThroughS3",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": [kms_key_arn],
        "Condition": {
            "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
        },
    }


def firehose_policy(
    *,
    catalog_arn: str,
    database_arn: str,
    table_arn: str,
    bucket_arn: str,
    kms_key_arn: str,
    log_stream_arn: str,
    region: str,
) -> PolicyDocument:
    """The Firehose stream's role: deliver into exactly the curated table and its error prefix."""
    require_arn(catalog_arn, "catalog_arn", service="glue", resource="catalog")
    require_arn(database_arn, "database_arn", service="glue", resource="database/")
    require_arn(table_arn, "table_arn", service="glue", resource="table/")
    require_arn(bucket_arn, "bucket_arn", service="s3")
    require_arn(kms_key_arn, "kms_key_arn", service="kms", resource="key/")
    require_arn(log_stream_arn, "log_stream_arn", service="logs", resource="log-group:")
    return document(
        {
            "Sid": "ReadAndCommitTheTable",
            "Effect": "Allow",
            "Action": list(GLUE_TABLE_ACTIONS),
            "Resource": [catalog_arn, database_arn, table_arn],
        },
        {
            "Sid": "UseTheCuratedBucket",
            "Effect": "Allow",
            "Action": list(FIREHOSE_BUCKET_ACTIONS),
            "Resource": [bucket_arn],
        },
        {
            "Sid": "WriteTableFilesAndErrors",
            "Effect": "Allow",
            "Action": list(FIREHOSE_S3_ACTIONS),
            "Resource": [f"{bucket_arn}/{TABLE_PREFIX}*", f"{bucket_arn}/{ERROR_PREFIX_ROOT}*"],
        },
        _kms_through_s3(kms_key_arn, region, bucket_arn),
        {
            "Sid": "LogDeliveryErrors",
            "Effect": "Allow",
            "Action": ["logs:PutLogEvents"],
            "Resource": [log_stream_arn],
        },
    )


def optimizer_policy(
    *,
    catalog_arn: str,
    database_arn: str,
    table_arn: str,
    bucket_arn: str,
    kms_key_arn: str,
    log_group_arns: list[str],
    region: str,
) -> PolicyDocument:
    """The table optimizers' role (one for the three): rewrite and expire exactly this table."""
    require_arn(catalog_arn, "catalog_arn", service="glue", resource="catalog")
    require_arn(database_arn, "database_arn", service="glue", resource="database/")
    require_arn(table_arn, "table_arn", service="glue", resource="table/")
    require_arn(bucket_arn, "bucket_arn", service="s3")
    require_arn(kms_key_arn, "kms_key_arn", service="kms", resource="key/")
    for arn in log_group_arns:
        require_arn(arn, "log_group_arns", service="logs", resource="log-group:")
    return document(
        {
            "Sid": "ReadAndCommitTheTable",
            "Effect": "Allow",
            "Action": ["glue:GetTable", "glue:UpdateTable"],
            "Resource": [catalog_arn, database_arn, table_arn],
        },
        {
            "Sid": "ListTheTable",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [bucket_arn],
            "Condition": {"StringLike": {"s3:prefix": [f"{TABLE_PREFIX}*"]}},
        },
        {
            "Sid": "RewriteTableFiles",
            "Effect": "Allow",
            "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            "Resource": [f"{bucket_arn}/{TABLE_PREFIX}*"],
        },
        _kms_through_s3(kms_key_arn, region, bucket_arn),
        {
            "Sid": "LogOptimizerRuns",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [r for arn in log_group_arns for r in (arn, f"{arn}:*")],
        },
    )


def optimizer_log_group_arns(*, partition: str, region: str, account_id: str) -> list[str]:
    return [
        f"arn:{partition}:logs:{region}:{account_id}:log-group:{group}"
        for group in OPTIMIZER_LOG_GROUPS
    ]
