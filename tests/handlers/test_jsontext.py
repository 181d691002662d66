"""The exact JSON reader: strict JSON, duplicate keys, bounded depth, numbers as written, spans."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.jsontext import (
    NON_STANDARD,
    NOT_JSON,
    TOO_DEEP,
    JsonTextError,
    Number,
    member_spans,
    nesting_depth,
    read,
    strip,
)
from tests.examples import examples

EDGE_NUMBERS = ["1e400", "-0", "0.12345678901234567890123", "1e-130", "-1E+2", "9" * 4301]


@pytest.mark.parametrize("token", EDGE_NUMBERS)
def test_numbers_are_kept_as_written(token: str) -> None:
    reading = read(f'{{"n": {token}, "list": [{token}]}}', max_depth=8)
    assert reading.value == {"n": token, "list": [token]}
    assert isinstance(reading.value["n"], Number)
    assert reading.numbers == 2


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}', '{"a": [1, NaN]}'])
def test_non_standard_tokens_are_refused(text: str) -> None:
    with pytest.raises(JsonTextError) as info:
        read(text, max_depth=8)
    assert info.value.code == NON_STANDARD
    assert "is not JSON" in info.value.message


@pytest.mark.parametrize(
    "text", ["", "{", "[1,]", "{'a': 1}", "\ufeff{}", '{"a": 1} x', '"tab\there"', "01"]
)
def test_text_that_is_not_json_is_refused(text: str) -> None:
    with pytest.raises(JsonTextError) as info:
        read(text, max_depth=8)
    assert info.value.code == NOT_JSON
    assert info.value.message.startswith("not JSON: ")
    assert "line 1 column" in info.value.message


def test_duplicate_keys_are_reported_at_any_depth() -> None:
    assert read('{"a": 1, "b": 2}', max_depth=8).duplicate_key is None
    assert read('{"a": 1, "b": 2, "a": 3}', max_depth=8).duplicate_key == "a"
    nested = read('{"p": {"x": 1, "x": 2}, "q": {"y": 1, "y": 2}}', max_depth=8)
    assert nested.duplicate_key == "x"  # the first one met
    assert nested.value["p"] == {"x": "2"}  # last wins, as json.loads reads it


def test_depth_is_bounded_before_decoding() -> None:
    assert read("[" * 64 + "]" * 64, max_depth=64).value is not None
    for text in ["[" * 65 + "]" * 65, "[" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000]:
        with pytest.raises(JsonTextError) as info:
            read(text, max_depth=64)  # never RecursionError
        assert info.value.code == TOO_DEEP


def test_brackets_inside_strings_do_not_nest() -> None:
    text = '["[[[[", {"a\\"[": [[]], "b": "\\\\"}, "]]"]'
    assert nesting_depth(text) == 4
    assert read(text, max_depth=4).value[1] == {'a"[': [[]], "b": "\\"}
    assert nesting_depth("1") == 0


def test_member_spans_are_the_elements_as_written() -> None:
    text = ' {\r\n "events" : [ {"x": 1e400} ,\n"s\\"]" ,[ ], -0 ] } '
    read(text, max_depth=8)
    assert member_spans(text) == ['{"x": 1e400}', '"s\\"]"', "[ ]", "-0"]
    assert member_spans('{"\\u0065vents":[]}') == []
    assert strip(" \t\r\n[1] \n") == "[1]"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _numbers_as_json(value: Any) -> Any:
    """`value` as json.loads reads the reader's result (Number -> int/float)."""
    if isinstance(value, Number):
        return json.loads(value)
    if isinstance(value, dict):
        return {k: _numbers_as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_as_json(v) for v in value]
    return value


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(json_values, max_size=5), st.sampled_from([(",", ":"), (", ", ": "), (" ,", " :")]))
def test_spans_and_values_agree_with_json_loads(events: list[Any], separators: Any) -> None:
    text = json.dumps({"events": events}, separators=separators, ensure_ascii=False)
    reading = read(text, max_depth=64)
    assert _numbers_as_json(reading.value) == json.loads(text)
    spans = member_spans(text)
    assert [json.loads(span) for span in spans] == events
    assert all(span in text for span in spans)
