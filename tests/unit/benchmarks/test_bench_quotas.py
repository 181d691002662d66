"""The dated quota table: every quota the models need, with a source, a date and its value."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from benchmarks.quotas import QUOTA_FILE, REQUIRED, QuotaTableError, load_quotas, parse_quotas


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(QUOTA_FILE.read_text(encoding="utf-8"))
    return loaded


def test_the_committed_table_loads_with_its_date_and_sources() -> None:
    quotas = load_quotas()
    assert quotas.region == "us-east-1"
    assert quotas.checked_on <= date.today()
    assert set(REQUIRED) <= set(quotas.values)
    assert all(s.startswith("https://") for s in quotas.sources.values())


def test_the_committed_table_has_the_documented_defaults() -> None:
    quotas = load_quotas()
    expected = {
        "apigateway_account_rps": 10_000,
        "apigateway_account_burst": 5_000,
        "sfn_standard_start_execution_rps": 300,
        "sfn_express_start_execution_rps": 6_000,
        "lambda_concurrency": 1_000,
        "lambda_sqs_max_concurrent_invokes": 1_250,
        "lambda_sqs_pollers_low_traffic": 5,
        "sqs_standard_in_flight": 120_000,
        "dynamodb_table_wru_per_s": 40_000,
        "dynamodb_partition_wcu_per_s": 1_000,
    }
    for key, value in expected.items():
        assert quotas[key] == value, key
    assert quotas.adjustable["apigateway_account_rps"] is True
    assert quotas.adjustable["dynamodb_partition_wcu_per_s"] is False


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("checked_on"), "ISO date"),
        (lambda d: d.update(region=""), "region"),
        (lambda d: d["quotas"].pop("lambda_concurrency"), "lacks lambda_concurrency"),
        (lambda d: d["quotas"]["lambda_concurrency"].update(value=0), "positive"),
        (lambda d: d["quotas"]["lambda_concurrency"].update(value="1000"), "positive"),
        (lambda d: d["quotas"]["lambda_concurrency"].update(adjustable="yes"), "adjustable"),
        (lambda d: d["quotas"]["sqs_standard_in_flight"].update(source="http://x"), "https"),
        (lambda d: d.update(quotas=[]), "'quotas'"),
    ],
)
def test_a_broken_table_is_refused(mutate: Any, message: str) -> None:
    broken = copy.deepcopy(document())
    mutate(broken)
    with pytest.raises(QuotaTableError, match=message):
        parse_quotas(broken)
