"""The recall-task training loop the fixes chapter shares: early stop, divergence, errors."""

import math

import pytest
import torch
from torch import nn

from rnnbook import recall as lrt
from rnnbook import recall_runs as rr


def tanh_model(seed: int = 0, orthogonal: bool = False) -> rr.LastState:
    torch.manual_seed(seed)
    rnn = nn.RNN(2, lrt.HIDDEN, batch_first=True)
    if orthogonal:
        with torch.no_grad():
            nn.init.orthogonal_(rnn.weight_hh_l0)
    return rr.LastState(rnn, nn.Linear(lrt.HIDDEN, 1))


def test_a_run_that_is_not_solved_gets_every_step():
    run = rr.train(tanh_model(), lr=0.1, clip=1.0, steps=40)
    assert run.solved_at is None and run.diverged_at is None and len(run.losses) == 40
    assert run.final == pytest.approx(sum(run.losses[-rr.WINDOW :]) / rr.WINDOW)


def test_a_run_stops_once_solved(monkeypatch):
    """The stopping rule, not a training result: with the bar at 0.9 (answering 0 scores 1)
    any run that learns anything clears it within the budget, and must stop there."""
    monkeypatch.setattr(rr, "SOLVED", 0.9)
    run = rr.train(tanh_model(0, orthogonal=True), lr=0.1, clip=1.0)
    assert run.solved_at is not None and len(run.losses) == run.solved_at + 1
    assert run.final < 0.9 <= sum(run.losses[-rr.WINDOW - 1 : -1]) / rr.WINDOW


def test_a_run_stops_at_the_first_non_finite_loss():
    run = rr.train(tanh_model(), lr=1e6, steps=50)
    assert run.diverged_at is not None and math.isnan(run.final)
    assert not math.isfinite(run.losses[-1]) or run.diverged_at == len(run.losses) - 1


def test_unrolled_cell_matches_the_fused_rnn():
    torch.manual_seed(0)
    rnn = nn.RNN(2, 8, batch_first=True)
    cell = nn.RNNCell(2, 8)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(rnn, f"{name}_l0"))
    readout = nn.Linear(8, 1)
    x = torch.randn(3, 5, 2)
    fused, unrolled = rr.LastState(rnn, readout), rr.LastState(rr.Unrolled(cell), readout)
    assert torch.allclose(fused(x), unrolled(x), atol=1e-6)


def test_cells_count_solved_and_non_finite_runs():
    solved = rr.Run(losses=[0.001] * 20, solved_at=19)
    stuck = rr.Run(losses=[1.0] * 300)
    broken = rr.Run(losses=[1.0, math.nan], diverged_at=1)
    assert rr.cells([solved, stuck, broken]) == [
        "1 of 3 (median step 19)",
        "1 of 3",
        "0.500 (0.001–1.000)",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": 0}, "lr must be a positive number"),
        ({"lr": 0.1, "clip": -1}, "clip must be a positive number"),
        ({"lr": 0.1, "steps": 0}, "steps must be a positive integer"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        rr.train(tanh_model(), **kwargs)
