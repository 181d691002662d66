"""ARNs for the policy documents and definitions (pure, no Pulumi): one check, and the few ARNs
the program derives itself.

An ARN is ``arn:<partition>:<service>:<region>:<account>:<resource>`` (region and account empty
for S3 buckets); every builder takes exact ARNs only, so a `*` anywhere is refused.
"""

from __future__ import annotations


def require_arn(value: str, what: str, *, service: str, resource: str = "") -> str:
    """``value`` when it is one exact ARN of ``service`` whose resource part starts with
    ``resource``; otherwise a ValueError naming ``what``."""
    parts = value.split(":", 5)
    if (
        len(parts) != 6
        or parts[0] != "arn"
        or not parts[1]
        or parts[2] != service
        or not parts[5]
        or not parts[5].startswith(resource)
        or "*" in value
    ):
        kind = f"{service} {resource}".rstrip(" :/")
        raise ValueError(f"{what} must be an exact ARN of {kind}, got {value!r}")
    return value


def ingest_prefix_arn(bucket_arn: str) -> str:
    return f"{bucket_arn}/ingest/*"


def rejected_prefix_arn(bucket_arn: str) -> str:
    return f"{bucket_arn}/rejected/*"


def erasure_prefix_arn(bucket_arn: str) -> str:
    """Erasure receipts and progress records (operators only)."""
    return f"{bucket_arn}/erasure/*"


def glue_catalog_arn(*, partition: str, region: str, account_id: str) -> str:
    return f"arn:{partition}:glue:{region}:{account_id}:catalog"


def event_rule_arn(
    *, partition: str, region: str, account_id: str, bus_name: str, rule_name: str
) -> str:
    """The ARN EventBridge gives rule ``rule_name`` of the custom bus ``bus_name``
    (``arn:<partition>:events:<region>:<account>:rule/<bus>/<rule>``; EventBridge API reference,
    DescribeRule)."""
    return f"arn:{partition}:events:{region}:{account_id}:rule/{bus_name}/{rule_name}"
