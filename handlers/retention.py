"""Item retention (pure): the DynamoDB TTL attribute Write sets on every stored item.

An item expires `ITEM_RETENTION_DAYS` after its batch's `received_at` (when the pipeline received
the event, set once per batch by Ingest and kept in the raw object's metadata), not after its
`occurred_at`: retention counts from collection, like the raw copy's lifecycle expiration; a
replay or a retried Write computes the same value; and a client's clock, which sets `event_time`,
cannot make an item expire at once (a late event) or decide how long it is kept.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from handlers.times import parse_timestamp

EXPIRY_ATTRIBUTE: Final = "expires_at"  # epoch seconds (Number), the table's TTL attribute


def expires_at(received_at: str, days: int) -> int:
    """Epoch seconds `days` after `received_at` (RFC 3339, as the lineage holds it)."""
    if days < 1:
        raise ValueError(f"retention must be at least 1 day, got {days}")
    return int((parse_timestamp(received_at) + timedelta(days=days)).timestamp())
