"""The benchmark's learning rates, checked by a cheap pilot: each is the best of its grid.

For every model, three rates a factor 3 apart, centred on the rate the benchmark uses
(benchmark_train.LEARNING_RATES), on short sequences (the adding problem at T = 5, where
every model learns something in a few hundred steps), with seeds the benchmark does not
use (100 and 101), at most 300 steps each. The score of a rate is the mean over the scored
steps of log10(test MSE), averaged over the two seeds: lower is better, and it rewards
learning early as well as learning well. A run that solves the task stops and keeps its
last score for the remaining steps. Scores within TIE of each other are a tie (a factor
10^0.1 = 1.26 in loss is within the spread between seeds), and a tie goes to the smaller,
safer rate.

The benchmark's rate must win its grid: then the best rate lies inside the grid, not at an
edge, and the grid brackets it. If a change of model or protocol moves the optimum, this
file's output says which way, and the rate in benchmark_train.py must move with it.

Run: python benchmark_lr_pilot.py   (a minute or so on one CPU thread)
"""

import dataclasses
import math
import statistics

import torch

from rnnbook.benchmark import ADDING, ADDING_SETTINGS, LEARNING_RATES, train_run
from rnnbook.models import KINDS, LABELS

# --8<-- [start:pilot]
FACTORS = (1 / 3, 1.0, 3.0)  # the grid around each model's rate
LENGTH = 5
TIE = 0.1  # scores closer than this are a tie, won by the smaller rate
PILOT = dataclasses.replace(
    ADDING_SETTINGS, lengths=(LENGTH,), steps=300, eval_every=50, test_size=256, seeds=(100, 101)
)
MODELS = KINDS


def score(kind: str, lr: float) -> float:
    """Mean log10 test MSE over the scored steps, averaged over the pilot's seeds."""
    settings = dataclasses.replace(PILOT, lr=lr)
    per_seed = []
    for seed in settings.seeds:
        curve = [loss for _, loss in train_run(ADDING, kind, LENGTH, settings, seed).curve]
        curve += [curve[-1]] * (settings.steps // settings.eval_every - len(curve))
        per_seed.append(statistics.fmean(math.log10(loss) for loss in curve))
    return statistics.fmean(per_seed)


def best(grid: list[float], scores: list[float]) -> float:
    """The rate with the lowest score; within TIE of it, the smallest such rate."""
    lowest = min(scores)
    return min(lr for lr, s in zip(grid, scores, strict=True) if s <= lowest + TIE)


# --8<-- [end:pilot]

if __name__ == "__main__":
    torch.set_num_threads(1)
    rates = dict(LEARNING_RATES)
    print(
        f"Adding problem, T = {LENGTH}, at most {PILOT.steps} steps, seeds {PILOT.seeds}; "
        "score: mean log10 test MSE (lower is better)"
    )
    print("| model | rate / 3 | rate | rate × 3 | best |")
    print("|---|---:|---:|---:|---|")
    for kind in MODELS:
        grid = [rates[kind] * factor for factor in FACTORS]
        scores = [score(kind, lr) for lr in grid]
        winner = best(grid, scores)
        where = "the benchmark's rate" if winner == rates[kind] else f"{winner:.2g}: move the rate"
        cells = " | ".join(f"{lr:.2g}: {s:.2f}" for lr, s in zip(grid, scores, strict=True))
        print(f"| {LABELS[kind]} | {cells} | {where} |")
