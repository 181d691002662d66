"""RawStorage: the immutable raw copy of every batch (S3, SSE-KMS with a key per stack).

Retention by lifecycle: the current versions under `ingest/` and `rejected/` expire after their
stack settings' days (a versioned bucket turns each into a noncurrent version behind a delete
marker), noncurrent versions are deleted after `noncurrentVersionExpirationDays`, and a delete
marker left with no version behind it is removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from components import building_blocks
from components.builders import arns
from components.builders.settings import (
    KeyDeletionWindowDays,
    NoncurrentVersionDays,
    ObjectRetentionDays,
)
from handlers.keys import RAW_PREFIX, REJECTED_PREFIX

TYPE: Final = "activity-pipeline:raw_storage:RawStorage"


@dataclass(frozen=True, slots=True)
class RawStorageArgs:
    name_prefix: str
    kms_key_deletion_window_days: KeyDeletionWindowDays
    force_destroy: bool
    noncurrent_version_expiration_days: NoncurrentVersionDays
    raw_retention_days: ObjectRetentionDays
    rejected_retention_days: ObjectRetentionDays
    abort_incomplete_multipart_upload_days: int = 7

    def __post_init__(self) -> None:
        if not self.name_prefix:
            raise ValueError("RawStorageArgs.name_prefix must not be empty")
        if self.abort_incomplete_multipart_upload_days < 1:
            raise ValueError("RawStorageArgs.abort_incomplete_multipart_upload_days must be >= 1")


class RawStorage(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    ingest_prefix_arn: pulumi.Output[str]
    rejected_prefix_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: RawStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=self))

        key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.name_prefix} raw event bucket (SSE-KMS)",
            enable_key_rotation=True,
            deletion_window_in_days=args.kms_key_deletion_window_days,
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/{args.name_prefix}-raw",
            target_key_id=key.key_id,
            opts=child,
        )
        bucket = building_blocks.private_bucket(
            f"{name}-bucket",
            children=name,
            bucket_prefix=building_blocks.bucket_prefix(args.name_prefix, "raw"),
            force_destroy=args.force_destroy,
            kms_key_arn=key.arn,
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-raw-objects",
                    "status": "Enabled",
                    "filter": {"prefix": RAW_PREFIX},
                    "expiration": {"days": args.raw_retention_days},
                },
                {
                    "id": "expire-rejected-objects",
                    "status": "Enabled",
                    "filter": {"prefix": REJECTED_PREFIX},
                    "expiration": {"days": args.rejected_retention_days},
                },
                {
                    "id": "expire-noncurrent-versions",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {
                        "noncurrent_days": args.noncurrent_version_expiration_days
                    },
                },
                {
                    # Not in the rules above: "ExpiredObjectDeleteMarker ... cannot be specified
                    # with Days or Date in a Lifecycle Expiration Policy" (S3 API reference,
                    # LifecycleExpiration).
                    "id": "remove-expired-delete-markers",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"expired_object_delete_marker": True},
                },
                {
                    "id": "abort-incomplete-multipart-uploads",
                    "status": "Enabled",
                    "filter": {},
                    "abort_incomplete_multipart_upload": {
                        "days_after_initiation": args.abort_incomplete_multipart_upload_days
                    },
                },
            ],
            opts=child,
        )

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.ingest_prefix_arn = bucket.arn.apply(arns.ingest_prefix_arn)
        self.rejected_prefix_arn = bucket.arn.apply(arns.rejected_prefix_arn)
        self.kms_key_arn = key.arn
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "ingest_prefix_arn": self.ingest_prefix_arn,
                "rejected_prefix_arn": self.rejected_prefix_arn,
                "kms_key_arn": self.kms_key_arn,
            }
        )
