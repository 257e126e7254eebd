"""The experimental protocol every training comparison on the site follows.

- **Solved** means one thing everywhere: the loss on the task's own held-out test set is
  below SOLVED_FRACTION (5%) of that test set's memoryless loss, the loss of the best
  predictor that ignores the input sequence (the constant 1/6 of the adding problem's
  variance, answering 0 on the recall task, guessing the symbol distribution on copy).
- **Learning rates** are each arm's own: chosen from a grid on the task and length the arm
  is judged on, and the grid must bracket the best rate (the best is not at either end);
  :func:`choose_rate` says whether it does.
- **Matched arms**: the same budget of steps, the same clipping cap and (within a few per
  cent) the same number of parameters; :func:`matched_parameters` checks the last.
- **Statistics**: counts of solved seeds with exact intervals, differences with an exact
  test (:mod:`rnnbook.stats`).

Taught in docs/protocol.md; run by snippets/protocol/five_seeds.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

# --8<-- [start:solved]
SOLVED_FRACTION = 0.05  # solved: test loss below 5% of the test set's memoryless loss


def solved_threshold(memoryless: float) -> float:
    """The test loss below which a run counts as solved, for a task whose memoryless
    predictor scores `memoryless` on the same test set."""
    if isinstance(memoryless, bool) or not isinstance(memoryless, (int, float)):
        raise TypeError(f"memoryless must be a number, got {type(memoryless).__name__}")
    if not math.isfinite(memoryless) or memoryless <= 0:
        raise ValueError(f"memoryless must be a positive finite loss, got {memoryless!r}")
    return SOLVED_FRACTION * float(memoryless)


def is_solved(test_loss: float, memoryless: float) -> bool:
    """True when `test_loss` is finite and below 5% of the memoryless loss."""
    threshold = solved_threshold(memoryless)
    if isinstance(test_loss, bool) or not isinstance(test_loss, (int, float)):
        raise TypeError(f"test_loss must be a number, got {type(test_loss).__name__}")
    return math.isfinite(test_loss) and test_loss < threshold


# --8<-- [end:solved]


# --8<-- [start:rates]
@dataclass(frozen=True)
class RateChoice:
    """The learning rate an arm is run at, and whether its grid brackets it."""

    rate: float
    bracketed: bool  # False when the best rate is the grid's smallest or largest


def choose_rate(scores: Mapping[float, float]) -> RateChoice:
    """The rate with the lowest score (for example the median final loss over pilot seeds);
    ties go to the smaller rate. A non-finite score (a diverged run) is never best."""
    if not scores:
        raise ValueError("scores must hold at least one (rate, score) pair")
    for rate, score in scores.items():
        if not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0):
            raise ValueError(f"learning rates must be positive and finite, got {rate!r}")
        if not isinstance(score, (int, float)) or math.isnan(score):
            raise ValueError(f"the score of rate {rate:g} is not a number: {score!r}")
    grid = sorted(scores)
    finite = [r for r in grid if math.isfinite(scores[r])]
    if not finite:
        raise ValueError("every rate in the grid diverged: no rate can be chosen")
    best = min(finite, key=lambda r: (scores[r], r))
    return RateChoice(best, best not in (grid[0], grid[-1]))


# --8<-- [end:rates]


def matched_parameters(counts: Mapping[str, int], within: float = 0.05) -> bool:
    """True when every arm's parameter count is within `within` (a fraction) of the largest."""
    if not counts:
        raise ValueError("counts must name at least one arm")
    if not 0 <= within < 1:
        raise ValueError(f"within must be a fraction in [0, 1), got {within!r}")
    if any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in counts.values()):
        raise ValueError(f"parameter counts must be positive ints, got {dict(counts)}")
    largest = max(counts.values())
    return all(c >= (1 - within) * largest for c in counts.values())
