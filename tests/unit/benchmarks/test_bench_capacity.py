"""The capacity model: what each entry asks of the quotas, and which quota binds first."""

from __future__ import annotations

import dataclasses
import math

import pytest

from benchmarks import capacity
from benchmarks.buffered import BufferSettings, PipelineProfile
from benchmarks.capacity import Entry, flow, highest_rate
from benchmarks.quotas import load_quotas

QUOTAS = load_quotas()
SHARE = 0.01


def test_highest_rate_finds_the_first_failing_rate_even_when_demand_is_not_monotone() -> None:
    assert highest_rate(lambda r: r <= 300) == pytest.approx(300)
    assert highest_rate(lambda r: not 5 < r < 6) == pytest.approx(5)  # 7 fits again: ignored
    assert highest_rate(lambda r: True) == math.inf


def test_direct_standard_binds_on_start_execution_and_then_on_transitions(
    standard: PipelineProfile,
) -> None:
    found = capacity.capacity(Entry("direct", standard, None, SHARE), QUOTAS)
    assert found.events_per_s == pytest.approx(300)
    assert found.binding == "StartExecution (Standard)"
    assert found.next_binding == "state transitions (Standard)"
    assert found.next_events_per_s == pytest.approx(1500 / 3)  # three transitions per execution


def test_direct_express_binds_on_lambda_invokes_three_per_execution(
    express: PipelineProfile,
) -> None:
    found = capacity.capacity(Entry("direct", express, None, SHARE), QUOTAS)
    assert found.binding == "Lambda invokes/s (10 x concurrency quota)"
    assert found.events_per_s == pytest.approx(10 * 1000 / 3, rel=1e-6)
    # raising concurrency lifts both Lambda checks: the next is another quota's
    assert found.next_binding == "S3 PUT per prefix (the hour's raw objects)"
    assert found.next_events_per_s == pytest.approx(3500)


def test_buffered_binds_on_the_api_gateway_throttle(
    standard: PipelineProfile, buffer: BufferSettings
) -> None:
    found = capacity.capacity(Entry("buffered", standard, buffer, SHARE), QUOTAS)
    assert found.events_per_s == pytest.approx(10_000)
    assert found.binding == "API Gateway account throttle"
    assert found.next_events_per_s > 10_000
    # full batches of the stack's BatchSize, 1,000 records, 2 executions of 500 each
    assert found.at_capacity["events_per_execution"] == pytest.approx(500)
    assert found.at_capacity["executions"] == pytest.approx(10_000 / 1000 * 2, abs=0.01)


def test_raising_the_binding_quota_moves_the_capacity_to_the_next_check(
    standard: PipelineProfile, buffer: BufferSettings
) -> None:
    entry = Entry("buffered", standard, buffer, SHARE)
    first = capacity.capacity(entry, QUOTAS)
    raised = capacity.capacity(entry, QUOTAS.replace(apigateway_account_rps=1e9))
    assert raised.binding == first.next_binding
    assert raised.events_per_s == pytest.approx(first.next_events_per_s, rel=1e-6)


def test_one_hot_user_is_capped_by_its_partition(
    standard: PipelineProfile, buffer: BufferSettings
) -> None:
    found = capacity.capacity(Entry("buffered", standard, buffer, 1.0), QUOTAS)
    assert found.binding == "DynamoDB partition (hottest user)"
    assert found.events_per_s == pytest.approx(1000)  # one WRU per item


def test_in_flight_messages_wait_the_window_and_the_batch_invoke(
    standard: PipelineProfile, buffer: BufferSettings
) -> None:
    low = flow(Entry("b", standard, buffer, SHARE), 100)
    assert low.events_per_execution == 100
    assert low.executions == pytest.approx(1.0)  # 5 pollers, one batch per 5 s window each
    in_batch = 0.05 + 0.05 + 100 * 250e-6 * 1769 / 512
    assert low.sqs_in_flight == pytest.approx(100 * (5 + in_batch))
    high = flow(Entry("b", standard, buffer, SHARE), 50_000)
    gathering = 3364 * 5 / 50_000  # full batches fill before the window ends
    assert high.sqs_in_flight < 50_000 * 5
    assert high.sqs_in_flight > 50_000 * gathering
    direct = flow(Entry("d", standard, None, SHARE), 100)
    assert direct.sqs_in_flight == 0
    assert direct.lambda_invokes == 300


def test_an_unknown_quota_cannot_be_raised() -> None:
    with pytest.raises(ValueError, match="no such quota"):
        QUOTAS.replace(api_gateway=1.0)


def test_the_ramp_is_the_scaling_rates_time_to_reach_the_need(
    standard: PipelineProfile, buffer: BufferSettings
) -> None:
    at = dataclasses.replace(
        flow(Entry("b", standard, buffer, SHARE), 100), lambda_concurrency=2500, mapping_invokes=305
    )
    assert capacity.ramp(at, QUOTAS) == {"lambda_concurrency": 30.0, "mapping_invokes": 60.0}
    found = capacity.capacity(Entry("direct", standard, None, SHARE), QUOTAS)
    assert found.ramp_s["lambda_concurrency"] == 10.0
