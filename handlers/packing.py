"""The Batch function's core (pure): the entry buffer's messages packed into execution inputs.

Each message body, exactly as received, gives the records of one input `{"records": [...]}`
(handlers.envelope: each record is stored as its own raw line):

- a valid envelope `{"events": [...]}` (that one key, a non-empty list, standard JSON with no
  repeated key, at most MAX_INPUT_DEPTH deep): a record per element, its exact text;
- anything else — one event, a text that is not JSON, an envelope that is not valid — one record,
  the whole body (Process rejects what is no event with its reason: `not_json`,
  `invalid_envelope`, `duplicate_key`, ...), so a bad body never fails its neighbours.

Records are packed greedily and in order into inputs of at most `max_events` records that Ingest
admits: within handlers.limits' margins (the input as Step Functions counts it within
MAX_INPUT_SIZE, Ingest's payload — the input escaped again — within PAYLOAD_LIMIT) and within
Process's output limit by Ingest's own estimate (handlers.admission), for the longest raw key and
execution id. The sizes are summed as the limits count them (each record's escaped text adds
itself and a comma), then every input is checked whole as Ingest will check it.

A message with a record that cannot travel even in an input of its own (an event over
MAX_EVENT_BYTES, a text too large once escaped twice) is refused whole: none of its records is
started, and the Batch function reports it failed, so it reaches the buffer's DLQ after its
receives (a message is the unit the buffer retries).

An input's batch id is derived from its records' message ids and positions only, so the same
messages redelivered in the same order form the same inputs under the same names: a Standard
execution `b-<batch_id>` cannot start twice. Messages are packed in groups of the same receive
count (first deliveries, then second ones, ...), each in arrival order, so that a whole batch
delivered again (its invocation timed out after its inputs started) forms the inputs it formed
the first time, even beside messages that arrived meanwhile.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from handlers import limits
from handlers.admission import read_lines
from handlers.envelope import (
    ENVELOPE_KEY,
    RECORDS_KEY,
    check_payload_size,
    payload_base,
    received_lines,
    record_line,
)
from handlers.errors import BatchRejected
from handlers.jsontext import JsonTextError, member_spans, read

TOO_LARGE = "too_large"
EVENT_TOO_LARGE = "event_too_large"
# The longest raw key and execution id Ingest's estimate can meet (handlers.keys, limits).
LONGEST_RAW_KEY = "ingest/yyyy=0000/mm=00/dd=00/hh=00/" + "0" * 32 + ".json"
LONGEST_EXECUTION_ID = "x" * limits.MAX_EXECUTION_ID
_EMPTY: dict[str, list[str]] = {RECORDS_KEY: []}


@dataclass(frozen=True)
class Message:
    """One message of the buffer: its id, its body as received and how often it was received."""

    message_id: str
    body: str
    receive_count: int = 1


@dataclass(frozen=True)
class Record:
    """One record of a message: the text of one event (or of the whole body) and its position."""

    message_id: str
    index: int
    text: str


@dataclass(frozen=True)
class Chunk:
    """The records of one execution input."""

    records: tuple[Record, ...]

    @property
    def text(self) -> str:
        """The execution input, ASCII-escaped: its text is the form Step Functions counts."""
        return json.dumps({RECORDS_KEY: [r.text for r in self.records]}, separators=(",", ":"))

    @property
    def batch_id(self) -> str:
        """32 hex chars of sha256 over the records' message ids and positions."""
        keys = "\n".join(f"{r.message_id}:{r.index}" for r in self.records)
        return hashlib.sha256(keys.encode("utf-8")).hexdigest()[:32]

    @property
    def name(self) -> str:
        """The Standard execution's name."""
        return f"b-{self.batch_id}"

    @property
    def message_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.message_id for r in self.records))


@dataclass(frozen=True)
class Refusal:
    """A message none of whose records is started: a machine-readable code and a reason."""

    message_id: str
    code: str
    reason: str


@dataclass(frozen=True)
class Plan:
    chunks: list[Chunk] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


@dataclass(frozen=True)
class _Sizes:
    """A record's share of an input, in bytes as handlers.limits and Ingest count them."""

    held: int  # its escaped JSON string in the input (compact, non-ASCII escaped)
    escaped: int  # the same once escaped again, in Ingest's payload
    estimate: int  # its share of Ingest's estimate of Process's output


def message_records(body: str) -> list[str]:
    """The records of one message body: each element's text of a valid envelope, else the body."""
    try:
        reading = read(body, max_depth=limits.MAX_INPUT_DEPTH)
    except JsonTextError:
        return [body]
    value = reading.value
    if (
        reading.duplicate_key is None
        and isinstance(value, dict)
        and set(value) == {ENVELOPE_KEY}
        and isinstance(value[ENVELOPE_KEY], list)
        and value[ENVELOPE_KEY]
    ):
        return member_spans(body)
    return [body]


def _sizes(text: str) -> _Sizes:
    """BatchRejected when the record is an event Ingest refuses (over MAX_EVENT_BYTES)."""
    _, shares = read_lines([record_line(text)])
    wrapped = {RECORDS_KEY: [text]}
    return _Sizes(
        held=limits.sfn_size(wrapped) - limits.sfn_size(_EMPTY),
        escaped=limits.ingest_payload_size(wrapped) - limits.ingest_payload_size(_EMPTY),
        estimate=shares[0],
    )


_BASE_ESTIMATE = payload_base(LONGEST_RAW_KEY, LONGEST_EXECUTION_ID)


def _fits(count: int, held: int, escaped: int, estimate: int) -> bool:
    """Whether `count` records of these summed shares make an input Ingest admits."""
    commas = count - 1
    return (
        limits.sfn_size(_EMPTY) + held + commas <= limits.MAX_INPUT_SIZE
        and limits.ingest_payload_size(_EMPTY) + escaped + commas <= limits.PAYLOAD_LIMIT
        and _BASE_ESTIMATE + estimate <= limits.PROCESS_OUTPUT_LIMIT
    )


def _sized(message: Message, text: str, index: int) -> _Sizes | Refusal:
    """The record's shares, or the refusal of its message when it cannot travel alone."""
    try:
        sizes = _sizes(text)
    except BatchRejected as exc:
        return Refusal(message.message_id, EVENT_TOO_LARGE, f"record {index}: {exc}")
    if not _fits(1, sizes.held, sizes.escaped, sizes.estimate):
        return Refusal(
            message.message_id,
            TOO_LARGE,
            f"record {index} is {sizes.held} bytes as Step Functions counts it in an input, "
            f"{sizes.escaped} once escaped again for Ingest: it cannot travel in an execution "
            f"input of its own (at most {limits.MAX_INPUT_SIZE} and {limits.PAYLOAD_LIMIT})",
        )
    return sizes


def pack(messages: Iterable[Message], max_events: int) -> Plan:
    """The execution inputs of `messages`, in order, and the messages refused whole."""
    if max_events < 1:
        raise ValueError(f"max_events must be >= 1, got {max_events}")
    plan = Plan()
    sized: list[tuple[Record, _Sizes]] = []
    for message in sorted(messages, key=lambda m: m.receive_count):  # stable: arrival order kept
        records: list[tuple[Record, _Sizes]] = []
        for index, text in enumerate(message_records(message.body)):
            sizes = _sized(message, text, index)
            if isinstance(sizes, Refusal):
                plan.refused.append(sizes)
                break
            records.append((Record(message.message_id, index, text), sizes))
        else:
            sized += records
    counts = {m.message_id: m.receive_count for m in messages}
    current: list[Record] = []
    held = escaped = estimate = 0
    for record, sizes in sized:
        grown = (held + sizes.held, escaped + sizes.escaped, estimate + sizes.estimate)
        same_group = not current or counts[current[-1].message_id] == counts[record.message_id]
        if current and not (
            same_group and len(current) < max_events and _fits(len(current) + 1, *grown)
        ):
            plan.chunks.append(_admitted(Chunk(tuple(current)), max_events))
            current, grown = [], (sizes.held, sizes.escaped, sizes.estimate)
        current.append(record)
        held, escaped, estimate = grown
    if current:
        plan.chunks.append(_admitted(Chunk(tuple(current)), max_events))
    return plan


def _admitted(chunk: Chunk, max_events: int) -> Chunk:
    """The chunk, checked whole as Ingest checks its input; ValueError (a defect of the sums above)
    when Ingest would refuse it."""
    text = chunk.text
    try:
        problem = limits.execution_input_problem(text)
        if problem is not None:
            raise BatchRejected(problem.message)
        lines = received_lines(text, max_events)
        _, shares = read_lines(lines)
        check_payload_size(_BASE_ESTIMATE + sum(shares), len(lines))
    except BatchRejected as exc:
        raise ValueError(
            f"an input of {len(chunk.records)} records would be refused: {exc}"
        ) from exc
    return chunk
