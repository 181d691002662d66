"""Fixtures for the pure-core tests of handlers/ (no AWS, no moto)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.curate import Lineage

RECEIVED_AT = datetime(2024, 5, 1, 12, 0, 0, 500_000, tzinfo=UTC)


@pytest.fixture
def lineage() -> Lineage:
    return Lineage(
        raw_key="ingest/yyyy=2024/mm=05/dd=01/hh=10/" + "b" * 32 + ".json",
        batch_id="b" * 32,
        execution_id="arn:aws:states:us-east-1:123456789012:execution:wf:b-" + "b" * 32,
        received_at=RECEIVED_AT,
        processed_at=datetime(2024, 5, 1, 12, 0, 1, tzinfo=UTC),
        late_threshold_hours=72,
    )


@pytest.fixture
def event() -> dict[str, object]:
    return {
        "user_id": "user-1",
        "action": "Page View",
        "event_time": "2024-05-01T12:00:00.123+02:00",
        "session_id": "s-1",
        "page": "/home",
        "ip": "203.0.113.77",
        "properties": {"price": 9.99, "tags": ["a", "b"], "nested": {"n": 1}},
    }
