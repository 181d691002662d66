"""Read event files and split them into execution inputs within the pipeline's limits (pure).

A file holds one event (a JSON object), `{"events": [...]}`, or NDJSON (one JSON value a line).
Each event keeps its exact text (numbers as written: `1e400`, `-0`, long decimals, integers of any
length), and a batch's input is those texts joined — never a re-serialization. Files are read as
the pipeline reads an execution input (handlers.jsontext: strict JSON, NaN/Infinity and repeated
keys refused, bounded nesting), so nothing is sent that Ingest or an entry would refuse.

Batches hold at most `max_events` events, and every batch passes handlers.limits'
`execution_input_problem`: its size as Step Functions counts it stays within the margin that
leaves room for a dead letter (`MAX_INPUT_SIZE`), and Ingest's payload (the input's text escaped
once more) within the payload limit; the enriched-output estimate of handlers.envelope keeps
Process's result within it too. Nothing is started before every file has been read and split.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handlers import limits
from handlers.envelope import ENVELOPE_KEY, PAYLOAD_LIMIT, estimate_item_size, estimate_payload_size
from handlers.jsontext import NOT_JSON, JsonTextError, member_spans, read, strip
from ops.commands import CommandError

# The longest raw key and execution id Ingest can produce, for the size estimate.
_RAW_KEY = "ingest/yyyy=0000/mm=00/dd=00/hh=00/" + "0" * 32 + ".json"
_HEAD, _SEPARATOR, _TAIL = '{"' + ENVELOPE_KEY + '": [', ", ", "]}"


class InputError(CommandError):
    """An input file cannot be sent (not JSON, empty, an event too large for any batch)."""


@dataclass(frozen=True)
class Event:
    text: str  # the event's JSON text, exactly as in the file
    value: Any  # as Python reads it (floats): for execution names and the size estimate
    file: str = ""  # where it was read
    index: int = 0  # its position among the file's events (0-based)

    @classmethod
    def from_text(cls, text: str, file: str, index: int) -> Event:
        try:
            value = json.loads(text)
        except ValueError:  # an integer over Python's 4,300-digit conversion limit
            value = read(text, max_depth=limits.MAX_INPUT_DEPTH).value
        return cls(text, value, file, index)


@dataclass(frozen=True)
class Batch:
    events: list[Event]

    @property
    def payload(self) -> dict[str, Any]:
        """The input as Python reads it (what execution names are derived from)."""
        return {ENVELOPE_KEY: [e.value for e in self.events]}

    @property
    def text(self) -> str:
        """The execution input: the events' texts in an envelope."""
        return _HEAD + _SEPARATOR.join(e.text for e in self.events) + _TAIL


def _read(where: str, text: str) -> Any:
    """The JSON value of ``text``, read as an execution input is; InputError names ``where``."""
    try:
        reading = read(text, max_depth=limits.MAX_INPUT_DEPTH)
    except JsonTextError as exc:
        raise InputError(f"{where}: {exc.message}") from None
    if reading.duplicate_key is not None:
        raise InputError(
            f"{where}: an object repeats the key {reading.duplicate_key!r}; "
            "which value is meant cannot be known"
        )
    return reading.value


def load_events(path: Path) -> list[Event]:
    """The events of one file; InputError names the file (and line) that cannot be sent."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from None
    if not text.strip():
        raise InputError(f"{path}: empty file")
    try:
        read(text, max_depth=limits.MAX_INPUT_DEPTH)
    except JsonTextError as exc:
        if exc.code == NOT_JSON:  # several values: one a line
            return _ndjson(path, text)
    document = _read(str(path), text)
    if isinstance(document, dict) and ENVELOPE_KEY in document:
        events = document[ENVELOPE_KEY]
        if not isinstance(events, list) or set(document) != {ENVELOPE_KEY}:
            raise InputError(f'{path}: expected {{"events": [...]}} and nothing else')
        if not events:
            raise InputError(f"{path}: 'events' is empty")
        return [Event.from_text(span, str(path), i) for i, span in enumerate(member_spans(text))]
    return [Event.from_text(strip(text), str(path), 0)]


def _ndjson(path: Path, text: str) -> list[Event]:
    events: list[Event] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            _read(f"{path}:{number}", line)
        except InputError as exc:
            raise InputError(
                f"{exc}; a file must hold one event, "
                '{"events": [...]}, or one JSON event per line'
            ) from None
        events.append(Event.from_text(strip(line), str(path), len(events)))
    return events


@dataclass
class _Sizes:
    """Running sizes of a batch's input, in bytes, as ``limits`` counts them."""

    sent: int = 0  # the text as sent (UTF-8)
    held: int = 0  # compact, non-ASCII escaped
    escaped: int = 0  # Ingest's payload text: the compact text escaped once more, as a string
    estimate: int = 0  # handlers.envelope's enriched-output estimate of the events

    def fits(self) -> bool:
        return (
            len(_HEAD + _TAIL) + self.sent <= limits.MAX_INPUT_SIZE
            and len('{"events":[]}') + self.held <= limits.MAX_INPUT_SIZE
            and limits.INGEST_OVERHEAD + len('"{\\"events\\":[]}"') + self.escaped <= PAYLOAD_LIMIT
        )


def _event_sizes(event: Event, first: bool) -> _Sizes:
    separators = 0 if first else 1
    return _Sizes(
        sent=len(event.text.encode("utf-8", "surrogatepass")) + 2 * separators,
        held=limits.dlq_parameters_size(event.text) - limits.DLQ_OVERHEAD + separators,
        # The event's text escaped again, without the two quotes of a string of its own.
        escaped=limits.ingest_payload_size(event.text) - limits.INGEST_OVERHEAD - 2 + separators,
        estimate=estimate_item_size(event.value) + 1,  # as Ingest's check_payload_size sums it
    )


def _add(total: _Sizes, more: _Sizes) -> _Sizes:
    return _Sizes(
        total.sent + more.sent,
        total.held + more.held,
        total.escaped + more.escaped,
        total.estimate + more.estimate,
    )


def split(events: Iterable[Event], max_events: int, execution_id: str) -> list[Batch]:
    """Greedy, order-preserving batches within `max_events` and the pipeline's limits.

    Sizes are kept as running sums (linear in the number of events); each batch is then checked
    once more, whole, with `limits.execution_input_problem`.
    """
    if max_events < 1:
        raise ValueError(f"max_events must be >= 1, got {max_events}")
    base_estimate = estimate_payload_size([], _RAW_KEY, execution_id)
    batches: list[Batch] = []
    current: list[Event] = []
    sizes = _Sizes()
    for index, event in enumerate(events):
        alone = _event_sizes(event, first=True)
        if not alone.fits() or base_estimate + alone.estimate > PAYLOAD_LIMIT:
            where = f" ({event.file}, event {event.index})" if event.file else ""
            raise InputError(
                f"event #{index}{where} is {alone.held} bytes as Step Functions counts them: too "
                "large for a batch of its own once Ingest's payload and a dead letter are counted"
            )
        grown = _add(sizes, _event_sizes(event, first=not current))
        fits = (
            len(current) < max_events
            and grown.fits()
            and base_estimate + grown.estimate <= PAYLOAD_LIMIT
        )
        if current and not fits:
            batches.append(_checked(Batch(current)))
            current, grown = [], alone
        sizes = grown
        current.append(event)
    if current:
        batches.append(_checked(Batch(current)))
    return batches


def _checked(batch: Batch) -> Batch:
    problem = limits.execution_input_problem(batch.text)
    if problem is not None:
        raise InputError(f"a batch of {len(batch.events)} events: {problem.message}")
    return batch
