"""Resource patterns several components share, built one way (children of the caller's component).

- ``service_role``: a role that exactly one AWS service may assume — *for this account only*
  (``aws:SourceAccount``, or Firehose's ``sts:ExternalId``) where the service documents sending
  that key — with one inline policy: the state machine's, the HTTP API's, the EventBridge rule's,
  the curated stream's and the table optimizers' roles.
- ``bucket_prefix``: ``<name prefix>-<purpose>-`` cut to what pulumi-aws accepts.
- ``private_bucket``: a bucket nobody outside the account can reach — bucket-owner-enforced
  ownership, all four public-access blocks, SSE-KMS with an S3 Bucket Key, and a policy denying
  any request without TLS (applied once the ownership and public-access settings are in place).
  Versioning and lifecycle stay with each caller: they differ by purpose.
"""

from __future__ import annotations

from typing import Any, Final

import pulumi
import pulumi_aws as aws

from components.builders import policies

# SQS's largest message (pulumi-aws `max_message_size`: 1,024 to 1,048,576 bytes, default
# 262,144), for every dead-letter queue: `ops sweep` dead-letters inputs that never fit the pipeline
# itself, an execution input may be 262,144 bytes before a dead letter's own fields are added, and
# EventBridge adds its envelope to an event of up to 256 KB.
DLQ_MAX_MESSAGE_BYTES: Final = 1_048_576
# SQS's longest retention (14 days), for every dead-letter queue.
DLQ_RETENTION_SECONDS: Final = 14 * 24 * 60 * 60

# Services documented to send aws:SourceAccount when they assume a role on a resource's behalf:
# Step Functions (the state machine's execution role) and EventBridge ("Using IAM policy conditions
# in Amazon EventBridge": aws:SourceAccount, the account of the rule in aws:SourceArn). API Gateway
# documents its integration role trusted by the service principal alone (API Gateway Developer
# Guide, "Control access to a REST API with IAM permissions") and is not documented to send either
# key; a StringEquals on an absent key is false, so pinning it would refuse every assumption.
# Firehose assumes a delivery role with `sts:ExternalId` set to the stream's account, which its
# trust policy checks (Firehose developer guide, "Controlling access with Amazon Data Firehose": the
# delivery role's trust policy). Glue's table optimizers are documented with the service principal
# alone (AWS Glue developer guide, "Table optimization prerequisites").
SOURCE_ACCOUNT_SERVICES: Final = {
    "states.amazonaws.com": "aws:SourceAccount",
    "events.amazonaws.com": "aws:SourceAccount",
    "firehose.amazonaws.com": "sts:ExternalId",
}

# pulumi-aws: `bucket_prefix` "Must be lowercase and less than or equal to 37 characters in length"
# (63, S3's maximum bucket name, minus the 26-character unique suffix the provider appends).
BUCKET_PREFIX_MAX: Final = 37


def bucket_prefix(name_prefix: str, purpose: str) -> str:
    """``<name prefix>-<purpose>-``, the name prefix cut so the whole fits ``BUCKET_PREFIX_MAX``.

    Lower case, ``_`` and ``.`` as ``-`` (a stack name may hold them; a bucket name may not hold
    ``_``, and dots break virtual-hosted TLS). Short names are kept whole:
    ``activity-pipeline-dev-athena-results-`` is exactly 37.
    """
    room = BUCKET_PREFIX_MAX - len(purpose) - 2
    if room < 1:
        raise ValueError(f"bucket purpose {purpose!r} leaves no room for the name prefix")
    head = name_prefix.lower().replace("_", "-").replace(".", "-")[:room].strip("-")
    return f"{head}-{purpose}-"


def service_role(
    name: str,
    *,
    service: str,
    description: str,
    policy: pulumi.Input[Any],
    opts: pulumi.ResourceOptions,
) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """``{name}-role`` trusted by ``service`` (of this account only, where documented), and
    ``{name}-policy``."""
    if service in SOURCE_ACCOUNT_SERVICES:
        account_id = aws.get_caller_identity_output().account_id
        key = SOURCE_ACCOUNT_SERVICES[service]
        trust: pulumi.Input[Any] = account_id.apply(
            lambda account: policies.service_assume_role_policy(service, account, account_key=key)
        )
    else:
        trust = policies.service_assume_role_policy(service)
    role = aws.iam.Role(
        f"{name}-role",
        description=description,
        assume_role_policy=pulumi.Output.json_dumps(trust),
        opts=opts,
    )
    role_policy = aws.iam.RolePolicy(
        f"{name}-policy",
        role=role.id,
        policy=pulumi.Output.json_dumps(policy),
        opts=opts,
    )
    return role, role_policy


def private_bucket(
    name: str,
    *,
    children: str,
    bucket_prefix: str,
    force_destroy: bool,
    kms_key_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.s3.Bucket:
    """Bucket ``name`` (auto-named from ``bucket_prefix``: bucket names are global) with its
    protections named ``{children}-ownership|public-access|encryption|tls-only``."""
    bucket = aws.s3.Bucket(
        name, bucket_prefix=bucket_prefix, force_destroy=force_destroy, opts=opts
    )
    ownership = aws.s3.BucketOwnershipControls(
        f"{children}-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=opts,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{children}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{children}-encryption",
        bucket=bucket.id,
        rules=[
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": kms_key_arn,
                },
                "bucket_key_enabled": True,
            }
        ],
        opts=opts,
    )
    aws.s3.BucketPolicy(
        f"{children}-tls-only",
        bucket=bucket.id,
        policy=pulumi.Output.json_dumps(bucket.arn.apply(policies.tls_only_bucket_policy)),
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(depends_on=[ownership, public_access])
        ),
    )
    return bucket
