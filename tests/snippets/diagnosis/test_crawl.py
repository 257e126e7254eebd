"""Two crawling losses: the early/late ratio tells a small learning rate from a vanishing
gradient; on one grid of learning rates for both, the short task is solved and the long one
is not; Adam, at its best rate of a grid that brackets it, solves the long one."""

import crawl
import pytest
import torch
from support import generated_output, generated_values
from torch import nn

from rnnbook.monitor import GradMonitor


@pytest.fixture(scope="module")
def values() -> dict:
    return generated_values("diagnosis/crawl")


def numbers(spread: str) -> list[float]:
    """'1e-01 (9e-02–2e-01)' -> [0.1, 0.09, 0.2]"""
    return [float(v) for v in spread.replace("(", " ").replace(")", " ").replace("–", " ").split()]


def test_both_runs_crawl_for_the_first_100_steps(values):
    assert min(numbers(values["slow_crawl"])) > 0.7
    assert min(numbers(values["stuck_crawl"])) > 0.95


def test_the_ratio_separates_the_two_causes(values):
    assert values["slow_named_healthy"] == values["seeds"] >= 5
    assert values["stuck_named_vanishing"] == values["seeds"]
    slow, stuck = numbers(values["slow_ratio"]), numbers(values["stuck_ratio"])
    assert min(slow) > 10 * crawl.VANISHING_RATIO and max(stuck) < crawl.VANISHING_RATIO / 5


def test_tenfold_learning_rate_cures_only_the_small_learning_rate(values):
    """The same grid for both distances: T = 5 is solved at 0.01 and 0.1 in every seed and
    diverges at 1; T = 20 is solved at no rate of the grid and diverges at 1."""
    n = values["seeds"]
    assert values["short_solved_low"] == values["short_solved_mid"] == n
    assert values["short_nan_high"] == n == values["long_nan_high"]
    assert values["long_solved_sgd"] == 0


def test_adam_solves_the_long_task_inside_a_bracketing_grid(values):
    """Adam solves T = 20 where SGD solves it at no rate; its middle rate does best, the
    rates at both ends of its grid solve fewer seeds."""
    counts = [int(k) for k in values["adam_solved_all"].split(", ")]
    assert len(counts) == len(crawl.ADAM_LRS) and sum(counts) == values["adam_solved_total"]
    assert values["adam_solved_mid"] == values["seeds"] == counts[1]
    assert max(counts[0], counts[-1]) < max(counts[1:-1])
    assert values["adam_solved_total"] >= values["adam_runs"] / 2 > values["long_solved_sgd"]
    assert max(numbers(values["adam_step_mid"])) < crawl.STEPS / 2


def test_grid_and_printed_rows():
    assert crawl.LRS == (0.01, 0.1, 1.0) and crawl.DISTANCES == (5, 20)
    text = generated_output("diagnosis/crawl")
    assert text.count("\nsgd | ") == len(crawl.LRS) * len(crawl.DISTANCES)
    assert text.count("\nadam | 20 | ") == len(crawl.ADAM_LRS)


def fake(losses: list[float], probes: dict[int, list[float]] | None = None) -> GradMonitor:
    """A monitor holding the given losses and probes, no training."""
    monitor = GradMonitor(nn.Linear(1, 1))
    monitor.losses = list(losses)
    monitor.grad_norms = [1.0] * len(losses)
    monitor.probes = {s: torch.tensor(v) for s, v in (probes or {}).items()}
    return monitor


def test_solved_at_and_crawl_ratio():
    assert crawl.solved_at(fake([1.0] * 20 + [0.01] * 9)) is None
    assert crawl.solved_at(fake([1.0] * 20 + [0.01] * 10)) == 29
    assert crawl.solved_at(fake([1.0] * 5 + [0.0] * 10)) == 14  # mean of 10 below 0.1
    monitor = fake([1.0] * 200, {0: [1e-3, 1.0], 50: [3e-3, 1.0], 90: [2e-3, 1.0], 150: [1, 1]})
    assert crawl.crawl_ratio(monitor) == pytest.approx(2e-3)  # probes before step 100 only
