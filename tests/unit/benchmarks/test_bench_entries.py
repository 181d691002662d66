"""The entries compared: cost by rate, capacity and the buffered entry's targets, as reported."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from benchmarks import buffered, entries, report
from benchmarks.buffered import BufferSettings, PipelineProfile
from benchmarks.prices import load_prices
from benchmarks.quotas import load_quotas
from tests.unit.benchmarks.conftest import buffer_settings, profile

PRICES = load_prices()
QUOTAS = load_quotas()


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    profiles = {w: profile(w) for w in ("STANDARD", "EXPRESS")}
    return entries.model(profiles, buffer_settings(), PRICES, QUOTAS, 0.01)


def row(results: dict[str, Any], label: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in results["configurations"] if c["label"] == label)
    return found


def test_the_buffered_entry_is_priced_at_each_rate_beside_direct_and_client_batches(
    results: dict[str, Any],
) -> None:
    queued = row(results, "buffered, 1 event per POST, Standard")
    totals = [queued["by_rate"][r]["total"] for r in ("1", "10", "100", "1000")]
    assert totals == sorted(totals, reverse=True)
    assert queued["batch_formed"]["100"] == {"records": 100.0, "executions": 1}
    assert queued["batch_formed"]["1000"] == {"records": 1000.0, "executions": 2}
    direct = row(results, "direct, 1 event per POST, Standard")
    assert direct["capacity_events_per_s"] == pytest.approx(300)
    client = row(results, "client batches of 100 per POST (direct), Standard")
    assert client["capacity_events_per_s"] is None
    # the buffer pays one API request and about two SQS requests per event that batches do not
    extra = queued["by_rate"]["100"]["total"] - client["per_million"]["total"]
    assert extra == pytest.approx(1.00 * 0.99 + 0.40 * 2.1, abs=0.05)


def test_targets_follow_the_figures(
    results: dict[str, Any], buffer: BufferSettings, standard: PipelineProfile
) -> None:
    verdicts = {t["name"]: t["met"] for t in results["targets"]}
    assert len(verdicts) == 5
    cost_name = "buffered single-event HTTP at 100 events/s, Standard (USD per million events)"
    queued = row(results, "buffered, 1 event per POST, Standard")["by_rate"]["100"]["total"]
    assert verdicts[cost_name] is (queued <= 3.50)
    assert verdicts["buffered capacity within default quotas, Standard (events/s)"] is True
    short = dataclasses.replace(buffer, window_s=0.5)  # batches of 10: pricier
    worse = entries.model({"STANDARD": standard, "EXPRESS": standard}, short, PRICES, QUOTAS, 0.01)
    target = next(t for t in worse["targets"] if t["name"] == cost_name)
    assert target["met"] is False
    assert target["measured"] > 3.50


def test_a_failed_target_is_explained_from_the_line_items(results: dict[str, Any]) -> None:
    target = report.Target(**results["targets"][1])
    assert target.met is False  # 1.5x client batches of 100 cannot absorb API Gateway + SQS
    text = entries.gap(target, results)
    assert "API Gateway $0.99" in text or "API Gateway $1.00" in text
    assert "client batches of 100" in text
    capacity_target = report.Target(**results["targets"][-1])
    assert "API Gateway account throttle" in entries.gap(capacity_target, results)


def test_the_ideal_consumer_bounds_the_buffered_cost_from_below(
    results: dict[str, Any], buffer: BufferSettings
) -> None:
    ideal = entries.ideal_consumer(buffer, entries.TARGET_RATE)
    assert buffered.batch_formed(entries.TARGET_RATE, ideal) == ideal.events_per_execution_max
    rows = {r["assumption"]: r for r in results["sensitivity_at_target_rate"]}
    for workflow in ("STANDARD", "EXPRESS"):
        assert rows[entries.IDEAL][workflow] == min(r[workflow] for r in rows.values())
    # the POST ($1.00 per million requests) and its SendMessage ($0.40) come before any batching
    assert results["front_door_per_million"] == pytest.approx(1.40)
    express = next(report.Target(**t) for t in results["targets"] if "Express" in t["name"])
    client = row(results, "client batches of 100 per POST (direct), Express")["per_million"]
    ratio = 1.40 / client["total"]
    assert ratio > entries.TARGET_VS_CLIENT_BATCH  # out of reach for any consumer
    assert f"are $1.40 per million, {ratio:.2f}x the client-batched figure" in entries.gap(
        express, results
    )


def test_the_report_section_shows_capacity_limits_and_the_chart(results: dict[str, Any]) -> None:
    text = "\n".join(report.entry_section(results, "cost_vs_rate.png"))
    assert "![cost per million events against arrival rate](cost_vs_rate.png)" in text
    assert "| direct, 1 event per POST, Standard | " in text
    assert "over capacity (300/s)" in text
    assert "| buffered: records per batch -> executions | 1 -> 1 | 10 -> 1 | 100 -> 1 |" in text
    assert "| buffered, Standard | 10,000 | API Gateway account throttle |" in text
    assert "| StartExecution (Standard) | 300 |" in text
