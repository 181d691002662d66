"""handlers.retention: the TTL attribute Write sets (pure)."""

from __future__ import annotations

import pytest

from handlers.retention import EXPIRY_ATTRIBUTE, expires_at


def test_expiry_counts_whole_days_from_received_at() -> None:
    # 2025-05-05T10:30:00.123Z is 1746441000.123; 30 days later, truncated to the second
    assert expires_at("2025-05-05T10:30:00.123Z", 30) == 1746441000 + 30 * 86_400
    assert expires_at("2025-05-05T12:30:00.999+02:00", 1) == 1746441000 + 86_400


def test_the_attribute_is_the_tables_ttl_attribute() -> None:
    assert EXPIRY_ATTRIBUTE == "expires_at"


@pytest.mark.parametrize("days", [0, -1])
def test_retention_below_a_day_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match="at least 1 day"):
        expires_at("2025-05-05T10:30:00.000Z", days)
