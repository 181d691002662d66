"""The buffered entry's cost model: batch formation, SQS units, fixed costs, cost against rate."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from benchmarks import buffered
from benchmarks.buffered import BufferSettings, PipelineProfile, interpolate
from benchmarks.prices import load_prices
from tests.unit.benchmarks.conftest import segment

PRICES = load_prices()


def total(usage: buffered.cost.Usage) -> float:
    return buffered.per_million(usage, PRICES)["total"]


def test_interpolation_is_exact_at_points_linear_between_and_extended_beyond() -> None:
    points = [(1.0, 10.0), (3.0, 20.0), (5.0, 20.0)]
    assert interpolate(points, 1.0) == 10.0
    assert interpolate(points, 2.0) == 15.0
    assert interpolate(points, 4.0) == 20.0
    assert interpolate(points, 7.0) == 20.0  # the last two extended
    assert interpolate(points, 0.0) == 5.0  # the first two extended
    assert interpolate(points, -10.0) == 0.0  # never below zero
    assert interpolate([(2.0, 4.0)], 9.0) == 4.0
    with pytest.raises(ValueError, match="no points"):
        interpolate([], 1.0)


def test_a_profile_takes_units_per_execution_of_the_batches_that_stored_everything() -> None:
    refused = segment("STANDARD", 800)
    refused["items_written"] = 0
    profile = PipelineProfile.from_segments(
        "STANDARD", "arm64", 512, [segment("STANDARD", 25, executions=4), refused]
    )
    assert profile.sizes == [25.0]
    units = profile.units(25)
    assert units["state_transitions"] == 3
    assert units["dynamodb_wru"] == 25
    assert units["lambda_gb_seconds"] == pytest.approx(0.03 + 0.004 * 25)
    assert profile.lambda_seconds(25) == pytest.approx((0.03 + 0.1) * 2)  # 512 MB
    with pytest.raises(ValueError, match="stored all"):
        PipelineProfile.from_segments("EXPRESS", "arm64", 512, [refused])


@pytest.mark.parametrize(
    ("rate", "window", "pollers", "expected"),
    [
        (1, 5, 5, 1.0),  # a poller gathers 1 record in its window
        (0.1, 5, 5, 1.0),  # at least one record
        (10, 5, 5, 10.0),
        (100, 5, 5, 100.0),
        (1000, 5, 5, 1000.0),
        (100, 20, 5, 400.0),  # a longer window, larger batches
        (100, 5, 2, 250.0),  # fewer pollers, larger batches
        (100_000, 5, 5, 3364.0),  # capped by the 6 MB invoke payload at 1,870 bytes a record
    ],
)
def test_batch_formed_is_each_pollers_share_of_the_window_within_the_caps(
    buffer: BufferSettings, rate: float, window: float, pollers: int, expected: float
) -> None:
    # BatchSize at Lambda's most (the stacks set 1,000), so the payload's cap shows
    varied = dataclasses.replace(buffer, window_s=window, pollers=pollers, batch_size=10_000)
    assert buffered.batch_formed(rate, varied) == expected


def test_batch_size_caps_a_batch_before_the_payload_does(buffer: BufferSettings) -> None:
    small = dataclasses.replace(buffer, batch_size=200)
    assert small.records_per_invoke == 200
    assert buffered.batch_formed(1000, small) == 200.0
    assert dataclasses.replace(buffer, batch_size=10_000).records_per_invoke == 6_291_456 // 1870
    assert (buffer.window_s, buffer.batch_size) == (5.0, 1000)  # the dev stack's
    assert buffer.records_per_invoke == 1000
    with pytest.raises(ValueError, match="rate"):
        buffered.batch_formed(0, buffer)


@pytest.mark.parametrize(
    ("batch", "fit", "executions"),
    [(1, 500, 1), (500, 500, 1), (501, 500, 2), (1000, 500, 2), (1001, 500, 3), (500, 240, 3)],
)
def test_a_batch_is_split_into_executions_of_max_batch_events_or_the_size_fit(
    buffer: BufferSettings, batch: float, fit: int, executions: int
) -> None:
    varied = dataclasses.replace(buffer, execution_fit=fit)
    assert buffered.executions_per_batch(batch, varied) == executions


def test_sqs_requests_count_64_kb_units(buffer: BufferSettings) -> None:
    one = buffered.sqs_requests_per_batch(100, buffer)
    assert one == {"send": 100.0, "receive": 100.0, "delete": 10.0}
    large = dataclasses.replace(buffer, body_bytes=64 * 1024 + 1, record_bytes=70_000)
    assert buffered.sqs_requests_per_batch(10, large) == {
        "send": 20.0,  # each body starts a second 64 KB chunk
        "receive": 20.0,
        "delete": 1.0,
    }
    tens = dataclasses.replace(buffer, messages_per_receive=10, record_bytes=7_000)
    # ten records of 7 KB: 70 KB per ReceiveMessage, 2 units each, for 10 receives
    assert buffered.sqs_requests_per_batch(100, tens)["receive"] == 20.0
    with pytest.raises(ValueError, match="messages_per_receive"):
        dataclasses.replace(buffer, messages_per_receive=11)


def test_fixed_requests_are_idle_long_polls_and_kms_data_keys(buffer: BufferSettings) -> None:
    fixed = buffered.fixed_requests_per_hour(buffer)
    assert fixed["sqs_idle_receives"] == 5 * 3600 / 20  # 5 pollers, a 20 s long poll each
    assert fixed["kms"] == 3600 / 300 * (2 * 2 + 1)  # 2 producers, 1 consumer


def test_buffered_units_per_event_at_100_per_second(
    standard: PipelineProfile, buffer: BufferSettings
) -> None:
    usage = buffered.buffered_usage(100, standard, buffer)
    events = buffered.EVENTS
    assert usage.apigateway_requests == events
    assert usage.executions == events / 100
    assert usage.state_transitions == 3 * events / 100
    hours = events / 100 / 3600
    sqs = events * (1 + 1 + 0.1) + hours * 900
    assert usage.sqs_requests == pytest.approx(sqs)
    assert usage.kms_requests == pytest.approx(hours * 60)
    assert usage.lambda_requests == pytest.approx(3 * events / 100 + events / 100)
    assert usage.dynamodb_wru == pytest.approx(events)


def test_direct_entry_pays_one_api_request_and_one_execution_per_post(
    standard: PipelineProfile, buffer: BufferSettings
) -> None:
    single = buffered.direct_usage(1, standard, buffer.body_bytes)
    assert single.apigateway_requests == buffered.EVENTS
    assert single.state_transitions == 3 * buffered.EVENTS
    assert single.sqs_requests == 0
    batched = buffered.direct_usage(100, standard, buffer.body_bytes)
    assert batched.apigateway_requests == buffered.EVENTS / 100
    huge = buffered.direct_usage(100, standard, 6_000.0)  # a 600 KB POST: two 512 KB units
    assert huge.apigateway_requests == 2 * buffered.EVENTS / 100


@pytest.mark.parametrize("workflow", ["standard", "express"])
def test_cost_never_rises_with_the_rate_while_batches_fit_one_execution(
    workflow: str, buffer: BufferSettings, request: pytest.FixtureRequest
) -> None:
    profile: PipelineProfile = request.getfixturevalue(workflow)
    rates = [0.5 * 1.2**i for i in range(60)]
    fitting = [r for r in rates if buffered.batch_formed(r, buffer) <= 500]
    costs = [total(buffered.buffered_usage(r, profile, buffer)) for r in fitting]
    assert len(costs) > 30
    assert all(later <= earlier for earlier, later in itertools.pairwise(costs))
    assert costs[-1] < costs[0] / 4


def test_above_one_execution_per_batch_the_cost_stays_between_half_and_full_executions(
    standard: PipelineProfile, buffer: BufferSettings
) -> None:
    full = total(buffered.buffered_usage(500, standard, buffer))  # 500 records, 1 execution
    for rate in (501, 750, 999, 1500, 5000):
        cost = total(buffered.buffered_usage(rate, standard, buffer))
        half = total(buffered.direct_usage(250, standard, buffer.body_bytes))
        assert full * 0.9 <= cost <= half + 2.0, rate


def test_at_one_event_per_second_the_buffer_costs_more_than_the_direct_entry(
    standard: PipelineProfile, buffer: BufferSettings
) -> None:
    direct = total(buffered.direct_usage(1, standard, buffer.body_bytes))
    queued = total(buffered.buffered_usage(1, standard, buffer))
    assert buffered.batch_formed(1, buffer) == 1.0
    assert queued > direct  # the same one-event executions, plus SQS and the Batch function
    assert queued < direct * 1.1


def test_the_batch_function_duration_scales_its_packing_cpu_to_its_memory(
    buffer: BufferSettings,
) -> None:
    share = 512 / 1769
    expected = 0.05 + 0.05 + 100 * 250e-6 / share
    assert buffered.batch_duration_s(100, buffer) == pytest.approx(expected)
    assert buffered.batch_duration_s(1000, buffer) == pytest.approx(
        0.05 + 2 * 0.05 + 1000 * 250e-6 / share
    )
