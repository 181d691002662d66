"""Analytics: the curated Iceberg table, the raw layer's Glue tables, an Athena workgroup, queries.

The curated table (components.curated, a child of this component: it lives in this database) is
what the named queries read; the raw layer's tables stay for audit and replay. No crawler: raw
partitions are projected from `yyyy/mm/dd/hh` (components.builders.analytics_sql).
Query results go to a bucket of their own, SSE-KMS with the raw bucket's key (results hold raw
data), private, TLS-only, expiring. The workgroup enforces its settings (result location,
encryption, engine v3, a per-query scan cutoff) and publishes CloudWatch metrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from components import building_blocks
from components.builders import analytics_sql, arns, policies
from components.builders.settings import (
    BufferingIntervalSeconds,
    BufferingSizeMb,
    NoncurrentVersionDays,
    ResultsExpirationDays,
    RetentionDays,
)
from components.curated import CuratedTable, CuratedTableArgs

TYPE: Final = "activity-pipeline:analytics:Analytics"
ENGINE_VERSION: Final = "Athena engine version 3"
RESULTS_PREFIX: Final = "athena/"


@dataclass(frozen=True, slots=True)
class AnalyticsArgs:
    name_prefix: str
    raw_bucket_name: pulumi.Input[str]
    raw_bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    results_expiration_days: ResultsExpirationDays
    force_destroy: bool
    curated_buffering_size_mb: BufferingSizeMb
    curated_buffering_interval_seconds: BufferingIntervalSeconds
    noncurrent_version_expiration_days: NoncurrentVersionDays
    log_retention_days: RetentionDays
    bytes_scanned_cutoff_per_query: int = 10 * 1024**3

    def __post_init__(self) -> None:
        if not self.name_prefix:
            raise ValueError("AnalyticsArgs.name_prefix must not be empty")
        if self.bytes_scanned_cutoff_per_query < 10 * 1024**2:  # Athena's minimum: 10 MB
            raise ValueError("AnalyticsArgs.bytes_scanned_cutoff_per_query must be >= 10 MB")

    @property
    def database_name(self) -> str:
        """Glue/Athena names: lower case, no hyphens (they would need quoting in every query)."""
        return self.name_prefix.lower().replace("-", "_")


def _columns(
    columns: tuple[tuple[str, str], ...],
) -> list[aws.glue.CatalogTableStorageDescriptorColumnArgsDict]:
    return [{"name": name, "type": typ} for name, typ in columns]


class Analytics(pulumi.ComponentResource):
    athena_workgroup: pulumi.Output[str]
    glue_database: pulumi.Output[str]
    named_queries: pulumi.Output[dict[str, str]]
    athena_results_bucket: pulumi.Output[str]
    analyst_policy_arn: pulumi.Output[str]
    curated: CuratedTable
    # what ops forget's operator policy names (components.privacy.CuratedErasureInputs)
    workgroup_arn: pulumi.Output[str]
    catalog_arn: pulumi.Output[str]
    database_arn: pulumi.Output[str]
    results_bucket_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AnalyticsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=self))
        prefix = args.name_prefix

        # Results bucket.
        results = building_blocks.private_bucket(
            f"{name}-results",
            children=f"{name}-results",
            bucket_prefix=building_blocks.bucket_prefix(prefix, "athena-results"),
            force_destroy=args.force_destroy,
            kms_key_arn=args.kms_key_arn,
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-results-lifecycle",
            bucket=results.id,
            rules=[
                {
                    "id": "expire-query-results",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": args.results_expiration_days},
                },
                {
                    "id": "abort-incomplete-multipart-uploads",
                    "status": "Enabled",
                    "filter": {},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                },
            ],
            opts=child,
        )

        # Catalog.
        database = aws.glue.CatalogDatabase(
            f"{name}-database",
            name=args.database_name,
            description=f"{prefix}: the raw layer of the activity pipeline",
            opts=child,
        )
        curated = CuratedTable(
            f"{name}-curated",
            CuratedTableArgs(
                name_prefix=prefix,
                database_name=database.name,
                database_arn=database.arn,
                kms_key_arn=args.kms_key_arn,
                buffering_size_mb=args.curated_buffering_size_mb,
                buffering_interval_seconds=args.curated_buffering_interval_seconds,
                noncurrent_version_expiration_days=args.noncurrent_version_expiration_days,
                log_retention_days=args.log_retention_days,
                force_destroy=args.force_destroy,
            ),
            opts=child,
        )
        tables = [
            self._table(
                name,
                child,
                database,
                args.raw_bucket_name,
                table=analytics_sql.RAW_TABLE,
                prefix="ingest/",
                columns=analytics_sql.RAW_COLUMNS,
                description="Raw events as received (NDJSON, one event per line, unchanged)",
            ),
            self._table(
                name,
                child,
                database,
                args.raw_bucket_name,
                table=analytics_sql.REJECTED_TABLE,
                prefix="rejected/",
                columns=analytics_sql.REJECTED_COLUMNS,
                description="Rejected events with their reason (NDJSON)",
            ),
        ]

        # Workgroup and named queries.
        workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=prefix,
            description=f"{prefix}: named queries over the curated table",
            force_destroy=args.force_destroy,
            configuration={
                "enforce_workgroup_configuration": True,
                "publish_cloudwatch_metrics_enabled": True,
                "bytes_scanned_cutoff_per_query": args.bytes_scanned_cutoff_per_query,
                "engine_version": {"selected_engine_version": ENGINE_VERSION},
                "result_configuration": {
                    "output_location": results.bucket.apply(
                        lambda bucket: f"s3://{bucket}/{RESULTS_PREFIX}"
                    ),
                    "encryption_configuration": {
                        "encryption_option": "SSE_KMS",
                        "kms_key_arn": args.kms_key_arn,
                    },
                },
            },
            opts=child,
        )
        queries = {
            query.name: aws.athena.NamedQuery(
                f"{name}-{query.name.replace('_', '-')}",
                name=query.name,
                description=query.description,
                database=database.name,
                workgroup=workgroup.name,
                query=query.sql,
                opts=child,
            )
            for query in analytics_sql.NAMED_QUERIES
        }

        # Analyst policy.
        identity = aws.get_caller_identity_output()
        partition = aws.get_partition_output().partition
        region = aws.get_region_output().region
        catalog_arn = pulumi.Output.all(
            partition=partition, region=region, account_id=identity.account_id
        ).apply(lambda v: arns.glue_catalog_arn(**v))
        analyst = aws.iam.Policy(
            f"{name}-analyst",
            name=f"{prefix}-analyst",
            description=f"{prefix}: run the named queries in the {prefix} Athena workgroup",
            policy=pulumi.Output.json_dumps(
                pulumi.Output.all(
                    workgroup_arn=workgroup.arn,
                    catalog_arn=catalog_arn,
                    database_arn=database.arn,
                    table_arns=pulumi.Output.all(curated.table_arn, *[t.arn for t in tables]),
                    raw_bucket_arn=args.raw_bucket_arn,
                    results_bucket_arn=results.arn,
                    kms_key_arn=args.kms_key_arn,
                    curated_bucket_arn=curated.bucket_arn,
                ).apply(lambda v: policies.analyst_policy(**v))
            ),
            opts=child,
        )

        self.athena_workgroup = workgroup.name
        self.glue_database = database.name
        self.named_queries = pulumi.Output.all(
            **{query_name: q.id for query_name, q in queries.items()}
        )
        self.athena_results_bucket = results.bucket
        self.analyst_policy_arn = analyst.arn
        self.curated = curated
        self.workgroup_arn = workgroup.arn
        self.catalog_arn = catalog_arn
        self.database_arn = database.arn
        self.results_bucket_arn = results.arn
        self.register_outputs(
            {
                "athena_workgroup": self.athena_workgroup,
                "glue_database": self.glue_database,
                "named_queries": self.named_queries,
                "athena_results_bucket": self.athena_results_bucket,
                "analyst_policy_arn": self.analyst_policy_arn,
            }
        )

    @staticmethod
    def _table(
        name: str,
        child: pulumi.ResourceOptions,
        database: aws.glue.CatalogDatabase,
        bucket_name: pulumi.Input[str],
        *,
        table: str,
        prefix: str,
        columns: tuple[tuple[str, str], ...],
        description: str,
    ) -> aws.glue.CatalogTable:
        bucket = pulumi.Output.from_input(bucket_name)
        return aws.glue.CatalogTable(
            f"{name}-{table.replace('_', '-')}",
            name=table,
            database_name=database.name,
            description=description,
            table_type="EXTERNAL_TABLE",
            parameters=bucket.apply(lambda b: analytics_sql.table_parameters(b, prefix)),
            partition_keys=[
                {"name": key, "type": "string"} for key in analytics_sql.PARTITION_KEYS
            ],
            storage_descriptor={
                "location": bucket.apply(lambda b: analytics_sql.table_location(b, prefix)),
                "input_format": analytics_sql.INPUT_FORMAT,
                "output_format": analytics_sql.OUTPUT_FORMAT,
                "columns": _columns(columns),
                "ser_de_info": {
                    "serialization_library": analytics_sql.JSON_SERDE,
                    # A line that is not JSON reads as a row of NULLs instead of failing the query
                    # (DuckDB's ignore_errors does the same in the harness).
                    "parameters": {"ignore.malformed.json": "TRUE"},
                },
            },
            opts=child,
        )
