"""What Ingest admits of an execution input's lines, and each line's share of its estimate (pure).

Ingest (before it stores anything) and the Batch function (before it starts an execution) read
the raw lines of an input the same way, so an input the Batch function forms is one Ingest admits.
"""

from __future__ import annotations

from typing import Any

from handlers.canonical import utf8_size
from handlers.envelope import estimate_item_size, estimate_rejection_size
from handlers.errors import BatchRejected
from handlers.limits import MAX_EVENT_BYTES
from handlers.rawlines import LineRejected, read_line
from handlers.reasons import EVENT_TOO_LARGE


def read_lines(lines: list[str]) -> tuple[list[Any], list[int]]:
    """(the events Process will read, each line's share of its output estimate); BatchRejected
    when an event is over MAX_EVENT_BYTES (nothing is stored: send it smaller)."""
    events: list[Any] = []
    shares: list[int] = []
    for index, line in enumerate(lines):
        try:
            event = read_line(line)
        except LineRejected as exc:
            if exc.reason == EVENT_TOO_LARGE:
                raise BatchRejected(f"event #{index}: {exc.detail}; send it smaller") from None
            shares.append(estimate_rejection_size(exc.event_id) + 1)
            continue
        size = utf8_size(event)
        if size > MAX_EVENT_BYTES:
            raise BatchRejected(
                f"event #{index} is {size} bytes, over the {MAX_EVENT_BYTES}-byte event limit; "
                "send it smaller (nothing was stored)"
            )
        events.append(event)
        shares.append(estimate_item_size(event) + 1)
    return events, shares
