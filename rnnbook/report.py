"""Numbers as the pages write them: median and range over seeds, powers of ten in prose.

Every page that reports seeds writes "median (low–high)"; every page that quotes a tiny
or huge number in its prose writes "4 × 10⁻⁵". One copy of each, so that they agree.

Taught in docs/how-built.md; run by snippets/vanishing/long_range_training.py (and others).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def scientific(x: float, digits: int = 0) -> str:
    """x as prose writes it, `digits` after the point: 4.2e-05 -> '4 × 10⁻⁵' (digits=0)."""
    if not math.isfinite(x):
        raise ValueError(f"scientific() needs a finite number, got {x!r}")
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(SUPERSCRIPT)}"


def median_range(
    values: Sequence[float], form: str = "{:.2g}", sep: str = "–", label: str = ""
) -> str:
    """'median (low–high)' with each number written by `form`; '-' for no values.

    `sep` goes between low and high and `label` before them: ``median_range([1, 2, 4],
    '{:.0f}', ' to ')`` is '2 (1 to 4)', with ``label="range "`` '2 (range 1 to 4)'."""
    if not values:
        return "-"
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{form.format(mid)} ({label}{form.format(low)}{sep}{form.format(high)})"
