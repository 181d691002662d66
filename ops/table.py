"""Plain text for terminal output: tables (a header, a rule, left-aligned columns) and summaries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def text_table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """``columns`` over ``rows`` (None prints empty), each column as wide as its widest cell."""
    cells = [list(columns)] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def summary_text(summary: Mapping[str, Any], rows: str, columns: Sequence[str]) -> str:
    """A command's summary: its counts as ``name: value`` lines, then its list ``rows`` as a table
    of ``columns`` (left out when empty)."""
    counts = [(k.replace("_", " ") + ":", v) for k, v in summary.items() if k != rows]
    width = max(len(name) for name, _ in counts) + 1
    lines = [f"{name.ljust(width)}{value}" for name, value in counts]
    if summary[rows]:
        lines += ["", text_table(columns, ([row.get(c) for c in columns] for row in summary[rows]))]
    return "\n".join(lines)
