"""The one text-table printer behind `ops query`, `ops status` and the offline named queries."""

from __future__ import annotations

from ops.table import text_table


def test_columns_align_none_prints_empty_and_lines_carry_no_trailing_spaces() -> None:
    table = text_table(("name", "n", "note"), [("alpha", 1, None), ("b", 22, "x")])
    assert table.splitlines() == [
        "name   n   note",
        "-----  --  ----",
        "alpha  1",
        "b      22  x",
    ]


def test_a_table_without_rows_is_its_header_and_rule() -> None:
    assert text_table(("reason", "events"), []) == "reason  events\n------  ------"
