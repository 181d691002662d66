"""CuratedTable: the curated events as an Apache Iceberg table in the Glue Data Catalog, fed by
Firehose.

- a bucket of its own (`<prefix>-curated-…`: private, TLS-only, SSE-KMS with the stack's key,
  versioned like every bucket of the stack), noncurrent versions expired (Iceberg deletes files
  when snapshots expire or files are compacted; versioning would keep them) and incomplete
  uploads aborted;
- the Glue table `curated_events` in the analytics database: Iceberg format version 2, the
  schema and partition spec of handlers.curated, at `s3://<bucket>/curated_events/`;
- Glue's table optimizers (compaction, snapshot retention, orphan-file deletion) with a role of
  their own;
- the Firehose stream `<prefix>-curated` (DirectPut, destination `iceberg`): one destination
  table with the unique keys, a MetadataExtraction processor setting `operation` to `update` for
  every record, buffering hints from the stack settings, errors to `errors/` in the bucket,
  CloudWatch logging to a log group of its own, and a role trusted by Firehose for this account.
  No SSE on the stream: its only producer is Write, through DirectPut over TLS, and the table's
  files are encrypted by the bucket with the stack's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from components import building_blocks
from components.builders import arns
from components.builders import curated as builders
from components.builders.settings import (
    BufferingIntervalSeconds,
    BufferingSizeMb,
    NoncurrentVersionDays,
    RetentionDays,
)
from handlers import curated

TYPE: Final = "activity-pipeline:curated:CuratedTable"


@dataclass(frozen=True, slots=True)
class CuratedTableArgs:
    name_prefix: str
    database_name: pulumi.Input[str]
    database_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    buffering_size_mb: BufferingSizeMb
    buffering_interval_seconds: BufferingIntervalSeconds
    noncurrent_version_expiration_days: NoncurrentVersionDays
    log_retention_days: RetentionDays
    force_destroy: bool

    def __post_init__(self) -> None:
        if not self.name_prefix:
            raise ValueError("CuratedTableArgs.name_prefix must not be empty")


class CuratedTable(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    table_name: pulumi.Output[str]
    table_arn: pulumi.Output[str]
    stream_name: pulumi.Output[str]
    stream_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: CuratedTableArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=self))
        prefix = args.name_prefix
        identity = aws.get_caller_identity_output()
        partition = aws.get_partition_output().partition
        region = aws.get_region_output().region
        catalog_arn = pulumi.Output.all(
            partition=partition, region=region, account_id=identity.account_id
        ).apply(lambda v: arns.glue_catalog_arn(**v))

        # Bucket.
        bucket = building_blocks.private_bucket(
            f"{name}-bucket",
            children=f"{name}-bucket",
            bucket_prefix=building_blocks.bucket_prefix(prefix, "curated"),
            force_destroy=args.force_destroy,
            kms_key_arn=args.kms_key_arn,
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-bucket-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-bucket-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-noncurrent-versions",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {
                        "noncurrent_days": args.noncurrent_version_expiration_days
                    },
                },
                {
                    "id": "abort-incomplete-multipart-uploads",
                    "status": "Enabled",
                    "filter": {},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                },
            ],
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[versioning])
            ),
        )

        # Table.
        table = aws.glue.CatalogTable(
            f"{name}-table",
            name=curated.TABLE_NAME,
            database_name=args.database_name,
            description="Curated events (Apache Iceberg): one row per stored item, fed by Firehose",
            table_type="EXTERNAL_TABLE",
            open_table_format_input={
                "iceberg_input": {
                    "metadata_operation": "CREATE",
                    "version": builders.FORMAT_VERSION,
                    "iceberg_table_input": {
                        "location": bucket.bucket.apply(builders.table_location),
                        "schema": builders.iceberg_schema(),
                        "partition_spec": builders.partition_spec(),
                        "properties": builders.table_properties(),
                    },
                }
            },
            opts=child,
        )
        table_arn = table.arn

        # Table optimizers.
        optimizer_role, optimizer_policy = building_blocks.service_role(
            f"{name}-optimizer",
            service="glue.amazonaws.com",
            description=f"{prefix}: Glue table optimizers of {curated.TABLE_NAME}",
            policy=pulumi.Output.all(
                catalog_arn=catalog_arn,
                database_arn=args.database_arn,
                table_arn=table_arn,
                bucket_arn=bucket.arn,
                kms_key_arn=args.kms_key_arn,
                log_group_arns=pulumi.Output.all(
                    partition=partition, region=region, account_id=identity.account_id
                ).apply(lambda v: builders.optimizer_log_group_arns(**v)),
                region=region,
            ).apply(lambda v: builders.optimizer_policy(**v)),
            opts=child,
        )
        optimizer_configurations: dict[str, dict[str, object]] = {
            "compaction": {
                "enabled": True,
                "role_arn": optimizer_role.arn,
                "compaction_configuration": {"iceberg_configuration": {"strategy": "binpack"}},
            },
            "retention": {
                "enabled": True,
                "role_arn": optimizer_role.arn,
                "retention_configuration": {
                    "iceberg_configuration": {
                        "snapshot_retention_period_in_days": builders.SNAPSHOT_RETENTION_DAYS,
                        "number_of_snapshots_to_retain": builders.SNAPSHOTS_TO_RETAIN,
                        "clean_expired_files": True,
                    }
                },
            },
            "orphan_file_deletion": {
                "enabled": True,
                "role_arn": optimizer_role.arn,
                "orphan_file_deletion_configuration": {
                    "iceberg_configuration": {
                        "orphan_file_retention_period_in_days": (
                            builders.ORPHAN_FILE_RETENTION_DAYS
                        ),
                    }
                },
            },
        }
        for kind in builders.OPTIMIZER_TYPES:
            aws.glue.CatalogTableOptimizer(
                f"{name}-{kind.replace('_', '-')}",
                catalog_id=identity.account_id,
                database_name=args.database_name,
                table_name=table.name,
                type=kind,
                configuration=optimizer_configurations[kind],
                opts=pulumi.ResourceOptions.merge(
                    child, pulumi.ResourceOptions(depends_on=[optimizer_policy])
                ),
            )

        # Stream.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=builders.log_group_name(prefix),
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        log_stream = aws.cloudwatch.LogStream(
            f"{name}-log-stream",
            name=builders.LOG_STREAM,
            log_group_name=log_group.name,
            opts=child,
        )
        firehose_role, firehose_policy = building_blocks.service_role(
            f"{name}-firehose",
            service="firehose.amazonaws.com",
            description=f"{prefix}: Firehose delivery into {curated.TABLE_NAME}",
            policy=pulumi.Output.all(
                catalog_arn=catalog_arn,
                database_arn=args.database_arn,
                table_arn=table_arn,
                bucket_arn=bucket.arn,
                kms_key_arn=args.kms_key_arn,
                log_stream_arn=log_stream.arn,
                region=region,
            ).apply(lambda v: builders.firehose_policy(**v)),
            opts=child,
        )
        logging = {
            "enabled": True,
            "log_group_name": log_group.name,
            "log_stream_name": log_stream.name,
        }
        stream = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-stream",
            name=builders.stream_name(prefix),
            destination="iceberg",
            iceberg_configuration={
                "catalog_arn": catalog_arn,
                "role_arn": firehose_role.arn,
                "buffering_size": args.buffering_size_mb,
                "buffering_interval": args.buffering_interval_seconds,
                "retry_duration": builders.RETRY_SECONDS,
                "destination_table_configurations": [
                    {
                        "database_name": args.database_name,
                        "table_name": table.name,
                        "unique_keys": list(curated.UNIQUE_KEYS),
                        "s3_error_output_prefix": builders.ERROR_PREFIX,
                    }
                ],
                "processing_configuration": {
                    "enabled": True,
                    "processors": [
                        {
                            "type": "MetadataExtraction",
                            "parameters": [
                                {
                                    "parameter_name": "MetadataExtractionQuery",
                                    "parameter_value": pulumi.Output.from_input(
                                        args.database_name
                                    ).apply(builders.metadata_extraction_query),
                                },
                                {
                                    "parameter_name": "JsonParsingEngine",
                                    "parameter_value": "JQ-1.6",
                                },
                            ],
                        }
                    ],
                },
                "cloudwatch_logging_options": logging,
                "s3_configuration": {
                    "bucket_arn": bucket.arn,
                    "role_arn": firehose_role.arn,
                    "error_output_prefix": builders.ERROR_PREFIX,
                    "kms_key_arn": args.kms_key_arn,
                    "cloudwatch_logging_options": logging,
                },
            },
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[firehose_policy])
            ),
        )

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.table_name = table.name
        self.table_arn = table_arn
        self.stream_name = stream.name
        self.stream_arn = stream.arn
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "table_name": self.table_name,
                "table_arn": self.table_arn,
                "stream_name": self.stream_name,
                "stream_arn": self.stream_arn,
            }
        )
