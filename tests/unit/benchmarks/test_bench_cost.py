"""The pure cost model: billable units from measured operations, and their list price."""

from __future__ import annotations

import math
from typing import Any

import pytest

from benchmarks import cost
from benchmarks.prices import load_prices

STANDARD_SUCCESS = [
    "ExecutionStarted",
    *["TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited"] * 3,
    "ExecutionSucceeded",
]


def test_a_successful_three_task_execution_is_three_transitions() -> None:
    assert cost.billable_transitions(STANDARD_SUCCESS) == 3


def test_each_retry_is_one_more_transition() -> None:
    retried = [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskFailed",
        "TaskScheduled",  # Retry
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    assert cost.billable_transitions(retried) == 2


def test_the_dlq_path_counts_its_states() -> None:
    failed = [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskFailed",
        "TaskStateExited",
        "TaskStateEntered",  # SendToDLQ
        "TaskScheduled",
        "TaskSucceeded",
        "TaskStateExited",
        "FailStateEntered",
        "ExecutionFailed",
    ]
    assert cost.billable_transitions(failed) == 3


def test_workflow_log_levels() -> None:
    kinds = ["ExecutionStarted", "TaskFailed", "ExecutionFailed"]
    assert cost.workflow_log_events(kinds, "ALL") == [0, 1, 2]
    assert cost.workflow_log_events(kinds, "ERROR") == [1, 2]
    assert cost.workflow_log_events(kinds, "FATAL") == [2]
    assert cost.workflow_log_events(kinds, "OFF") == []


def test_log_event_bytes_count_utf8_and_overhead() -> None:
    assert cost.log_event_bytes("abc") == 3 + 26
    assert cost.log_event_bytes("é") == 2 + 26


@pytest.mark.parametrize(
    ("seconds", "billed_ms"), [(0.0, 1), (0.0001, 1), (0.001, 1), (0.0011, 2), (0.25, 250)]
)
def test_lambda_duration_rounds_up_to_the_millisecond(seconds: float, billed_ms: int) -> None:
    assert cost.lambda_billed_ms(seconds) == billed_ms


def test_lambda_gb_seconds_use_configured_memory() -> None:
    assert cost.lambda_gb_seconds([0.1, 0.1], 512) == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("seconds", "billed"), [(0.01, 0.1), (0.1, 0.1), (0.1001, 0.2), (1.05, 1.1)]
)
def test_express_duration_rounds_up_to_100_ms(seconds: float, billed: float) -> None:
    assert cost.express_billed_seconds(seconds) == pytest.approx(billed)


def test_express_memory_is_billed_in_64_mb_chunks() -> None:
    assert cost.express_billed_memory_mb(4_000, 100_000) == 64
    assert cost.express_billed_memory_mb(4_000, 256 * 1024, map_steps=400) == 192
    assert cost.express_gb_seconds(0.15, 64) == pytest.approx(0.2 * 64 / 1024)


def test_dynamodb_item_size_follows_the_documented_rules() -> None:
    item: dict[str, dict[str, Any]] = {
        "user_id": {"S": "u-1"},  # 7 + 3
        "n": {"N": "12345"},  # 1 + (1 + 3)
        "late": {"BOOL": False},  # 4 + 1
        "gone": {"NULL": True},  # 4 + 1
        "properties": {"M": {"qty": {"N": "2"}}},  # 10 + 3 + (1 + 3 + 2)
        "tags": {"L": [{"S": "ab"}]},  # 4 + 3 + (1 + 2)
    }
    assert cost.dynamodb_item_size(item) == 10 + 5 + 5 + 5 + 19 + 10


def test_dynamodb_number_size_ignores_sign_point_and_outer_zeros() -> None:
    assert cost.dynamodb_value_size({"N": "-0.0012300"}) == 1 + 2
    assert cost.dynamodb_value_size({"N": "0"}) == 2


def test_unknown_dynamodb_type_raises() -> None:
    with pytest.raises(ValueError, match="unknown DynamoDB attribute type"):
        cost.dynamodb_value_size({"X": 1})


@pytest.mark.parametrize(("size", "wru"), [(1, 1), (1024, 1), (1025, 2), (4096, 4)])
def test_one_write_unit_per_started_kilobyte(size: int, wru: int) -> None:
    assert cost.write_request_units(size) == wru


def test_cost_lines_and_per_million() -> None:
    prices = load_prices()
    usage = cost.Usage(
        events=100,
        workflow_type="STANDARD",
        state_transitions=3,
        lambda_requests=3,
        lambda_gb_seconds=0.05,
        s3_puts=1,
        s3_gets=1,
        dynamodb_wru=100,
        log_bytes=1024**3 // 1000,
    )
    lines = cost.cost_lines(usage, prices)
    assert lines["stepfunctions_transitions"] == pytest.approx(3 * 0.025 / 1000)
    assert lines["lambda_duration"] == pytest.approx(0.05 * 0.0000133334)
    assert lines["dynamodb_writes"] == pytest.approx(100 * 0.625 / 1_000_000)
    assert lines["logs_ingestion"] == pytest.approx(0.5 / 1000, rel=1e-3)
    assert lines["stepfunctions_express_requests"] == 0
    scaled = cost.per_million(lines, usage.events)
    assert scaled["stepfunctions_transitions"] == pytest.approx(0.75)
    assert scaled["total"] == pytest.approx(sum(lines.values()) * 10_000)


def test_express_usage_is_priced_per_request_and_gb_second() -> None:
    prices = load_prices()
    usage = cost.Usage(
        events=1000, workflow_type="EXPRESS", express_requests=10, express_gb_seconds=2.0
    )
    lines = cost.cost_lines(usage, prices)
    assert lines["stepfunctions_express_requests"] == pytest.approx(10 / 1_000_000)
    assert lines["stepfunctions_express_duration"] == pytest.approx(2.0 * 0.00001667)


def test_per_million_needs_events() -> None:
    with pytest.raises(ValueError, match="positive"):
        cost.per_million({}, 0)


def test_ratio() -> None:
    assert cost.ratio(1, 4) == 0.25
    assert math.isinf(cost.ratio(1, 0))


def test_api_gateway_and_sqs_requests_are_priced_with_their_chunks() -> None:
    prices = load_prices()
    usage = cost.Usage(
        events=10,
        workflow_type="STANDARD",
        apigateway_requests=10 * cost.apigateway_billed_requests(300),
        sqs_requests=10 * cost.sqs_billed_requests(300),
    )
    lines = cost.cost_lines(usage, prices)
    assert lines["apigateway_requests"] == pytest.approx(10 * 1.00 / 1_000_000)
    assert lines["sqs_requests"] == pytest.approx(10 * 0.40 / 1_000_000)


@pytest.mark.parametrize(
    ("size", "api", "sqs"),
    [(0, 1, 1), (300, 1, 1), (65_536, 1, 1), (65_537, 1, 2), (524_288, 1, 8), (524_289, 2, 9)],
)
def test_request_units_per_512_kb_and_64_kb(size: int, api: int, sqs: int) -> None:
    assert cost.apigateway_billed_requests(size) == api
    assert cost.sqs_billed_requests(size) == sqs


def test_firehose_into_iceberg_is_priced_per_gb_ingested_without_5_kb_rounding() -> None:
    prices = load_prices()
    usage = cost.Usage(events=1_000_000, workflow_type="STANDARD", firehose_bytes=700_000_000)
    lines = cost.cost_lines(usage, prices)
    assert lines["firehose_iceberg"] == pytest.approx(700_000_000 / 1024**3 * 0.075)
    assert prices["firehose_iceberg_gb"] == pytest.approx(0.075)
    assert prices["athena_tb_scanned"] == pytest.approx(5.0)
