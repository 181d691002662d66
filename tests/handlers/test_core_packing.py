"""The Batch function's core (handlers.packing, no AWS): message bodies become records exactly as
received, packed in order into inputs Ingest admits; a message that cannot travel is refused whole;
batch ids follow the messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from handlers import limits, packing
from handlers.admission import read_lines
from handlers.envelope import check_payload_size, payload_base, received_lines, record_line
from handlers.errors import BatchRejected
from handlers.packing import Message, pack

MAX = 500


def event(index: int, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": f"u{index % 7}",
        "action": "page_view",
        "event_time": "2025-05-01T10:00:00Z",
        "event_id": f"e-{index}",
        **extra,
    }


def messages(bodies: list[str]) -> list[Message]:
    return [Message(f"m{i}", body) for i, body in enumerate(bodies)]


def admitted(text: str, max_events: int = MAX) -> bool:
    """Whether Ingest admits `text` (its own checks, in its own order)."""
    if limits.execution_input_problem(text) is not None:
        return False
    try:
        lines = received_lines(text, max_events)
        _, shares = read_lines(lines)
        check_payload_size(
            payload_base(packing.LONGEST_RAW_KEY, packing.LONGEST_EXECUTION_ID) + sum(shares),
            len(lines),
        )
    except BatchRejected:
        return False
    return True


def records_of(chunk: packing.Chunk) -> list[str]:
    value = json.loads(chunk.text)
    assert list(value) == ["records"]
    return list(value["records"])


# -- message bodies -> records ---------------------------------------------------------------


def test_a_valid_envelope_gives_each_element_exactly_as_written() -> None:
    body = '{ "events" : [ {"user_id": "u1",\n "n": 1e400} , {"b":-0} ,"text"] }'
    assert packing.message_records(body) == [
        '{"user_id": "u1",\n "n": 1e400}',
        '{"b":-0}',
        '"text"',
    ]


@pytest.mark.parametrize(
    "body",
    [
        '{"user_id": "u1", "action": "click"}',  # one event
        "not json at all",
        "",
        '{"events": []}',  # an envelope that is not valid: empty
        '{"events": [{"a": 1}], "replay": {"raw_key": "x"}}',  # other keys beside events
        '{"events": {"a": 1}}',  # not a list
        '{"events": [{"a": 1}], "events": [{"b": 2}]}',  # repeated key
        '{"events": [{"a": 1, "a": 2}]}',  # a repeated key anywhere: the body is one record
        '{"events": [NaN]}',
        "[" * 65 + "]" * 65,  # deeper than MAX_INPUT_DEPTH
        '[{"a": 1}]',
        '{"records": ["{\\"a\\": 1}"]}',  # a records envelope from a client is data
    ],
)
def test_anything_else_is_one_record_the_whole_body(body: str) -> None:
    assert packing.message_records(body) == [body]


# -- packing ---------------------------------------------------------------------------------


def test_records_keep_their_order_and_text_within_max_events() -> None:
    bodies = [json.dumps(event(i)) for i in range(1203)]
    plan = pack(messages(bodies), MAX)
    assert plan.refused == []
    assert [len(c.records) for c in plan.chunks] == [500, 500, 203]
    assert [t for c in plan.chunks for t in records_of(c)] == bodies
    assert all(admitted(c.text) for c in plan.chunks)


def test_envelopes_and_single_events_mix_and_an_envelope_may_span_inputs() -> None:
    envelope = json.dumps({"events": [event(i) for i in range(7)]})
    bodies = [json.dumps(event(100)), envelope, "oops"]
    plan = pack(messages(bodies), 4)
    assert [[(r.message_id, r.index) for r in c.records] for c in plan.chunks] == [
        [("m0", 0), ("m1", 0), ("m1", 1), ("m1", 2)],
        [("m1", 3), ("m1", 4), ("m1", 5), ("m1", 6)],
        [("m2", 0)],
    ]
    assert plan.chunks[0].message_ids == ("m0", "m1")
    assert records_of(plan.chunks[2]) == ["oops"]


def test_inputs_are_as_full_as_the_margins_allow() -> None:
    """Quote-heavy events near the event limit: each input fits, and the next record would not."""
    bodies = [json.dumps(event(i, note='"' * 9_000 + "é" * 3_000)) for i in range(40)]
    plan = pack(messages(bodies), MAX)
    assert len(plan.chunks) > 1
    flat = [t for c in plan.chunks for t in records_of(c)]
    assert flat == bodies
    for chunk, following in zip(plan.chunks, plan.chunks[1:], strict=False):
        assert admitted(chunk.text)
        grown = json.dumps({"records": [*records_of(chunk), records_of(following)[0]]})
        assert not admitted(grown)  # greedy: the inputs are not cut early


def test_the_execution_input_is_ascii_and_each_record_is_stored_as_received() -> None:
    body = json.dumps({"events": [event(1, page="/ü😀")]}, ensure_ascii=False)
    (chunk,) = pack(messages([body]), MAX).chunks
    assert chunk.text.isascii()
    assert received_lines(chunk.text, MAX) == [
        record_line(json.dumps(event(1, page="/ü😀"), ensure_ascii=False))
    ]


def test_a_message_with_an_event_over_the_event_limit_is_refused_whole() -> None:
    big = event(2, blob="x" * (limits.MAX_EVENT_BYTES + 1))
    envelope = json.dumps({"events": [event(1), big, event(3)]})
    plan = pack(messages([json.dumps(event(0)), envelope, json.dumps(event(4))]), MAX)
    assert [(r.message_id, r.index) for c in plan.chunks for r in c.records] == [
        ("m0", 0),
        ("m2", 0),
    ]
    (refusal,) = plan.refused
    assert (refusal.message_id, refusal.code) == ("m1", packing.EVENT_TOO_LARGE)
    assert "record 1" in refusal.reason


def test_a_text_too_large_once_escaped_twice_is_refused() -> None:
    # 40,000 control characters: 6 bytes each in the input, 7 once escaped for Ingest.
    plan = pack(messages(["\x01" * 40_000, "fine"]), MAX)
    (refusal,) = plan.refused
    assert (refusal.message_id, refusal.code) == ("m0", packing.TOO_LARGE)
    assert "cannot travel" in refusal.reason
    assert [records_of(c) for c in plan.chunks] == [["fine"]]


def test_the_largest_text_that_fits_alone_travels() -> None:
    """The bound is exact: the largest 'x' text whose input Ingest admits travels alone."""

    def alone(size: int) -> str:
        return json.dumps({"records": ["x" * size]}, separators=(",", ":"))

    size = limits.MAX_INPUT_SIZE
    while not admitted(alone(size)):
        size -= 1
    assert pack(messages(["x" * size]), MAX).refused == []
    assert [r.code for r in pack(messages(["x" * (size + 1)]), MAX).refused] == [packing.TOO_LARGE]


# -- batch ids and names ---------------------------------------------------------------------


def test_batch_ids_follow_the_messages_and_positions_only() -> None:
    first = pack([Message("a", "x"), Message("b", "y")], MAX).chunks[0]
    again = pack([Message("a", "other"), Message("b", "text")], MAX).chunks[0]
    other = pack([Message("b", "y"), Message("a", "x")], MAX).chunks[0]
    assert first.batch_id == again.batch_id  # a redelivered batch has the same name
    assert first.batch_id != other.batch_id
    assert len(first.batch_id) == 32
    assert first.name == f"b-{first.batch_id}"
    assert int(first.batch_id, 16) >= 0


def test_max_events_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_events"):
        pack([], 0)


def test_a_whole_batch_delivered_again_forms_the_same_inputs_beside_new_messages() -> None:
    first = [Message(f"m{i}", json.dumps(event(i))) for i in range(7)]
    before = pack(first, 3).chunks
    again = [Message(m.message_id, m.body, receive_count=2) for m in first]
    new = [Message(f"n{i}", json.dumps(event(100 + i))) for i in range(2)]
    after = pack([*new[:1], *again, *new[1:]], 3).chunks
    assert [c.name for c in after if c.records[0].message_id.startswith("m")] == [
        c.name for c in before
    ]
    assert [[r.message_id for r in c.records] for c in after] == [
        ["n0", "n1"],
        ["m0", "m1", "m2"],
        ["m3", "m4", "m5"],
        ["m6"],
    ]
