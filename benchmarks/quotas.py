"""The dated us-east-1 quota table (``quotas_us_east_1.json``), loaded and checked (pure).

Default quotas of an account and the documented behaviours the capacity model (benchmarks.capacity)
and the buffered cost model (benchmarks.buffered) rely on, each with its source.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

from benchmarks.prices import parse_dated, positive_number

QUOTA_FILE: Final = Path(__file__).with_name("quotas_us_east_1.json")

# Every quota the models use: key -> what it limits.
REQUIRED: Final[dict[str, str]] = {
    "apigateway_account_rps": "API Gateway requests per second, per account and Region",
    "apigateway_account_burst": "API Gateway burst (token bucket) per account and Region",
    "sfn_standard_start_execution_rps": "Standard StartExecution refill per second",
    "sfn_express_start_execution_rps": "Express StartExecution refill per second",
    "sfn_standard_state_transitions_per_s": "Standard state transitions refill per second",
    "lambda_concurrency": "Lambda concurrent executions per account and Region",
    "lambda_rps_per_concurrency": "Lambda invokes per second per unit of concurrency quota",
    "lambda_scaling_per_10s": "Lambda execution environments added per 10 s, per function",
    "lambda_sqs_pollers_low_traffic": "SQS event source mapping: concurrent batches at low traffic",
    "lambda_sqs_max_concurrent_invokes": "SQS event source mapping: concurrent invokes at most",
    "lambda_sqs_scale_up_per_minute": "SQS event source mapping: invokes added per minute",
    "lambda_sqs_batch_size_max": "SQS event source mapping: records per batch at most",
    "lambda_sync_invoke_payload_bytes": "bytes of one batch passed to the function",
    "lambda_vcpu_memory_mb": "MB of function memory that come with one vCPU",
    "sqs_standard_in_flight": "messages in flight per standard queue",
    "sqs_long_poll_wait_s": "seconds a long poll waits at most",
    "sqs_receive_max_messages": "messages per ReceiveMessage or DeleteMessageBatch",
    "sqs_kms_data_key_reuse_s": "seconds SQS reuses a data key (queue default)",
    "dynamodb_table_wru_per_s": "DynamoDB on-demand write request units per second, per table",
    "dynamodb_partition_wcu_per_s": "DynamoDB write units per second, per partition",
    "s3_put_per_prefix_per_s": "S3 PUT requests per second, per partitioned prefix",
}


class QuotaTableError(ValueError):
    """The quota table is missing a quota, a source or its date."""


@dataclass(frozen=True)
class QuotaTable:
    region: str
    checked_on: date
    values: Mapping[str, float]
    sources: Mapping[str, str]
    listed: Mapping[str, str]
    adjustable: Mapping[str, bool]

    def __getitem__(self, key: str) -> float:
        return self.values[key]

    def replace(self, **overrides: float) -> QuotaTable:
        """The same table with some quotas raised (or lowered): what raising one buys."""
        unknown = set(overrides) - set(self.values)
        if unknown:
            raise QuotaTableError(f"no such quota: {', '.join(sorted(unknown))}")
        return QuotaTable(
            self.region,
            self.checked_on,
            {**self.values, **overrides},
            self.sources,
            self.listed,
            self.adjustable,
        )


def parse_quotas(document: Mapping[str, Any]) -> QuotaTable:
    """Validate the document: region, ISO date, a positive value, an https source and whether
    it is adjustable, for every quota in REQUIRED."""
    region, checked_on, entries = parse_dated(document, "quotas", REQUIRED, QuotaTableError)
    values = {
        k: positive_number(f"{k}: value", e.get("value"), QuotaTableError)
        for k, e in entries.items()
    }
    adjustable: dict[str, bool] = {}
    for key, entry in entries.items():
        flag = entry.get("adjustable")
        if not isinstance(flag, bool):
            raise QuotaTableError(f"{key}: adjustable must be true or false, got {flag!r}")
        adjustable[key] = flag
    sources = {k: str(e["source"]) for k, e in entries.items()}
    listed = {k: str(e.get("listed", "")) for k, e in entries.items()}
    return QuotaTable(region, checked_on, values, sources, listed, adjustable)


def load_quotas(path: Path = QUOTA_FILE) -> QuotaTable:
    return parse_quotas(json.loads(path.read_text(encoding="utf-8")))
