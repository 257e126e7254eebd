"""Training on the recall task over seeds: the loop this chapter's experiments share.

The task (long_range_training.py): a bit b = ±1 arrives at step 1, noise follows, and at
step T = 40 the network must output b; answering 0 scores a mean squared error of 1. A
run is plain SGD on fresh batches, with clip_grad_norm_ if asked, for at most 300 steps.
It stops early once it has solved the task (mean training loss of the last 20 steps
below 0.01), recording the step, or at the first NaN/Inf. A run that has not solved the
task always gets the full 300 steps, so "not solved" never rests on a shortened run.

Used by recurrent_init.py, activations.py, skip_rnn.py and clip_vanishing.py.

Run: python recall_runs.py   (prints the protocol and a 50-step run; the experiments are in
the files that import it)

Taught in docs/fixes.md; run by snippets/fixes/recall_runs.py.
"""

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from rnnbook import recall
from rnnbook.gradients import unroll

STEPS = 300
SEEDS = range(5)
DISTANCE = 40  # the bit is this many steps back
WINDOW = 20  # "solved": mean training loss of the last WINDOW steps ...
SOLVED = 0.01  # ... below this (answering 0 scores 1)


# --8<-- [start:train]
@dataclass
class Run:
    """One training run: the loss of every step and how it ended."""

    losses: list[float] = field(default_factory=list)
    clipped: int = 0  # steps whose gradient norm exceeded the clipping threshold
    solved_at: int | None = None  # step at which the last-WINDOW mean fell below SOLVED
    diverged_at: int | None = None  # step of the first NaN/Inf

    @property
    def final(self) -> float:
        """Mean loss of the last WINDOW steps (NaN if the run diverged)."""
        if self.diverged_at is not None:
            return math.nan
        return statistics.fmean(self.losses[-WINDOW:])


class LastState(nn.Module):
    """A recurrent module and a linear read-out of its last state: x (B, T, 2) -> (B, 1)."""

    def __init__(self, recurrent: nn.Module, readout: nn.Linear):
        super().__init__()
        self.recurrent, self.readout = recurrent, readout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states = self.recurrent(x)
        if isinstance(states, tuple):  # nn.RNN returns (outputs, last hidden state)
            states = states[0].unbind(dim=1)
        return self.readout(states[-1])


class Unrolled(nn.Module):
    """A recurrent cell run step by step (step_grads.unroll): x (B, T, D) -> [h_1, ..., h_T]."""

    def __init__(self, cell: nn.Module):
        super().__init__()
        self.cell = cell

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return unroll(self.cell, x)


def train(
    model: nn.Module,
    *,
    lr: float,
    clip: float | None = None,
    seed: int = 0,
    steps: int = STEPS,
    observe: Callable[[nn.Module, str], None] | None = None,
) -> Run:
    """SGD on the recall task; stops once solved or at the first NaN/Inf (see above).

    `observe(model, "unclipped")` and `observe(model, "clipped")` are called around the
    clipping of every step, for experiments that look at the gradients themselves."""
    if not (isinstance(lr, int | float) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if clip is not None and not (isinstance(clip, int | float) and clip > 0):
        raise ValueError(f"clip must be a positive number or None, got {clip!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=lr)
    data = torch.Generator().manual_seed(seed)
    run = Run()
    for step in range(steps):
        x, y = recall.remember_first_bit(recall.BATCH, DISTANCE, data)
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        if observe is not None:
            observe(model, "unclipped")
        norm = nn.utils.clip_grad_norm_(params, clip if clip is not None else math.inf)
        if observe is not None:
            observe(model, "clipped")
        run.losses.append(loss.item())
        run.clipped += clip is not None and norm.item() > clip
        if not (math.isfinite(loss.item()) and math.isfinite(norm.item())):
            run.diverged_at = step
            break
        optimizer.step()
        if len(run.losses) >= WINDOW and statistics.fmean(run.losses[-WINDOW:]) < SOLVED:
            run.solved_at = step
            break
    return run


def over_seeds(make: Callable[[int], nn.Module], **kwargs) -> list[Run]:
    """The same recipe on every seed; `make(seed)` builds the freshly initialised model."""
    return [train(make(seed), seed=seed, **kwargs) for seed in SEEDS]


# --8<-- [end:train]


def cells(runs: list[Run]) -> list[str]:
    """Table cells: solved k of n (median step), non-finite k, final loss median (range)."""
    solved = [r.solved_at for r in runs if r.solved_at is not None]
    bad = sum(r.diverged_at is not None for r in runs)
    when = f" (median step {statistics.median(solved):.0f})" if solved else ""
    finals = [r.final for r in runs if r.diverged_at is None]
    loss = (
        f"{statistics.median(finals):.3f} ({min(finals):.3f}–{max(finals):.3f})" if finals else "—"
    )
    return [f"{len(solved)} of {len(runs)}{when}", f"{bad} of {len(runs)}", loss]


CELL_NAMES = ["solved", "non-finite", "final loss, median (range)"]
