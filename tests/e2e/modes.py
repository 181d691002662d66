"""The entry modes in the e2e tests: the dev stack as configured is buffered; the tests of the
direct route and rule deploy it with ``DIRECT`` (entryMode direct, no buffer keys)."""

from __future__ import annotations

P = "activity-pipeline:"
BUFFER_KEYS = (
    "bufferBatchSize",
    "bufferBatchingWindowSeconds",
    "bufferMaxReceives",
    "bufferRetentionDays",
)
DIRECT: dict[str, str] = {f"{P}entryMode": "direct", **{f"{P}{key}": "" for key in BUFFER_KEYS}}
