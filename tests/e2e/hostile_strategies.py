"""Hypothesis strategies for hostile inputs (tests/e2e/test_hostile_inputs.py): JSON texts built
token by token, so that what no Python value holds (`1e400`, `-0`, a 4,301-digit integer, a lone
surrogate escape, a repeated key) reaches the entries as written.

An input is drawn as (entry, form, element texts, repeats): `form` is `events` (a batch),
`records` (each element a record's text) or `single` (one event object); a repeat sends an element
again, identical or with other content under the same key. Every element carries `STAMP`, which
`stamped` replaces by an id no other input of the run carries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from handlers.times import format_time
from tests.e2e.hostile import ENTRIES

WHEN = format_time(datetime.now(UTC) - timedelta(hours=1))
EMOJI = "\U0001f600"  # 4 bytes of UTF-8, 12 once escaped (\ud83d\ude00)


STAMP = "@@stamp@@"  # replaced when sent by an id no other input carries


def text_value(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


NUMBER_TEXTS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(
        ["1e400", "-1e400", "-0", "-0.0", "1e-130", "1e-131", "0.12345678901234567890123",
         "9.99e125", "1e126", "5e-324", "1E+2", "9" * 39, "9" * 4301]
    ),
)  # fmt: skip
HOSTILE_CHARS = st.sampled_from(
    [EMOJI, '"', "\\", "\n", "\r", "\x00", "\u2028", "\u0663", "\uff10", "#", "\ufeff", "\u00e9"]
)
# JSON strings: any text, one in six an escaped lone surrogate or empty.
STRINGS = st.integers(0, 5).flatmap(
    lambda n: (
        st.sampled_from(['"\\ud800"', '"\\udfff\\ud800"', '""'])
        if n == 5
        else st.text(st.characters(exclude_categories=("Cs",)) | HOSTILE_CHARS, max_size=12).map(
            text_value
        )
    )
)
ATOMS = NUMBER_TEXTS | STRINGS | st.sampled_from(["true", "false", "null"])
VALUES = st.recursive(
    ATOMS,
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda items: "[" + ",".join(items) + "]")
        | st.lists(st.tuples(STRINGS, inner), max_size=3).map(
            lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
        )
    ),
    max_leaves=6,
)
TIMES = st.one_of(
    st.just(text_value(WHEN)),
    st.integers(0, 4_102_444_800_000).map(str),  # epoch milliseconds (or seconds) up to 2100
    st.sampled_from(
        ["0001-01-01T00:00:01Z", "9999-12-31T23:59:59.999Z", "1969-12-31T23:59:59Z",
         "2025-11-20T00:00:00.\u0663\u0664\u0665Z", "2025-11-20T00:00:00+\uff10\uff15:00",
         "2025-13-01T00:00:00Z", "2025-11-20T00:00:00", "yesterday"]
    ).map(text_value),
    VALUES,
)  # fmt: skip


def mostly(valid: str, hostile: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """`valid` seven times in eight (shrinking towards it), else a hostile value."""
    return st.integers(0, 7).flatmap(lambda n: hostile if n == 7 else st.just(valid))


PROPERTIES = st.lists(
    st.tuples(st.sampled_from(['"a"', '"b"', '"c"']) | STRINGS, NUMBER_TEXTS | VALUES),
    max_size=3,
    unique_by=lambda pair: pair[0],
).map(lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}")
EXTRAS = ["page", "properties", "replay", "resubmit", "events", "extra", "user_id"]


@st.composite
def hostile_event(draw: st.DrawFn) -> str:
    """One event's JSON text: the fields of a valid event, each one possibly hostile, in any
    order, maybe with a field no event has or one repeated."""
    pairs = [
        ("user_id", draw(mostly(text_value("u-prop"), STRINGS | VALUES))),
        ("action", draw(mostly(text_value("Page View"), STRINGS | VALUES))),
        ("event_time", draw(mostly(text_value(WHEN), TIMES))),
        ("properties", draw(PROPERTIES)),
    ]
    key = draw(st.sampled_from(["event_id", "event_id", "event_id", "session_id", "bad_id"]))
    if key == "bad_id":
        pairs.append(("event_id", text_value(f"#{STAMP}")))  # not an id the schema allows
    else:
        pairs.append((key, text_value(STAMP)))
    if draw(st.integers(0, 4)) == 4:
        name = draw(st.sampled_from(EXTRAS))
        value = draw(VALUES)
        pairs.append((name, value if name != "replay" else '{"raw_key":' + value + "}"))
    pairs = draw(st.permutations(pairs))
    return "{" + ",".join(f"{text_value(k)}:{v}" for k, v in pairs) + "}"


ELEMENTS = (
    hostile_event()
    | st.builds(lambda v: f'["{STAMP}",{v}]', VALUES)
    | st.just(text_value(f"text {STAMP}"))
)
RECORDS = ELEMENTS | st.sampled_from([f"not JSON {STAMP}", f"{STAMP} {{", ""])


Drawn = tuple[str, str, list[str], list[tuple[int, bool]]]


@st.composite
def hostile_input(draw: st.DrawFn) -> Drawn:
    """(entry, form, element texts, repeats: (index, identical or with other content))."""
    form = draw(st.sampled_from(["events", "records", "single"]))
    if form == "single":
        return draw(st.sampled_from(ENTRIES)), form, [draw(hostile_event())], []
    elements = draw(st.lists(RECORDS if form == "records" else ELEMENTS, min_size=1, max_size=6))
    indexes = st.integers(0, len(elements) - 1)
    repeats = draw(st.lists(st.tuples(indexes, st.booleans()), max_size=2))
    return draw(st.sampled_from(ENTRIES)), form, elements, repeats


def stamped(texts: list[str], counter: Iterator[int]) -> list[str]:
    return [text.replace(STAMP, f"p-{next(counter)}") for text in texts]
