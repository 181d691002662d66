"""What Process reads from one line of a raw object (pure).

Ingest writes a line per received event (handlers.envelope): the event's JSON text as received,
or a JSON string holding a received text that is no JSON event (not JSON, a JSON string, or nested
too deeply to be read). Process reads a line with the values `json.loads` gives (floats for
numbers with a fraction or exponent), so curation, content hashes and derived event_ids stay what
they were for every event. A line that holds no event is refused here (LineRejected), first
failure first:

- `suppressed_user` / `erased_user`: a marker (handlers.suppression) Ingest wrote for a suppressed
  user's event, or `ops forget` for an erased one — rejected with no content;
- `not_json`: the line does not parse, or it is a JSON string (a text received that is no event);
- `schema_violation` (maxDepth): the line, or the text a string line holds, nests deeper than
  MAX_INPUT_DEPTH; it is not parsed at all (no RecursionError, whatever the text);
- `duplicate_key`: an object repeats a key;
- `invalid_envelope`: an object with an `events` key is a batch envelope, not an event;
- `event_too_large` or `schema_violation` (numberRange): an integer literal longer than int()
  converts (4,300 digits) — read as text, so it is rejected like any number DynamoDB cannot hold.

A refused line is reported under the client's event_id when it has a usable one, else under the
content hash of what was received (its last-wins reading for duplicate keys; the text itself when
it could not be read as an event).
"""

from __future__ import annotations

import json
from typing import Any

from handlers import keys
from handlers.canonical import HugeInteger, json_value_problem, short_hash, short_hash_bytes
from handlers.envelope import ENVELOPE_KEY
from handlers.jsontext import JsonTextError, read, too_deep
from handlers.limits import MAX_EVENT_BYTES, MAX_INPUT_DEPTH
from handlers.reasons import (
    DUPLICATE_KEY,
    ERASED_USER,
    EVENT_TOO_LARGE,
    INVALID_ENVELOPE,
    NOT_JSON,
    SCHEMA_VIOLATION,
    SUPPRESSED_USER,
)
from handlers.schema import clip_detail
from handlers.suppression import MARKERS, marker_reason

TOO_DEEP_DETAIL = f"data: nested deeper than {MAX_INPUT_DEPTH} levels, not read (rule: maxDepth)"
MARKER_DETAILS = {
    SUPPRESSED_USER: "the event of a suppressed user: stored as a marker, without its content",
    ERASED_USER: "erased on request (ops forget): the event is no longer stored",
}
_MARKER_STARTS = tuple(f'{{"{reason}":' for reason in MARKERS)


class LineRejected(Exception):
    """A raw line that holds no event: its reason, detail, id and what the rejected record keeps."""

    def __init__(self, reason: str, detail: str, event_id: str, event: Any) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = clip_detail(detail)
        self.event_id = event_id
        self.event = event


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):  # a key repeats: name the first repetition
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _integer(text: str) -> int | HugeInteger:
    try:
        return int(text)
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
        return HugeInteger(text)


# Each decoder twice: a line is decoded with the stdlib's integers and, only when int() refuses a
# literal (over 4,300 digits), again with such integers kept as HugeInteger (so a line says whether
# it holds one without a walk over its value).
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)
_DECODER_HUGE = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_int=_integer)
_LAST_WINS = json.JSONDecoder()
_LAST_WINS_HUGE = json.JSONDecoder(parse_int=_integer)


def _decode(decoder: json.JSONDecoder, huge: json.JSONDecoder, line: str) -> tuple[Any, bool]:
    """(value, whether it holds a HugeInteger); JSONDecodeError and _DuplicateKey pass through."""
    try:
        return decoder.decode(line), False
    except json.JSONDecodeError:
        raise
    except ValueError:  # int() refused an integer literal: read it as text
        return huge.decode(line), True


def text_id(text: str) -> str:
    """The id of a text received that is no event: the sha256 of its UTF-8."""
    return short_hash_bytes(text.encode("utf-8", "surrogatepass"))


def _event_id(value: Any, huge: bool, line: str) -> str:
    """The client's event_id when usable, else the content hash (of the line when the value holds
    an integer no canonical JSON can be written of)."""
    given = keys.client_event_id(value)
    if given is not None:
        return given
    return text_id(line) if huge else short_hash(value)


def _marker(line: str) -> LineRejected | None:
    """A marker line (handlers.suppression) as its rejection: no content, the marker's id."""
    if not line.startswith(_MARKER_STARTS):
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    reason = marker_reason(value)
    if reason is None:
        return None
    given = value[reason]
    ident = given if isinstance(given, str) and given else text_id(line)
    return LineRejected(reason, MARKER_DETAILS[reason], ident, None)


def read_line(line: str) -> Any:
    """The event a raw line holds (json.loads' values), or LineRejected."""
    marker = _marker(line)
    if marker is not None:
        raise marker
    if line.startswith("\ufeff"):  # what json.loads refuses before decoding
        detail = "line does not parse as JSON: Unexpected UTF-8 BOM (decode using utf-8-sig)"
        raise LineRejected(NOT_JSON, detail, text_id(line), line)
    if too_deep(line, MAX_INPUT_DEPTH):
        raise LineRejected(SCHEMA_VIOLATION, TOO_DEEP_DETAIL, text_id(line), line)
    try:
        value, huge = _decode(_DECODER, _DECODER_HUGE, line)
    except _DuplicateKey as exc:
        detail = f"key {str(exc.args[0])!r} appears twice in one object (rule: uniqueKeys)"
        last, huge = _decode(_LAST_WINS, _LAST_WINS_HUGE, line)
        raise LineRejected(DUPLICATE_KEY, detail, _event_id(last, huge, line), line) from None
    except json.JSONDecodeError as exc:
        detail = f"line does not parse as JSON: {exc}"
        raise LineRejected(NOT_JSON, detail, text_id(line), line) from None
    if isinstance(value, str):
        raise _text_rejected(value)
    if isinstance(value, dict) and ENVELOPE_KEY in value:
        detail = (
            f"data: an object with {ENVELOPE_KEY!r} is a batch envelope, not an event "
            f"(an execution input {{{ENVELOPE_KEY!r}: [...]}} holds nothing else)"
        )
        ident = _event_id(value, huge, line)
        raise LineRejected(INVALID_ENVELOPE, detail, ident, line if huge else value)
    if huge:
        raise _huge_rejected(value, line)
    return value


def _text_rejected(text: str) -> LineRejected:
    """A string line: the text received, which is no JSON event."""
    try:
        reading = read(text, max_depth=MAX_INPUT_DEPTH)
    except JsonTextError as exc:
        if too_deep(text, MAX_INPUT_DEPTH):
            return LineRejected(SCHEMA_VIOLATION, TOO_DEEP_DETAIL, text_id(text), text)
        return LineRejected(NOT_JSON, f"the text received is {exc.message}", text_id(text), text)
    what = "a JSON string" if isinstance(reading.value, str) else "JSON held in a string"
    detail = f"the text received is {what}, not an event object"
    return LineRejected(NOT_JSON, detail, text_id(text), text)


def _huge_rejected(value: Any, line: str) -> LineRejected:
    """An event holding an integer literal over 4,300 digits: too large, or numberRange."""
    ident = _event_id(value, True, line)
    size = huge_canonical_size(value)
    if size > MAX_EVENT_BYTES:
        return LineRejected(EVENT_TOO_LARGE, f"{size} bytes > {MAX_EVENT_BYTES} bytes", ident, line)
    if not isinstance(value, dict):
        kind = "int" if isinstance(value, HugeInteger) else type(value).__name__
        detail = f"data must be object (rule: type), got {kind}"
        return LineRejected(SCHEMA_VIOLATION, detail, ident, line)
    problem = json_value_problem(value)
    assert problem is not None  # a HugeInteger is always a numberRange problem
    return LineRejected(SCHEMA_VIOLATION, problem, ident, line)


def huge_canonical_size(value: Any) -> int:
    """Bytes of the canonical JSON of a value holding HugeIntegers (each written as its digits)."""
    extra = 0

    def digits(obj: Any) -> Any:
        nonlocal extra
        if not isinstance(obj, HugeInteger):
            raise TypeError(f"{type(obj).__name__} is not JSON")
        extra += len(obj.text) - 1
        return 0

    encoder = json.JSONEncoder(
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=digits
    )
    return len(encoder.encode(value).encode("utf-8", "surrogatepass")) + extra
