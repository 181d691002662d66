"""The cost-vs-rate chart (``cost_vs_rate.png``): USD per million events against arrival rate.

Drawn with matplotlib's Agg backend from the modelled series only (no clock, no randomness), and
saved without the PNG metadata that would name the software version, so the same figures always
make the same bytes. Each series stops at its configuration's capacity (benchmarks.capacity).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

CHART_FILE: Final = Path(__file__).with_name("cost_vs_rate.png")
COLORS: Final = {"STANDARD": "#1f5fa8", "EXPRESS": "#d9731a"}
STYLES: Final = {"direct": ":", "buffered": "-", "client batch": "--"}


@dataclass(frozen=True)
class Series:
    label: str
    workflow_type: str
    kind: str  # "direct", "buffered" or "client batch"
    points: Sequence[tuple[float, float]]  # (events/s, USD per million events)


def render(series: Sequence[Series], marks: Sequence[float], path: Path = CHART_FILE) -> Path:
    """Draw the series on log-log axes, dots at the ``marks`` rates, and save a PNG."""
    import matplotlib  # here, not at import: most importers of the bench's model never draw

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context({"font.size": 9}):
        figure, axes = plt.subplots(figsize=(8.0, 5.0), dpi=110)
        for s in series:
            xs = [p[0] for p in s.points]
            ys = [p[1] for p in s.points]
            axes.plot(
                xs,
                ys,
                STYLES[s.kind],
                color=COLORS[s.workflow_type],
                linewidth=2.0 if s.kind == "buffered" else 1.4,
                label=s.label,
            )
            if s.kind == "buffered":
                dots = [p for p in s.points if p[0] in marks]
                axes.plot(
                    [p[0] for p in dots],
                    [p[1] for p in dots],
                    "o",
                    color=COLORS[s.workflow_type],
                    markersize=4,
                )
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("arrival rate of single-event POSTs (events/s)")
        axes.set_ylabel("USD per million events (us-east-1 list prices)")
        axes.set_title("Cost per million events: direct vs buffered entry, Standard vs Express")
        axes.grid(True, which="both", linewidth=0.3, alpha=0.6)
        axes.legend(loc="upper right", fontsize=7.5, framealpha=0.9)
        figure.tight_layout()
        figure.savefig(path, format="png", metadata={"Software": None})
        plt.close(figure)
    return path


def rates(low: float, high: float, per_decade: int = 12) -> list[float]:
    """Log-spaced rates from ``low`` to ``high`` inclusive, the powers of ten among them exactly."""
    start = round(math.log10(low) * per_decade)
    stop = round(math.log10(high) * per_decade)
    return [float(f"{10 ** (i / per_decade):.6g}") for i in range(start, stop + 1)]


def capped(points: Mapping[float, float], capacity: float) -> list[tuple[float, float]]:
    """The points up to ``capacity`` events/s, in rate order."""
    return [(r, c) for r, c in sorted(points.items()) if r <= capacity]
