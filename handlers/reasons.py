"""Machine-readable rejection reasons (docs/architecture.md, "Rejection reasons")."""

from __future__ import annotations

from typing import Final

NOT_JSON: Final = "not_json"
DUPLICATE_KEY: Final = "duplicate_key"
INVALID_ENVELOPE: Final = "invalid_envelope"
EVENT_TOO_LARGE: Final = "event_too_large"
SCHEMA_VIOLATION: Final = "schema_violation"
BAD_EVENT_TIME: Final = "bad_event_time"
INVALID_ACTION: Final = "invalid_action"
FUTURE_EVENT_TIME: Final = "future_event_time"
EVENT_TOO_OLD: Final = "event_too_old"
CONFLICTING_DUPLICATE: Final = "conflicting_duplicate"
# Raw lines that hold no event any more (handlers.suppression): a suppressed user's event, stored
# by Ingest as a content-free marker; a line `ops forget` erased.
SUPPRESSED_USER: Final = "suppressed_user"
ERASED_USER: Final = "erased_user"
# Every reason; docs/architecture.md gives the order they are checked in.
REASONS: Final = (
    SUPPRESSED_USER,
    ERASED_USER,
    NOT_JSON,
    DUPLICATE_KEY,
    INVALID_ENVELOPE,
    EVENT_TOO_LARGE,
    SCHEMA_VIOLATION,
    BAD_EVENT_TIME,
    INVALID_ACTION,
    FUTURE_EVENT_TIME,
    EVENT_TOO_OLD,
    CONFLICTING_DUPLICATE,
)
