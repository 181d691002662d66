"""Build pinned/cases.json from the frozen reference core (reference/), checked case by case.

`.venv/bin/python -m tests.unit.handlers.pinned.record_from_reference` draws the inputs (hand-picked
edges, and examples drawn deterministically from the differential tests' strategies), computes each
expected outcome with the core (test_core_pinned's outcome functions) and asserts, for every case,
what the differential tests assert: the same result as the reference, transformed only by the rule
changes made on purpose (test_core_reference.expected). Cases that exist only because of such a
change (the oldest-event bound, integers over 4,300 digits, non-ASCII digits) are checked against
the rule instead. Goes with the reference when it is retired.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from benchmarks.workload import make_events
from handlers.canonical import to_ndjson
from handlers.curate import curate_body
from handlers.envelope import received_lines
from handlers.errors import BatchRejected
from handlers.times import format_time
from tests.unit.handlers import test_core_pinned as pinned
from tests.unit.handlers import test_core_reference as diff
from tests.unit.handlers.reference import canonical as ref_canonical
from tests.unit.handlers.reference import curate as ref_curate
from tests.unit.handlers.reference import keys as ref_keys
from tests.unit.handlers.reference import normalize as ref_normalize
from tests.unit.handlers.reference import times as ref_times

EARLIEST = "0001-01-01T00:00:00+00:00"  # no event is before it: the reference had no bound
RECEIVED = diff.RECEIVED.isoformat()
MAX_DRAWN_BODY = 8 * 1024  # larger drawn batches add bytes, not rules (the grid has the large)
BASE = {"user_id": "u-1", "action": "a", "event_time": "2024-05-01T10:00:00Z"}


def draw(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """`count` examples of `strategy`, the same on every run (derandomized, no database)."""
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(example: Any) -> None:
        drawn.append(example)

    collect()
    return drawn


def batch(
    lines: list[str],
    received: str = RECEIVED,
    threshold: float = 72,
    oldest: str = EARLIEST,
) -> dict[str, Any]:
    return {
        "received_at": received,
        "late_threshold_hours": threshold,
        "oldest_event_time": oldest,
        "lines": lines,
    }


def line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def check_against_reference(case: dict[str, Any]) -> None:
    """What test_core_reference.assert_same asserts, for this batch."""
    received = datetime.fromisoformat(case["received_at"])
    diff.assert_same(pinned.body_of(case), received, case["late_threshold_hours"])


def check_exact_lines(case: dict[str, Any], old_body: bytes) -> None:
    """What test_exact_raw_lines_give_the_reference_items_and_ids asserts: the exact lines Ingest
    stores give the items, ids and reasons the reference gave for their re-serialization."""
    lineage, ref_lineage = diff.lineages(diff.RECEIVED, 72)
    new = curate_body(pinned.body_of(case), lineage)
    rejections, items = diff.expected(old_body, ref_curate.curate_body(old_body, ref_lineage))
    assert [(r.index, r.event_id, r.reason) for r in new.rejected] == [s[:3] for s in rejections]
    assert [{**i, **lineage.attributes()} for i in new.items] == items


def check_reason_and_id(case: dict[str, Any]) -> None:
    """The reference's rejections by index, id and reason (not detail)."""
    received = datetime.fromisoformat(case["received_at"])
    lineage, ref_lineage = diff.lineages(received, case["late_threshold_hours"])
    body = pinned.body_of(case)
    new = curate_body(body, lineage)
    old = ref_curate.curate_body(body, ref_lineage)
    assert not new.items
    assert not old.items
    assert [(r.index, r.event_id, r.reason) for r in new.rejected] == [
        (r.index, r.event_id, r.reason) for r in old.rejected
    ]


# -- batches ------------------------------------------------------------------------------------


def grid_batches() -> list[dict[str, Any]]:
    """Hand-picked edges, one rule at a time, on an otherwise valid event."""
    times = [{**BASE, "event_time": t} for t in diff.EDGE_TIMES]
    actions = [
        {**BASE, "action": a}
        for a in [
            "Page View", "page-view", "PageView", "pageView", "HTTPRequest", "STEP2DONE",
            "step2done", "Café crème", "???", "", "x" * 128, "x" * 129, "_page_", "page__view",
            "\uff50\uff41\uff47\uff45", "日本語", "Page\tView\n", 7, None,
        ]
    ]  # fmt: skip
    addresses = [
        {**BASE, "ip": ip}
        for ip in [
            "203.0.113.77", "01.2.3.4", "256.1.1.1", "1.2.3", "::1", "::ffff:1.2.3.4",
            "fe80::1%eth0", "2001:db8:abcd:12:3456::1", "2001:DB8::1", "x", "", "1.2.3.4 ",
            "\u0661.2.3.4", "1.2.3.4/24", "0.0.0.0",  # noqa: S104 - an address to anonymize
            "255.255.255.255", 1234,
        ]
    ]  # fmt: skip
    ids = [
        {**BASE, "event_id": e}
        for e in ["e-1", "e#1", "", "x" * 129, "a" * 128, "A.b:c-d_e", "-lead", "é", 5, None]
    ]
    users = [
        {**BASE, "user_id": u}
        for u in ["", "u" * 256, "u" * 257, "😀", "\u0000", 1, None, ["u"], {"id": "u"}]
    ]
    numbers = [
        {**BASE, "properties": {"n": n}}
        for n in [
            1, 1.0, -0.0, 0.1 + 0.2, 9.99, 1e-5, 1e125, 9.99e125, 1e126, 1e-130, 1e-131,
            10**37, 10**38 - 1, 10**38, -(10**38), 2**53 + 1, 5e-324, 1.7976931348623157e308,
            True, None, "1",
        ]
    ]  # fmt: skip
    shapes = [
        {**BASE, "properties": {"tags": ["a", "b"], "nested": {"n": {"m": [1, {"k": "v"}]}}}},
        {**BASE, "properties": {"": 1}},
        {**BASE, "properties": {f"k{i}": i for i in range(101)}},
        {**BASE, "properties": {"k" * 257: 1}},
        {**BASE, "properties": "not an object"},
        {**BASE, "properties": {"deep": nested(15)}},
        {**BASE, "properties": {"deep": nested(16)}},
        {**BASE, "page": "p" * 2048},
        {**BASE, "page": "p" * 2049},
        {**BASE, "referrer": "https://example.com/?q=é", "user_agent": "Mozilla/5.0"},
        {**BASE, "session_id": ""},
        {**BASE, "unknown": 1},
        {**BASE, "page": "x" * 33_000},
        {k: v for k, v in BASE.items() if k != "event_time"},
        {k: v for k, v in BASE.items() if k != "action"},
        {},
    ]
    keyed = [
        {**BASE, "event_id": "k", "page": "/1"},
        {**BASE, "event_id": "k", "page": "/2"},
        {"page": "/1", "event_id": "k", **BASE},
        {**BASE, "page": "/3"},
        {**BASE, "page": "/3"},
        {**BASE, "page": "/4"},
    ]
    groups = [times, actions, addresses, ids, users, numbers, shapes, keyed]
    return [batch([line(e) for e in group]) for group in groups]


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"d": value}
    return value


def foreign_batches() -> list[dict[str, Any]]:
    """Lines that hold no event, and events written oddly."""
    lines = [
        "{not json",
        '"a string"',
        '"{\\"user_id\\":\\"u\\"}"',
        "NaN",
        "-Infinity",
        "[]",
        "1",
        "null",
        "true",
        '{"user_id":"u","user_id":"v","action":"a","event_time":0}',
        '{"event_id":"dup-1","user_id":"u","action":"click","action":"login","event_time":0}',
        '{"user_id":"u","properties":{"a":1,"a":2}}',
        "[" * 64 + "]" * 64,
        '{"a":' * 17 + "1" + "}" * 17,
        '{"user_id":"u\\ud800","action":"click","event_time":"2024-05-01T10:00:00Z"}',
        '{"user_id":"u","action":"a\\udfff","event_time":"2024-05-01T10:00:00Z"}',
        '{"user_id":"u","action":"a","event_time":"2024-05-01T10:00:00Z","\\ud800":1}',
        '{"user_id":"u","action":"a","event_time":NaN}',
        '{"user_id":"u","action":"a","event_time":0,"properties":{"x":-Infinity}}',
        '{"user_id": "u", "action": "a",  "event_time": 1714557600}',
        '{"user_id":"\\u0075","action":"\\u0041","event_time":"2024-05-01T10:00:00Z"}',
        '{"user_id":"u","action":"a","event_time":1714557600e0}',
        '{"user_id":"u","action":"a","event_time":17145576001230e-1}',
        '{"user_id":"u","action":"a","event_time":"2024-05-01T10:00:00Z","properties":{"n":1E2}}',
        '{"user_id":"u","action":"a","event_time":"2024-05-01T10:00:00Z","properties":{"n":-0}}',
        '{"user_id":"u","action":"a","event_time":"2024-05-01T10:00:00Z","properties":{"n":1e400}}',
    ]
    return [batch(lines)]


def bound_batches() -> list[dict[str, Any]]:
    """Times around both bounds (24 h ahead, the threshold back), to the millisecond, as
    test_late_and_future_bounds_give_the_reference_result draws them."""
    fixed = [
        (datetime(2024, 5, 1, 12, 0, 0, 123_456, tzinfo=UTC), 72),
        (datetime(2024, 5, 1, 12, 0, 0, 123_456, tzinfo=UTC), 0),
        (datetime(2024, 5, 1, 12, 0, 0, 123_456, tzinfo=UTC), 0.0001),
        (datetime(2024, 5, 1, 12, 0, 0, 123_456, tzinfo=UTC), 1 / 3),
        (datetime(2024, 5, 1, 12, 0, 0, 999_999, tzinfo=timezone(timedelta(minutes=330))), 24),
        (datetime(1970, 1, 2, 0, 0, 0, 1, tzinfo=UTC), 1e6),
        (datetime(2099, 12, 31, 23, 59, 59, 999_500, tzinfo=UTC), 72),
    ]  # fmt: skip
    drawn = draw(
        st.tuples(
            st.datetimes(
                min_value=datetime(1970, 1, 2),
                max_value=datetime(2100, 1, 1),
                timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
            ),
            st.sampled_from([0, 0.0001, 1 / 3, 24, 72, 1e6]) | st.floats(0, 1e5),
        ),
        40,
    )
    out = []
    for index, (received, threshold) in enumerate(fixed + drawn):
        rng = random.Random(index)
        base = [received + timedelta(hours=24), received - timedelta(hours=threshold), received]
        events = []
        for i in range(9):
            exact = i < 6
            shift = rng.randint(-2, 2) if exact else rng.randint(-(10**9), 10**9)
            at = base[i % 3] + timedelta(milliseconds=shift)
            text = format_time(at) if i % 2 else at.isoformat()
            events.append({"user_id": "u", "action": "a", "event_time": text, "event_id": f"e{i}"})
        out.append(batch([line(e) for e in events], received.isoformat(), threshold))
    return out


def extreme_lineage_batches() -> list[dict[str, Any]]:
    lines = [line(BASE)]
    return [
        batch(lines, "9999-12-31T23:59:59.999500+00:00", 0),
        batch(lines, "0001-01-01T00:00:00.000500+00:00", 1e6),
        batch(lines, RECEIVED, 1e9),  # further back than year 1: nothing is late
    ]


def valid_events() -> st.SearchStrategy[dict[str, Any]]:
    """Events that are mostly valid: ids, content hashes and stored items get pinned."""
    received = diff.RECEIVED
    moments = st.integers(-(72 * 3600 * 1000 + 5000), 24 * 3600 * 1000 + 5000).map(
        lambda ms: received + timedelta(milliseconds=ms)
    )
    offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
        lambda m: timezone(timedelta(minutes=m))
    )
    times = st.one_of(
        moments.map(format_time),
        st.tuples(
            moments, offsets, st.sampled_from(["seconds", "milliseconds", "microseconds"])
        ).map(lambda t: t[0].astimezone(t[1]).isoformat(timespec=t[2])),
        moments.map(lambda m: int(m.timestamp() * 1000)),
        moments.map(lambda m: int(m.timestamp())),
        moments.map(lambda m: round(m.timestamp(), 3)),
        moments.map(lambda m: float(int(m.timestamp() * 1000))),
    )
    text = st.text(min_size=1, max_size=16)
    finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e125, max_value=1e125)
    leaf = (
        st.none() | st.booleans() | st.integers(-(10**37), 10**37) | finite | st.text(max_size=12)
    )
    json_value = st.recursive(
        leaf,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=3)
        ),
        max_leaves=8,
    )
    return st.fixed_dictionaries(
        {
            "user_id": text,
            "action": st.sampled_from(["Page View", "page_view", "PageView", "add-to-cart", "Café"])
            | st.from_regex(r"[A-Za-z][A-Za-z0-9 _-]{0,20}", fullmatch=True),
            "event_time": times,
        },
        optional={
            "event_id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True),
            "session_id": text,
            "page": st.text(max_size=30),
            "referrer": st.text(max_size=30),
            "user_agent": st.text(max_size=30),
            "ip": st.ip_addresses().map(str),
            "properties": st.dictionaries(st.text(min_size=1, max_size=8), json_value, max_size=4),
        },
    )


def drawn_batches() -> list[tuple[dict[str, Any], bytes | None]]:
    """(case, the reference's body when it differs: the re-serialization of exact lines)."""
    out: list[tuple[dict[str, Any], bytes | None]] = []
    for lines in draw(st.lists(diff.lines, min_size=1, max_size=6), 120):
        out.append((batch(lines), None))
    for events in draw(st.lists(valid_events(), min_size=1, max_size=6), 100):
        out.append((batch([line(e) for e in events]), None))
    exact_inputs = st.tuples(
        st.lists(
            diff.event_objects
            | valid_events()
            | diff.json_value.filter(lambda v: not isinstance(v, str)),
            min_size=1,
            max_size=6,
        ),
        st.sampled_from([None, 1]),
        st.booleans(),
    )
    for events, indent, ascii_only in draw(exact_inputs, 100):
        text = json.dumps({"events": events}, indent=indent, ensure_ascii=ascii_only)
        if "NaN" in text or "Infinity" in text:
            continue
        try:
            lines = received_lines(text, max_events=10)
        except BatchRejected:  # an input the new Ingest refuses: not compared
            continue
        out.append((batch(lines), ref_canonical.to_ndjson(json.loads(text)["events"])))
    return out


def workload_batch() -> dict[str, Any]:
    now = datetime(2026, 11, 22, 6, 35, 10, 654_321, tzinfo=UTC)
    body = to_ndjson(make_events(60, seed=5, nonce="ref", now=now))
    return batch(body.decode("utf-8").splitlines(), now.isoformat())


def changed_rule_batches() -> list[dict[str, Any]]:
    """Rules added or changed on purpose since the reference: pinned from the core as it is."""
    huge = "9" * 4301
    oldest = "2000-01-01T00:00:00+00:00"
    at = {**BASE, "event_time": "2000-01-01T00:00:00.000Z"}
    return [
        batch(
            [
                line(at),
                line({**at, "event_time": "1999-12-31T23:59:59.999Z"}),
                line({**at, "event_time": 946684799999}),
                line({**at, "event_time": "1999-12-31T23:59:59.999-01:00"}),
                line({**BASE, "event_time": "2100-01-01T00:00:00Z"}),
            ],
            "2100-01-01T00:00:00+00:00",
            1e6,
            oldest,
        ),
        batch(
            [
                '{"user_id":"u","action":"a","event_time":"2024-05-01T10:00:00Z","properties":'
                '{"n":' + huge + "}}",
                '{"user_id":"u","action":"a","event_time":' + huge + "}",
                '{"user_id":"u","action":"a","event_time":"2024-05-01T10:00:00Z","event_id":'
                '"big-1","properties":{"n":-' + huge + "}}",
                huge,
                "[" + huge + "]",
                '{"events":[' + huge + "]}",
                '{"user_id":"u","user_id":' + huge + "}",
                '{"user_id":"u","action":"a","event_time":0,"page":"'
                + "x" * 30_000
                + '","n":'
                + "9" * 4400
                + "}",
                '{"events":[]}',
                '{"events":[],"user_id":"u"}',
                '{"user_id":"u","action":"a","event_time":0,"events":1}',
                "[" * 65 + "]" * 65,
                '"' + "[" * 65 + "]" * 65 + '"',
                '"' + "[" * 70 + '"',
            ]
        ),
        # A line that starts with a BOM: its detail has no position (the reference's json.loads
        # added "line 1 column 1 (char 0)"); the line's reason and id are the reference's.
        batch(["\ufeff" + line(BASE)]),
        batch(["\ufeff"]),
        batch(
            [
                line({**BASE, "event_time": "\u0662\u0660\u0662\u0664-05-01T10:00:00.000Z"}),
                line({**BASE, "event_time": "2024-05-01T10:00:00.\u0663\u0664\u0665Z"}),
                line({**BASE, "event_time": "2024-05-01T10:30:00.123+\uff10\uff15:\uff13\uff10"}),
            ]
        ),
    ]


# -- the other sections -------------------------------------------------------------------------


def id_inputs() -> list[str]:
    events = draw(valid_events(), 150) + draw(diff.event_objects, 100) + draw(diff.json_value, 50)
    return [json.dumps(e, ensure_ascii=True) for e in events]


def check_ids(text: str, outcome: dict[str, str]) -> None:
    event = json.loads(text)
    assert outcome == {
        "event_id": ref_keys.event_id(event),
        "content_hash": ref_canonical.short_hash(event),
        "batch_id": ref_keys.batch_id([event]),
    }


NON_ASCII_TIMES = [
    "\u0662\u0660\u0662\u0664-05-01T10:00:00.000Z",
    "2025-11-20T00:00:00.\u0663\u0664\u0665Z",
    "2025-05-05T10:30:00.123+\uff10\uff15:\uff13\uff10",
    "2025-05-05T10:30:00+\uff10\uff15:30",
]


def time_inputs() -> list[str]:
    values = [
        *diff.EDGE_TIMES,
        *[float("nan"), float("inf"), True, None, [], {}, "", "1714564800000"],
        *draw(st.from_regex(diff.NORMALIZED, fullmatch=True), 80),
        *draw(st.from_regex(diff.WITH_OFFSET, fullmatch=True), 80),
        *draw(diff.times, 150),
        *draw(st.datetimes(timezones=st.just(UTC)).map(format_time), 60),
        *NON_ASCII_TIMES,
    ]
    return [json.dumps(v, ensure_ascii=True) for v in values]


def check_time(text: str, outcome: Any) -> None:
    value = json.loads(text)
    if value in NON_ASCII_TIMES:
        assert outcome == {
            "error": "not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.fff]±HH:MM or Z)"
        }
        return
    try:
        expected: Any = ref_times.format_time(ref_times.parse_event_time(value))
    except ref_times.EventTimeError as exc:
        expected = {"error": str(exc)}
    assert outcome == expected


def action_inputs() -> list[str]:
    return draw(
        st.text(max_size=20)
        | st.from_regex(r"[a-z0-9]{1,5}(_[a-z0-9]{1,5}){0,3}", fullmatch=True)
        | st.from_regex(r"[A-Za-z][A-Za-z0-9 _-]{0,20}", fullmatch=True)
        | st.sampled_from(
            ["page_view", "_page", "page__view", "Page_View", "page_view\n", "Café", "ǅungla"]
        ),
        300,
    )


def address_inputs() -> list[str]:
    return draw(diff.addresses, 300)


def check_address(address: str, outcome: list[Any]) -> None:
    assert outcome[:2] == [ref_normalize.is_ipv4(address), ref_normalize.is_ipv6(address)]
    expected = ref_normalize.anonymize_ip(address) if ref_normalize.is_ip(address) else None
    assert outcome[2] == expected


def value_inputs() -> list[str]:
    edges = [0, -0.0, 1e-130, 1e-131, 9.99e125, 1e126, 10**38 - 1, 10**38, float("nan"), ""]
    values = [*edges, nested(16), nested(17), [nested(15)], *draw(diff.value, 300)]
    return [json.dumps(v, ensure_ascii=True) for v in values]


def main() -> None:
    batches: list[dict[str, Any]] = []
    for case in grid_batches() + foreign_batches() + bound_batches() + extreme_lineage_batches():
        check_against_reference(case)
        batches.append(case)
    batches.append(workload_batch())
    check_against_reference(batches[-1])
    for case, old_body in drawn_batches():
        if len(pinned.body_of(case)) > MAX_DRAWN_BODY:
            continue
        if old_body is None:
            check_against_reference(case)
        else:
            check_exact_lines(case, old_body)
        batches.append(case)
    for case in changed_rule_batches():  # the rules changed: pinned from the core as it is
        if "\ufeff" in case["lines"][0]:
            check_reason_and_id(case)
        batches.append(case)

    checks: dict[str, tuple[list[Any], Callable[[Any, Any], None] | None]] = {
        "batches": (batches, None),
        "ids": (id_inputs(), check_ids),
        "times": (time_inputs(), check_time),
        "actions": (action_inputs(), lambda a, out: _equal(out, ref_normalize.normalize_action(a))),
        "addresses": (address_inputs(), check_address),
        "values": (
            value_inputs(),
            lambda t, out: _equal(out, ref_canonical.json_value_problem(json.loads(t))),
        ),
    }
    sections: dict[str, list[dict[str, Any]]] = {}
    for name, (inputs, check) in checks.items():
        seen: set[str] = set()
        section = []
        for value in inputs:
            key = json.dumps(value, sort_keys=True, ensure_ascii=True)
            if key in seen:
                continue
            seen.add(key)
            outcome = pinned.OUTCOMES[name](value)
            if check is not None:
                check(value, outcome)
            section.append({"input": value, "expected": outcome})
        sections[name] = section
    pinned.write_cases(sections)
    print({name: len(section) for name, section in sections.items()}, pinned.CASES.stat().st_size)


def _equal(got: Any, wanted: Any) -> None:
    assert got == wanted, (got, wanted)


if __name__ == "__main__":
    main()
