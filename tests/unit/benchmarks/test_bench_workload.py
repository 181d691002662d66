"""Benchmark events: valid, distinct, reproducible; batching and the payload limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from benchmarks.workload import (
    batches,
    fits_payload_limit,
    fits_records_limit,
    hottest_user_share,
    largest_fitting_batch,
    make_events,
    payload,
    record_text,
    records_payload,
)
from handlers.curate import Lineage, curate_events
from handlers.keys import event_id

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_events_are_reproducible_distinct_and_all_valid() -> None:
    events = make_events(300, seed=3, nonce="t", now=NOW)
    assert events == make_events(300, seed=3, nonce="t", now=NOW)
    assert len({event_id(e) for e in events}) == 300
    lineage = Lineage("ingest/x.json", "b" * 32, "exec", NOW, NOW, 72)
    curated = curate_events(events, lineage)
    assert curated.rejected == []
    assert len(curated.items) == 300


def test_batches_and_payload_shape() -> None:
    events = make_events(5, seed=1, nonce="t", now=NOW)
    assert [len(b) for b in batches(events, 2)] == [2, 2, 1]
    assert payload(events[:1]) == events[0]
    assert payload(events[:2]) == {"events": events[:2]}
    with pytest.raises(ValueError, match=">= 1"):
        list(batches(events, 0))


def test_largest_fitting_batch_is_the_payload_limit_boundary() -> None:
    events = make_events(2000, seed=2, nonce="t", now=NOW)
    fit = largest_fitting_batch(events, 2000)
    assert 500 <= fit < 2000  # maxBatchEvents 500 of these events fits
    assert fits_payload_limit(events[:fit])
    assert not fits_payload_limit(events[: fit + 1])


def test_records_are_the_events_texts_and_cost_more_room_than_the_envelope() -> None:
    events = make_events(500, seed=4, nonce="r", now=NOW)
    records = records_payload(events[:2])
    assert records == {"records": [record_text(events[0]), record_text(events[1])]}
    envelope_fit = largest_fitting_batch(events, 500)
    records_fit = largest_fitting_batch(events, 500, fits_records_limit)
    assert 0 < records_fit <= envelope_fit
    big = [{**e, "properties": {"blob": '"' * 900}} for e in events]  # each quote escaped twice
    assert largest_fitting_batch(big, 500, fits_records_limit) < largest_fitting_batch(big, 500)


def test_hottest_user_share() -> None:
    events = [{"user_id": "a"}, {"user_id": "a"}, {"user_id": "b"}, {"user_id": "c"}]
    assert hottest_user_share(events) == 0.5
    with pytest.raises(ValueError, match="no events"):
        hottest_user_share([])
