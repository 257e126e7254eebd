"""Short lengths are learnt, long ones stay at the baseline, over five seeds: the claims on the
page, read from the output this build produced (the training runs once, in the runner)."""

import itertools
import math
import statistics

import pytest
import torch
from support import generated_output, generated_values

from rnnbook import recall as lrt


@pytest.fixture(scope="module")
def values():
    return generated_values("vanishing/long_range_training")


def test_five_seeds_or_more(values):
    assert values["seeds"] == len(lrt.SEEDS) >= 5
    for T in lrt.DISTANCES:
        total = values[f"solved_{T}"] + values[f"diverged_{T}"] + values[f"not_solved_{T}"]
        assert total == values["seeds"]


def test_short_lengths_are_learnt_and_long_ones_are_not(values):
    assert values["solved_5"] == values["seeds"]
    assert values["solved_10"] >= values["seeds"] - 2  # the page: most seeds, not all
    assert values["solved_20"] == 0 and values["diverged_20"] == 0
    # every T = 20 run ends at the baseline of answering 0 (loss 1), within 2%
    assert 0.98 < values["stuck_loss_min_20"] <= values["stuck_loss_max_20"] < 1.02


def test_a_longer_distance_takes_longer_to_learn(values):
    assert values["median_step_5"] < values["median_step_10"] < lrt.STEPS


def test_early_gradient_share_falls_with_length():
    """R at initialisation, median over the seeds: at least tenfold smaller per length."""
    medians = [
        statistics.median(lrt.early_to_late_ratio(T, seed) for seed in lrt.SEEDS)
        for T in lrt.DISTANCES + lrt.RATIO_ONLY
    ]
    assert all(b < a / 10 for a, b in itertools.pairwise(medians))
    assert medians[2] < 1e-4 and medians[3] < 1e-8  # T = 20 and T = 40, as the page says


def test_printed_table_has_every_length(values):
    text = generated_output("vanishing/long_range_training")
    for T in lrt.DISTANCES:
        assert f"{T:2d}   {values[f'solved_{T}']} of {values['seeds']}" in text
    for T in lrt.DISTANCES + lrt.RATIO_ONLY:
        assert f"\n{T:2d}   " in text.split("R = ||dL/dh_1||")[1]


def test_a_run_stops_once_solved():
    losses = lrt.train(5, seed=0, stop_when_solved=True)
    assert len(losses) < lrt.STEPS
    assert lrt.solved_at(losses) == len(losses)
    assert lrt.outcome(losses) == "solved"


def test_outcomes_and_summaries():
    assert lrt.outcome([1.0] * 20) == "not solved"
    assert lrt.outcome([1.0, 0.5, math.nan]) == "diverged"
    assert lrt.outcome([0.01] * 10) == "solved"
    assert lrt.solved_at([1.0] * 5 + [0.0] * 10) == 15  # the first window without a 1


def test_task():
    x, y = lrt.remember_first_bit(64, 7, torch.Generator().manual_seed(0))
    assert x.shape == (64, 7, 2) and y.shape == (64, 1)
    assert torch.equal(x[:, 0, 0:1], y) and set(y.flatten().tolist()) == {-1.0, 1.0}
    assert torch.all(x[:, 1:, 0] == 0) and torch.all(x[:, 0, 1] == 0)
    assert y.pow(2).mean().item() == 1.0  # the baseline: answering 0 scores exactly 1


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="seq_len must be a positive integer"):
        lrt.remember_first_bit(4, 0, torch.Generator())
