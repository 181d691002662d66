"""Privacy: the suppression list, its salt, and the operators' erasure policy.

- `<prefix>-suppression` (DynamoDB, PK `user_hash`): the HMAC-SHA256 of each suppressed user id
  under the salt, written only by operators (`ops forget --suppress`), read by Ingest
  (BatchGetItem), which stores a suppressed user's later events as content-free markers.
- `<prefix>-suppression-salt` (Secrets Manager, encrypted with the stack's key): the salt, drawn
  once by Secrets Manager's GetRandomPassword when the stack is created and never changed after
  (`ignore_changes`): every hash in the list depends on it, and the ids it was computed from are
  not kept anywhere to compute the hashes again.
- `<prefix>-operator-erasure` (IAM managed policy): what `ops forget` needs, on exact ARNs (with
  the curated Iceberg table: Athena in the workgroup, Glue on the table, its bucket's files and
  their versions, the stream's buffering interval).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from components.builders import policies

TYPE: Final = "activity-pipeline:privacy:Privacy"
HASH_KEY: Final = "user_hash"
SALT_LENGTH: Final = 64  # characters of [A-Za-z0-9]: ~381 bits
SECRET_RECOVERY_DAYS: Final = 30  # Secrets Manager's default window (7..30; 0 deletes at once)


@dataclass(frozen=True)
class CuratedErasureInputs:
    """The resources of policies.CuratedErasureArns, as Pulumi inputs."""

    workgroup_arn: pulumi.Input[str]
    catalog_arn: pulumi.Input[str]
    database_arn: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    results_bucket_arn: pulumi.Input[str]
    stream_arn: pulumi.Input[str]

    def output(self) -> pulumi.Output[policies.CuratedErasureArns]:
        return pulumi.Output.all(
            workgroup_arn=self.workgroup_arn,
            catalog_arn=self.catalog_arn,
            database_arn=self.database_arn,
            table_arn=self.table_arn,
            bucket_arn=self.bucket_arn,
            results_bucket_arn=self.results_bucket_arn,
            stream_arn=self.stream_arn,
        ).apply(lambda v: policies.CuratedErasureArns(**v))


@dataclass(frozen=True)
class PrivacyArgs:
    name_prefix: str
    kms_key_arn: pulumi.Input[str]
    raw_bucket_arn: pulumi.Input[str]
    table_arn: pulumi.Input[str]
    deletion_protection: bool
    force_destroy: bool  # dev: the salt is deleted at once with the stack, no recovery window
    # the analytics stack's curated table, when it has one: ops forget erases its rows too
    curated: CuratedErasureInputs | None = None

    def __post_init__(self) -> None:
        if not self.name_prefix:
            raise ValueError("PrivacyArgs.name_prefix must not be empty")


class Privacy(pulumi.ComponentResource):
    suppression_table_name: pulumi.Output[str]
    suppression_table_arn: pulumi.Output[str]
    salt_secret_arn: pulumi.Output[str]
    operator_erasure_policy_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: PrivacyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=self))
        prefix = args.name_prefix

        table = aws.dynamodb.Table(
            f"{name}-suppression-table",
            name=f"{prefix}-suppression",
            billing_mode="PAY_PER_REQUEST",
            hash_key=HASH_KEY,
            attributes=[{"name": HASH_KEY, "type": "S"}],
            point_in_time_recovery={"enabled": True},
            # The AWS-managed aws/dynamodb key, as the events table: readers need no KMS grant.
            server_side_encryption={"enabled": True},
            deletion_protection_enabled=args.deletion_protection,
            opts=child,
        )
        secret = aws.secretsmanager.Secret(
            f"{name}-salt",
            name=f"{prefix}-suppression-salt",
            description=f"{prefix}: salt of the suppression list's user hashes (never rotate)",
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=0 if args.force_destroy else SECRET_RECOVERY_DAYS,
            opts=child,
        )
        drawn = aws.secretsmanager.get_random_password_output(
            password_length=SALT_LENGTH,
            exclude_punctuation=True,
            include_space=False,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-salt-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(drawn.random_password),
            # Drawn again on every run; only the first value is ever stored.
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(ignore_changes=["secret_string"])
            ),
        )
        erasure = aws.iam.Policy(
            f"{name}-operator-erasure",
            name=f"{prefix}-operator-erasure",
            description=f"{prefix}: ops forget (erase users, keep receipts, suppress)",
            policy=pulumi.Output.json_dumps(
                pulumi.Output.all(
                    bucket_arn=args.raw_bucket_arn,
                    kms_key_arn=args.kms_key_arn,
                    table_arn=args.table_arn,
                    suppression_table_arn=table.arn,
                    salt_secret_arn=secret.arn,
                    curated=None if args.curated is None else args.curated.output(),
                ).apply(lambda v: policies.operator_erasure_policy(**v))
            ),
            opts=child,
        )

        self.suppression_table_name = table.name
        self.suppression_table_arn = table.arn
        self.salt_secret_arn = secret.arn
        self.operator_erasure_policy_arn = erasure.arn
        self.register_outputs(
            {
                "suppression_table_name": self.suppression_table_name,
                "suppression_table_arn": self.suppression_table_arn,
                "salt_secret_arn": self.salt_secret_arn,
                "operator_erasure_policy_arn": self.operator_erasure_policy_arn,
            }
        )
