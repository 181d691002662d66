"""Plain-text tables for terminal output: a header, a rule, left-aligned columns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


def text_table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """``columns`` over ``rows`` (None prints empty), each column as wide as its widest cell."""
    cells = [list(columns)] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)
