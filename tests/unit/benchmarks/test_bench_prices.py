"""The dated price table: every price the model needs, with a source and a date."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from benchmarks.prices import PRICE_FILE, REQUIRED, PriceTableError, load_prices, parse_prices


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(PRICE_FILE.read_text(encoding="utf-8"))
    return loaded


def test_the_committed_table_loads_with_its_date() -> None:
    prices = load_prices()
    assert prices.region == "us-east-1"
    assert prices.checked_on <= date.today()
    assert set(REQUIRED) <= set(prices.usd)


def test_the_committed_table_has_the_list_prices_of_the_issue() -> None:
    prices = load_prices()
    expected = {
        "stepfunctions_standard_transition": 0.025 / 1000,
        "stepfunctions_express_request": 1.0 / 1_000_000,
        "stepfunctions_express_gb_second": 0.00001667,
        "lambda_request": 0.20 / 1_000_000,
        "lambda_arm64_gb_second": 0.0000133334,
        "s3_put": 0.005 / 1000,
        "s3_get": 0.0004 / 1000,
        "dynamodb_write_request_unit": 0.625 / 1_000_000,
        "sqs_request": 0.40 / 1_000_000,
        "logs_ingestion_gb": 0.50,
        "kms_request": 0.03 / 10_000,
        "apigateway_http_request": 1.00 / 1_000_000,
    }
    for key, value in expected.items():
        assert prices[key] == pytest.approx(value), key
    assert all(s.startswith("https://aws.amazon.com/") for s in prices.sources.values())


def test_lambda_price_by_architecture() -> None:
    prices = load_prices()
    assert prices.lambda_gb_second("arm64") < prices.lambda_gb_second("x86_64")
    with pytest.raises(PriceTableError, match="architecture"):
        prices.lambda_gb_second("riscv")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("checked_on"), "ISO date"),
        (lambda d: d.update(region=""), "region"),
        (lambda d: d["prices"].pop("s3_put"), "lacks s3_put"),
        (lambda d: d["prices"]["s3_get"].update(usd=0), "positive"),
        (lambda d: d["prices"]["s3_get"].update(usd=True), "positive"),
        (lambda d: d["prices"]["sqs_request"].update(source="http://x"), "https"),
        (lambda d: d.update(prices=[]), "'prices'"),
    ],
)
def test_a_broken_table_is_refused(mutate: Any, message: str) -> None:
    broken = copy.deepcopy(document())
    mutate(broken)
    with pytest.raises(PriceTableError, match=message):
        parse_prices(broken)
