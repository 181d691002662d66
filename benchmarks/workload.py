"""Synthetic activity events (pure, seeded): the mix the samples in tests/events/ show.

Every event is valid and distinct (a run nonce in ids), so each one ends in the table; ~half carry
a client ``event_id``, times mix RFC 3339 with offsets and epoch milliseconds, some carry an IP,
user agent, referrer or properties — so validation, normalization and enrichment all do work.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

from handlers.envelope import check_payload_size, estimate_payload_size
from handlers.errors import BatchRejected
from handlers.keys import batch_id, raw_key
from handlers.limits import MAX_EXECUTION_ID, execution_input_problem
from handlers.times import EPOCH

ACTIONS: Final = (
    "page_view",
    "Page View",
    "PageView",
    "click",
    "login",
    "logout",
    "add-to-cart",
    "checkout",
    "search",
    "Video Play",
)
PAGES: Final = ("/", "/pricing", "/docs/getting-started", "/search", "/cart", "/account/settings")
AGENTS: Final = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
)


def make_events(count: int, *, seed: int, nonce: str, now: datetime | None = None) -> list[Any]:
    """``count`` valid, distinct events with times in the hour before ``now``."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    base = (now or datetime.now(UTC)).astimezone(UTC)
    events: list[Any] = []
    for i in range(count):
        moment = base - timedelta(seconds=rng.randint(60, 3600), milliseconds=rng.randint(0, 999))
        event: dict[str, Any] = {
            "user_id": f"u-{nonce}-{rng.randint(1, 200)}",
            "action": rng.choice(ACTIONS),
        }
        if rng.random() < 0.25:
            event["event_time"] = int(moment.timestamp() * 1000)
        elif rng.random() < 0.5:
            offset = timedelta(hours=rng.choice((-5, 2, 9)))
            event["event_time"] = moment.astimezone(timezone(offset)).isoformat(
                timespec="milliseconds"
            )
        else:
            event["event_time"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if rng.random() < 0.5:
            event["event_id"] = f"ev-{nonce}-{i}"
        else:
            event["session_id"] = f"s-{nonce}-{i // 10}"
        if rng.random() < 0.8:
            event["page"] = rng.choice(PAGES)
        if rng.random() < 0.3:
            event["referrer"] = "https://www.example.com/landing?utm_source=newsletter"
        if rng.random() < 0.4:
            event["user_agent"] = rng.choice(AGENTS)
        if rng.random() < 0.4:
            event["ip"] = f"198.51.100.{rng.randint(1, 254)}"
        if rng.random() < 0.4:
            event["properties"] = {"sku": f"SKU-{rng.randint(100, 999)}", "qty": rng.randint(1, 5)}
        events.append(event)
    return events


def batches(events: Sequence[Any], size: int) -> Iterator[list[Any]]:
    if size < 1:
        raise ValueError("batch size must be >= 1")
    for start in range(0, len(events), size):
        yield list(events[start : start + size])


def payload(batch: list[Any]) -> Any:
    """The execution input: the bare event for a batch of one, else the micro-batch envelope."""
    return batch[0] if len(batch) == 1 else {"events": batch}


def record_text(event: Any) -> str:
    """One event as a client POSTs it (its JSON text): the body the buffer carries as received."""
    return json.dumps(event)


def records_payload(batch: list[Any]) -> dict[str, list[str]]:
    """The buffered entry's execution input: each record the text of one event as received."""
    return {"records": [record_text(e) for e in batch]}


def _fits(input_text: str, batch: list[Any], execution_id_bytes: int) -> bool:
    if execution_input_problem(input_text) is not None:
        return False
    key = raw_key(batch, batch_id(batch), EPOCH)
    try:
        check_payload_size(estimate_payload_size(batch, key, "x" * execution_id_bytes), len(batch))
    except BatchRejected:
        return False
    return True


def fits_payload_limit(batch: list[Any], execution_id_bytes: int = MAX_EXECUTION_ID) -> bool:
    """Whether Ingest accepts this batch for its size: the input within the margins of
    handlers.limits, and the enriched-size estimate (handlers.envelope) within Process's limit."""
    return _fits(json.dumps(payload(batch)), batch, execution_id_bytes)


def fits_records_limit(batch: list[Any], execution_id_bytes: int = MAX_EXECUTION_ID) -> bool:
    """fits_payload_limit for the same events sent as records (each its text, escaped once more)."""
    return _fits(json.dumps(records_payload(batch)), batch, execution_id_bytes)


def largest_fitting_batch(
    events: Sequence[Any], upper: int, fits: Callable[[list[Any]], bool] = fits_payload_limit
) -> int:
    """The largest n <= upper whose first n events fit the limit (the estimate grows with n)."""
    low, high = 0, min(upper, len(events))
    while low < high:
        mid = (low + high + 1) // 2
        if fits(list(events[:mid])):
            low = mid
        else:
            high = mid - 1
    return low


def hottest_user_share(events: Sequence[Any]) -> float:
    """The largest share of the events that one user_id sends (its partition's share of writes)."""
    if not events:
        raise ValueError("no events")
    counts = Counter(e.get("user_id") for e in events if isinstance(e, dict))
    return max(counts.values()) / len(events)
