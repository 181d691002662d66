"""The cost-vs-rate chart: deterministic PNG bytes, log-spaced rates, series cut at capacity."""

from __future__ import annotations

from pathlib import Path

from benchmarks.chart import Series, capped, rates, render

SERIES = [
    Series("direct, Standard", "STANDARD", "direct", [(1.0, 100.0), (300.0, 100.0)]),
    Series("buffered, Standard", "STANDARD", "buffered", [(1.0, 90.0), (10.0, 9.0), (100.0, 3.0)]),
    Series("client batches, Express", "EXPRESS", "client batch", [(1.0, 0.8), (100.0, 0.8)]),
]


def test_the_same_series_make_the_same_png_bytes(tmp_path: Path) -> None:
    first = render(SERIES, [1.0, 10.0], tmp_path / "a.png").read_bytes()
    second = render(SERIES, [1.0, 10.0], tmp_path / "b.png").read_bytes()
    assert first.startswith(b"\x89PNG\r\n\x1a\n")
    assert first == second
    assert b"Software" not in first  # no version metadata that would change with matplotlib
    other = render(SERIES[:2], [1.0], tmp_path / "c.png").read_bytes()
    assert other != first


def test_rates_are_log_spaced_with_exact_powers_of_ten() -> None:
    values = rates(1, 10_000, per_decade=4)
    assert len(values) == 17
    assert {1.0, 10.0, 100.0, 1000.0, 10_000.0} <= set(values)
    assert values == sorted(values)
    assert values[1] == 1.77828


def test_a_series_stops_at_its_capacity() -> None:
    points = {1.0: 5.0, 100.0: 4.0, 1000.0: 3.0, 10.0: 4.5}
    assert capped(points, 300.0) == [(1.0, 5.0), (10.0, 4.5), (100.0, 4.0)]
    assert capped(points, float("inf"))[-1] == (1000.0, 3.0)
