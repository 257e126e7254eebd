"""The learning-rate pilot: each benchmark rate wins a grid that brackets it."""

import benchmark_lr_pilot as pilot
import pytest
from support import generated_output

from rnnbook import benchmark as bt


def test_every_rate_is_the_best_of_its_grid_and_not_at_an_edge():
    text = generated_output("benchmark/benchmark_lr_pilot")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "model" not in line]
    assert len(rows) == len(pilot.MODELS) == len(bt.LEARNING_RATES)
    assert all(row.endswith("| the benchmark's rate |") for row in rows)
    assert pilot.FACTORS[0] < 1 < pilot.FACTORS[-1]  # the grid brackets the rate


def test_ties_go_to_the_smaller_rate():
    assert pilot.best([0.01, 0.03, 0.1], [-1.0, -1.05, -1.5]) == 0.1
    assert pilot.best([0.01, 0.03, 0.1], [-1.0, -1.45, -1.5]) == 0.03
    with pytest.raises(ValueError):
        pilot.best([], [])
