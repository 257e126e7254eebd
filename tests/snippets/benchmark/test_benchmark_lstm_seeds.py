"""The LSTM at T = 100 over five seeds: the committed output of the real run.

Not re-run here (it runs once per build, and the build fails if its stdout differs from
tests/expected/benchmark/benchmark_lstm_seeds.txt).
"""

import re

import benchmark_lstm_seeds as seeds
from benchmark_report import read_table
from benchmark_train import ADDING_SETTINGS, SOLVED_FRACTION
from support import expected_output

TEXT = expected_output("benchmark/benchmark_lstm_seeds")
LINE = re.compile(
    r"  seed (\d): test MSE ([\d.e+-]+), solved (?:at step (\d+)|not within the budget)"
)


def results() -> dict[int, tuple[float, int | None]]:
    found = {}
    for match in LINE.finditer(TEXT):
        found[int(match[1])] = (float(match[2]), int(match[3]) if match[3] else None)
    return found


def test_five_seeds_same_protocol():
    assert seeds.SEEDS == (0, 1, 2, 3, 4) and seeds.LENGTH == 100
    assert sorted(results()) == list(seeds.SEEDS)
    assert f"T = 100, {ADDING_SETTINGS.steps} steps, one run per seed" in TEXT


def test_seed_0_is_the_run_in_the_benchmark_table():
    (lstm,) = [
        r
        for r in read_table(expected_output("benchmark/benchmark_adding_gated"))
        if r["model"] == "LSTM" and r["T"] == "100"
    ]
    mse, step = results()[0]
    assert f"{mse:.3g}" == lstm["test MSE"] and str(step) == lstm["solved at step"]


def test_every_seed_solves_within_the_budget():
    found = results()
    assert all(step is not None for _, step in found.values())
    assert all(mse < SOLVED_FRACTION / 6 for mse, _ in found.values())
    assert f"Solved in {len(found)} of {len(found)} seeds" in TEXT


def test_the_plateau_length_varies_with_the_seed():
    steps = [step for _, step in results().values()]
    assert max(steps) - min(steps) >= 100
