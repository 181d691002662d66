"""The dated us-east-1 list-price table (``prices_us_east_1.json``), loaded and checked (pure).

``parse_dated`` checks what every dated table of the benchmarks has (a region, the ISO date it was
checked on, one entry per required key with an https source); the quota table uses it too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

PRICE_FILE: Final = Path(__file__).with_name("prices_us_east_1.json")

# Every price the cost model uses: key -> what one unit is.
REQUIRED: Final[dict[str, str]] = {
    "stepfunctions_standard_transition": "state transition",
    "stepfunctions_express_request": "Express execution request",
    "stepfunctions_express_gb_second": "Express GB-second",
    "lambda_request": "Lambda request",
    "lambda_arm64_gb_second": "Lambda GB-second (arm64)",
    "lambda_x86_64_gb_second": "Lambda GB-second (x86_64)",
    "s3_put": "S3 PUT request",
    "s3_get": "S3 GET request",
    "dynamodb_write_request_unit": "DynamoDB on-demand write request unit",
    "sqs_request": "SQS request",
    "apigateway_http_request": "API Gateway HTTP API request",
    "logs_ingestion_gb": "GB of CloudWatch Logs ingested",
    "kms_request": "KMS request",
    "firehose_iceberg_gb": "GB ingested by Firehose into Apache Iceberg Tables",
    "athena_tb_scanned": "TB scanned by Athena",
    "s3_storage_gb_month": "GB-month of S3 Standard storage",
}


class PriceTableError(ValueError):
    """The price table is missing a price, a source or its date."""


@dataclass(frozen=True)
class PriceTable:
    region: str
    checked_on: date
    usd: Mapping[str, float]  # key -> USD per one unit (see REQUIRED)
    sources: Mapping[str, str]
    listed: Mapping[str, str]

    def __getitem__(self, key: str) -> float:
        return self.usd[key]

    def lambda_gb_second(self, architecture: str) -> float:
        key = f"lambda_{architecture}_gb_second"
        if key not in self.usd:
            raise PriceTableError(f"no Lambda GB-second price for architecture {architecture!r}")
        return self.usd[key]


def parse_dated(
    document: Mapping[str, Any], section: str, required: Mapping[str, str], error: type[ValueError]
) -> tuple[str, date, dict[str, Mapping[str, Any]]]:
    """The region, the date and the ``required`` entries of ``document[section]``, each a mapping
    with an https ``source``; ``error`` for anything missing."""
    region = document.get("region")
    if not isinstance(region, str) or not region:
        raise error(f"{section} table has no region")
    try:
        checked_on = date.fromisoformat(str(document.get("checked_on")))
    except ValueError:
        raise error(f"{section} table has no ISO date in checked_on") from None
    entries = document.get(section)
    if not isinstance(entries, Mapping):
        raise error(f"{section} table has no {section!r} mapping")
    found: dict[str, Mapping[str, Any]] = {}
    for key in required:
        entry = entries.get(key)
        if not isinstance(entry, Mapping):
            raise error(f"{section} table lacks {key}")
        source = entry.get("source")
        if not isinstance(source, str) or not source.startswith("https://"):
            raise error(f"{key}: source must be an https URL, got {source!r}")
        found[key] = entry
    return region, checked_on, found


def positive_number(key: str, value: Any, error: type[ValueError]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise error(f"{key}: must be a positive number, got {value!r}")
    return float(value)


def parse_prices(document: Mapping[str, Any]) -> PriceTable:
    """Validate the document: region, ISO date, a positive price and an https source each."""
    region, checked_on, entries = parse_dated(document, "prices", REQUIRED, PriceTableError)
    usd = {
        k: positive_number(f"{k}: usd", e.get("usd"), PriceTableError) for k, e in entries.items()
    }
    sources = {k: str(e["source"]) for k, e in entries.items()}
    listed = {k: str(e.get("listed", "")) for k, e in entries.items()}
    return PriceTable(region, checked_on, usd, sources, listed)


def load_prices(path: Path = PRICE_FILE) -> PriceTable:
    return parse_prices(json.loads(path.read_text(encoding="utf-8")))
