"""How many examples a property test draws: its full count scaled by `HYPOTHESIS_SCALE`.

`make test` runs the properties CI-sized (a quarter of the full count, at least 10 examples: every
property still runs on fresh random inputs each time); `make fuzz` runs them at four times the full
count, with the hostile-input suite at depth. The properties and their assertions are the same.
"""

from __future__ import annotations

import os

SCALE = float(os.environ.get("HYPOTHESIS_SCALE", "0.25"))


def examples(full: int) -> int:
    """The example count for a property whose full count is `full`."""
    return max(10, round(full * SCALE))
