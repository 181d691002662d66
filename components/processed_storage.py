"""ProcessedStorage: the curated event table (DynamoDB, PK user_id, SK event_time).

Items expire by TTL on `expires_at` (epoch seconds, set by Write: handlers.retention).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from handlers.retention import EXPIRY_ATTRIBUTE

TYPE: Final = "activity-pipeline:processed_storage:ProcessedStorage"


@dataclass(frozen=True, slots=True)
class ProcessedStorageArgs:
    name_prefix: str
    deletion_protection: bool

    def __post_init__(self) -> None:
        if not self.name_prefix:
            raise ValueError("ProcessedStorageArgs.name_prefix must not be empty")

    @property
    def table_name(self) -> str:
        return f"{self.name_prefix}-events"


class ProcessedStorage(pulumi.ComponentResource):
    table_name: pulumi.Output[str]
    table_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ProcessedStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=self))

        table = aws.dynamodb.Table(
            f"{name}-table",
            name=args.table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key="user_id",
            range_key="event_time",
            attributes=[
                {"name": "user_id", "type": "S"},
                # "<YYYY-MM-DDTHH:MM:SS.sssZ>#<event_id>": time-ordered, unique per event.
                {"name": "event_time", "type": "S"},
            ],
            # DynamoDB deletes an item some time after its expires_at has passed (typically within
            # days, not at the second: DynamoDB developer guide, "Using time to live (TTL)").
            ttl={"attribute_name": EXPIRY_ATTRIBUTE, "enabled": True},
            point_in_time_recovery={"enabled": True},
            # Encrypted with the AWS-managed aws/dynamodb key, whose key policy lets account
            # principals use it through DynamoDB: the Write role needs no KMS statement.
            server_side_encryption={"enabled": True},
            deletion_protection_enabled=args.deletion_protection,
            opts=child,
        )

        self.table_name = table.name
        self.table_arn = table.arn
        self.register_outputs({"table_name": self.table_name, "table_arn": self.table_arn})
