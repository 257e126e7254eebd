"""What a vanishing gradient looks like in training: the loss stays at the baseline.

The task: a bit b = +-1 arrives at the first step, then T - 1 steps of noise; at the last
step the network must output b. Answering 0 scores a mean squared error of exactly 1,
the baseline. The model: a tanh nn.RNN with 32 units at PyTorch's default initialisation,
a linear read-out of the last state, plain SGD. Only the sequence length T changes.

Every length is trained from SEEDS different seeds (initialisation and data). A run that
solves the task (loss, averaged over 10 steps, below SOLVED_LOSS) stops there and records
the step; a run that does not keeps the full budget of STEPS, so "not solved" always
means "not solved in STEPS steps". The early/late ratio R = ||dL/dh_1|| / ||dL/dh_T|| is
taken at initialisation, also for a longer T that is not trained.

Run: python long_range_training.py   (prints the table, writes long_range_training.svg and
long_range_training.json)

Taught in docs/vanishing.md; run by snippets/vanishing/long_range_training.py.
"""

import math

import matplotlib.pyplot as plt
import torch
from torch import nn

from rnnbook.gradients import cell_from_rnn, per_step_grad_norms, unroll
from rnnbook.protocol import solved_threshold

DISTANCES = (5, 10, 20)  # sequence lengths T that are trained
RATIO_ONLY = (40,)  # lengths at which only R at initialisation is measured
SEEDS = (0, 1, 2, 3, 4)
STEPS, BATCH, HIDDEN, LR = 300, 32, 32, 0.1
MEMORYLESS = 1.0  # the loss of answering 0, the best guess that ignores the sequence
SOLVED_LOSS = solved_threshold(MEMORYLESS)  # the site's one 'solved' (rnnbook.protocol)
SMOOTH = 10  # solved: the mean training loss of the last SMOOTH steps below SOLVED_LOSS


# --8<-- [start:task]
def remember_first_bit(
    batch_size: int, seq_len: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """x (batch, T, 2): the bit in channel 0 at t = 1, then noise in channel 1."""
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 1:
        raise ValueError(f"seq_len must be a positive integer, got {seq_len!r}")
    bit = torch.randint(0, 2, (batch_size,), generator=generator).float() * 2 - 1
    x = torch.zeros(batch_size, seq_len, 2)
    x[:, 0, 0] = bit
    x[:, 1:, 1] = torch.randn(batch_size, seq_len - 1, generator=generator)
    return x, bit[:, None]


# --8<-- [end:task]


def make_model(seed: int = 0) -> tuple[nn.RNN, nn.Linear]:
    """A tanh RNN and its read-out, PyTorch's default initialisation."""
    torch.manual_seed(seed)
    return nn.RNN(2, HIDDEN, batch_first=True), nn.Linear(HIDDEN, 1)


def early_to_late_ratio(seq_len: int, seed: int = 0) -> float:
    """R = ||dL/dh_1|| / ||dL/dh_T|| at initialisation, from one backward pass."""
    rnn, readout = make_model(seed)
    x, y = remember_first_bit(BATCH, seq_len, torch.Generator().manual_seed(seed))
    states = unroll(cell_from_rnn(rnn), x)
    norms = per_step_grad_norms(nn.functional.mse_loss(readout(states[-1]), y), states)
    return (norms[0] / norms[-1]).item()


# --8<-- [start:train]
def train(
    seq_len: int, steps: int = STEPS, seed: int = 0, stop_when_solved: bool = False
) -> list[float]:
    """Plain SGD on fresh batches; the loss of every step. With stop_when_solved, stop once
    the mean of the last SMOOTH losses is below SOLVED_LOSS, or the loss is not finite."""
    rnn, readout = make_model(seed)
    optimizer = torch.optim.SGD([*rnn.parameters(), *readout.parameters()], lr=LR)
    data = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        x, y = remember_first_bit(BATCH, seq_len, data)
        states, _ = rnn(x)
        loss = nn.functional.mse_loss(readout(states[:, -1]), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if stop_when_solved and (solved_at(losses) or not math.isfinite(losses[-1])):
            break
    return losses


def solved_at(losses: list[float]) -> int | None:
    """The first step at which the mean of the last SMOOTH losses is below SOLVED_LOSS."""
    for end in range(SMOOTH, len(losses) + 1):
        if sum(losses[end - SMOOTH : end]) / SMOOTH < SOLVED_LOSS:
            return end
    return None


# --8<-- [end:train]


def outcome(losses: list[float]) -> str:
    """'solved', 'diverged' (a loss that is not finite) or 'not solved' (in the budget)."""
    if not all(math.isfinite(v) for v in losses):
        return "diverged"
    return "solved" if solved_at(losses) is not None else "not solved"


def window_means(losses: list[float], width: int = 50) -> list[float]:
    """Mean loss over consecutive windows of `width` steps."""
    return [sum(losses[i : i + width]) / width for i in range(0, len(losses), width)]


def plot(runs: dict[int, list[list[float]]], path: str = "long_range_training.svg") -> None:
    """Training loss (mean of SMOOTH steps) against step: every seed, one colour per T."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    cycle = plt.rcParams["axes.prop_cycle"].by_key()
    top = 10.0  # losses above this (a diverging run) are drawn at the top edge
    for (T, seeds), color, style in zip(
        runs.items(), cycle["color"], cycle["linestyle"], strict=False
    ):
        for i, losses in enumerate(seeds):
            finite = [v for v in losses if math.isfinite(v)]
            smooth = [sum(finite[j : j + SMOOTH]) / SMOOTH for j in range(len(finite) - SMOOTH + 1)]
            steps = range(SMOOTH, len(finite) + 1)
            label = f"T = {T}" if i == 0 else None
            ax.plot(
                steps,
                [min(v, top) for v in smooth],
                color=color,
                ls=style,
                lw=1.2,
                alpha=0.8,
                label=label,
            )
            if outcome(losses) == "diverged":
                ax.plot([len(finite)], [top], "x", color=color, ms=8, mew=2)
                ax.annotate(
                    "diverged",
                    (len(finite), top),
                    xytext=(6, -4),
                    textcoords="offset points",
                    fontsize="small",
                    color=color,
                    va="top",
                )
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.axhline(SOLVED_LOSS, color="0.5", lw=0.8, ls=":")
    ax.text(STEPS, 0.9, "answer 0", color="0.4", fontsize="small", ha="right", va="top")
    ax.text(STEPS, SOLVED_LOSS * 0.9, "solved", color="0.4", fontsize="small", ha="right", va="top")
    ax.set_yscale("log")
    ax.set_ylim(1e-3, top * 1.5)
    ax.set_xlim(0, STEPS)
    ax.set_xlabel("training step")
    ax.set_ylabel(f"training loss, mean of {SMOOTH} steps")
    ax.set_title(f"Recall the first bit at step T: tanh RNN, SGD, lr {LR}, {len(SEEDS)} seeds each")
    ax.legend(loc="lower right")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)
