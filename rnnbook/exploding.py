"""A real exploding gradient: a small ReLU RNN, plain SGD, and a learning rate one notch too high.

The task: read T = 20 numbers x_t ~ N(0, 1) and output their sum divided by sqrt(T) (a
target of variance 1, so always answering 0 scores a mean squared error of 1). The model:
a one-layer ReLU nn.RNN with 64 units, its recurrent matrix initialised to 1.1 times a
random orthogonal matrix (every singular value 1.1: not past the edge between vanishing
and exploding, which inactive or saturated units put above 1), and a linear read-out of
the last state. At lr = 0.1 most runs blow up to NaN within 300
steps; at lr = 0.01 they stay finite and learn.

API (the chapter on fixes reuses it):
    make_batch(batch_size, seq_len, generator) -> (x, y)
        x: (batch, T, 1), y: (batch, 1); the data of every step comes from `generator`.
    make_model(seed=0, hidden_size=HIDDEN, init_scale=INIT_SCALE) -> SumRNN
        SumRNN.rnn is the nn.RNN (batch-first), SumRNN.readout the nn.Linear.
    train(*, lr, steps, seed=0, clip_norm=None, clip_value=None, lr_schedule=None) -> History
        Plain SGD on fresh batches. Per step it records the loss, the global L2 norm of the
        gradient over all parameters BEFORE any clipping (exactly what
        torch.nn.utils.clip_grad_norm_ returns), the learning rate used and W_hh (whose
        spectral norms History.recurrent_norms computes when first asked for).
        clip_norm / clip_value: clip by global norm / by value (at most one of them).
        lr_schedule: a function step -> multiplier; the step's learning rate is lr * it.
        The run stops cleanly at the first non-finite loss or gradient norm: that step is
        recorded (its NaN/Inf included), no update is applied, and History.diverged_at is
        its index. Otherwise it runs all `steps` and diverged_at is None.

Run: python exploding_run.py   (ten seeds at each learning rate; prints how the runs
ended, writes exploding_run.svg, exploding_run.csv (one row per run),
exploding_run_example.md (the last steps of seed 0) and exploding_run.json (the numbers
the page quotes); about 15 s)

Taught in docs/exploding.md; run by snippets/exploding/exploding_run.py.
"""

import functools
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn

from rnnbook.report import median_range

SEQ_LEN = 20
BATCH = 32
HIDDEN = 64
INIT_SCALE = 1.1  # W_hh = INIT_SCALE x a random orthogonal matrix
LR_HIGH = 0.1
LR_LOW = LR_HIGH / 10
STEPS = 300


# --8<-- [start:task]
def make_batch(
    batch_size: int, seq_len: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """x ~ N(0, 1) of shape (batch, T, 1); target sum_t x_t / sqrt(T), (batch, 1)."""
    for name, n in [("batch_size", batch_size), ("seq_len", seq_len)]:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    x = torch.randn(batch_size, seq_len, 1, generator=generator)
    return x, x.sum(dim=1) / math.sqrt(seq_len)


class SumRNN(nn.Module):
    """ReLU RNN over the sequence, linear read-out of the last state."""

    def __init__(self, hidden_size: int):
        super().__init__()
        self.rnn = nn.RNN(1, hidden_size, nonlinearity="relu", batch_first=True)
        self.readout = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.rnn(x)
        return self.readout(states[:, -1])


def make_model(
    seed: int = 0,
    hidden_size: int = HIDDEN,
    init_scale: float = INIT_SCALE,
) -> SumRNN:
    """W_hh = init_scale x a random orthogonal matrix; the rest PyTorch's default."""
    if not math.isfinite(init_scale) or init_scale <= 0:
        raise ValueError(f"init_scale must be positive, got {init_scale!r}")
    torch.manual_seed(seed)
    model = SumRNN(hidden_size)
    with torch.no_grad():
        nn.init.orthogonal_(model.rnn.get_parameter("weight_hh_l0"), gain=init_scale)
    return model


# --8<-- [end:task]


@dataclass
class History:
    """One entry per step that ran; the last one is non-finite if the run diverged."""

    losses: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)  # before clipping
    lrs: list[float] = field(default_factory=list)
    weights: list[torch.Tensor] = field(default_factory=list, repr=False)  # W_hh before the step
    diverged_at: int | None = None

    @property
    def failed_at(self) -> int:
        """diverged_at, for a run known to have diverged."""
        if self.diverged_at is None:
            raise ValueError("this run did not diverge")
        return self.diverged_at

    @functools.cached_property
    def recurrent_norms(self) -> list[float]:
        """||W_hh||_2 before each step (computed once, when first asked for)."""
        if not self.weights:
            return []
        return torch.linalg.matrix_norm(torch.stack(self.weights), 2).tolist()


def check_train_args(lr, steps, clip_norm, clip_value, lr_schedule) -> None:
    """Raise a clear error for arguments train() cannot use."""
    if not isinstance(lr, int | float) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if clip_norm is not None and clip_value is not None:
        raise ValueError("pass at most one of clip_norm and clip_value")
    for name, c in [("clip_norm", clip_norm), ("clip_value", clip_value)]:
        if c is not None and (not isinstance(c, int | float) or not c > 0):
            raise ValueError(f"{name} must be a positive number or None, got {c!r}")
    if lr_schedule is not None and not callable(lr_schedule):
        raise TypeError("lr_schedule must be a function step -> learning-rate multiplier")


# --8<-- [start:train]
def train(
    *,
    lr: float,
    steps: int,
    seed: int = 0,
    clip_norm: float | None = None,
    clip_value: float | None = None,
    lr_schedule: Callable[[int], float] | None = None,
) -> History:
    """Train a fresh model with SGD; stop at the first NaN/Inf (see the docstring)."""
    check_train_args(lr, steps, clip_norm, clip_value, lr_schedule)
    model = make_model(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    data = torch.Generator().manual_seed(seed)
    history = History()
    for step in range(steps):
        step_lr = lr * (lr_schedule(step) if lr_schedule else 1.0)
        for group in optimizer.param_groups:
            group["lr"] = step_lr
        x, y = make_batch(BATCH, SEQ_LEN, data)
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        # The global norm before clipping; max_norm=inf only measures it.
        norm = nn.utils.clip_grad_norm_(model.parameters(), clip_norm or math.inf)
        if clip_value is not None:
            nn.utils.clip_grad_value_(model.parameters(), clip_value)
        history.losses.append(loss.item())
        history.grad_norms.append(norm.item())
        history.lrs.append(step_lr)
        history.weights.append(model.rnn.get_parameter("weight_hh_l0").detach().clone())
        if not (math.isfinite(loss.item()) and math.isfinite(norm.item())):
            history.diverged_at = step
            break
        optimizer.step()
    return history


# --8<-- [end:train]


# --8<-- [start:seeds]
SEEDS = range(10)
SPIKE = 10  # a blow-up is announced by the gradient norm growing this much in three steps


@dataclass
class Outcome:
    """One learning rate over several seeds: how the runs ended."""

    lr: float
    runs: list[History]

    @property
    def diverged(self) -> list[History]:
        return [h for h in self.runs if h.diverged_at is not None]

    @property
    def finite(self) -> list[History]:
        return [h for h in self.runs if h.diverged_at is None]


def mean_loss(h: History, first: bool) -> float:
    """Mean training loss of the first (or last) 20 steps of a run."""
    window = h.losses[:20] if first else h.losses[-20:]
    return statistics.fmean(window)


def jump(h: History) -> float:
    """How much the gradient norm grew over the last three finite steps of a diverged run."""
    last = h.failed_at - 1
    return h.grad_norms[last] / h.grad_norms[max(last - 3, 0)]


# --8<-- [end:seeds]


def report(outcome: Outcome) -> tuple[list[str], dict[str, object]]:
    """Lines for stdout and values for the page's prose, for one learning rate."""
    runs, tag = outcome.runs, "high" if outcome.lr == LR_HIGH else "low"
    n, bad, ok = len(runs), outcome.diverged, outcome.finite
    lines = [f"lr = {outcome.lr}: non-finite within {STEPS} steps in {len(bad)} of {n} seeds"]
    values: dict[str, object] = {f"{tag}_seeds": n, f"{tag}_nonfinite": len(bad)}
    if len(bad) > n // 2:  # the blow-ups: when, from where, how fast
        steps = [h.failed_at for h in bad]
        before = statistics.median(h.recurrent_norms[h.failed_at - 3] for h in bad)
        jumps = [jump(h) for h in bad]
        spikes = sum(j > SPIKE for j in jumps)
        where = "every" if spikes == len(bad) else f"{spikes} of {len(bad)}"
        lines += [
            f"  step of the first NaN/Inf: {median_range(steps, '{:.0f}', label='range ')}",
            f"  ||W_hh||_2 three steps before it: median {before:.2f}",
            f"  in {where} diverging seed the gradient norm grew more than {SPIKE}-fold over "
            "the last three finite steps",
        ]
        values |= {
            f"{tag}_median_step": round(statistics.median(steps)),
            f"{tag}_norm_before": f"{before:.1f}",
        }
    else:  # the survivors: did they learn, and how far did the weights move?
        first = [mean_loss(h, first=True) for h in ok]
        last = [mean_loss(h, first=False) for h in ok]
        largest = [max(h.recurrent_norms) for h in ok]
        moved = [max(lr * g for lr, g in zip(h.lrs, h.grad_norms, strict=True)) for h in ok]
        fell = sum(b < a for a, b in zip(first, last, strict=True))
        lines += [
            f"  mean loss of the first 20 steps: {median_range(first, '{:.2f}', label='range ')}",
            f"  mean loss of the last 20 steps: {median_range(last, '{:.2f}', label='range ')}",
            f"  the last 20 below the first 20 in {fell} of {len(ok)} finite runs",
            f"  largest ||W_hh||_2: {median_range(largest, '{:.2f}', label='range ')}",
            f"  largest step lr*||g||: {median_range(moved, '{:.2f}', label='range ')}",
        ]
        values |= {
            f"{tag}_learned": fell,
            f"{tag}_last20": f"{statistics.median(last):.2f}",
            f"{tag}_last20_max": f"{max(last):.2f}",
            f"{tag}_largest_norm": f"{max(largest):.1f}",
            f"{tag}_largest_step": f"{max(moved):.1f}",
        }
    return lines, values


def example_table(h: History, path: str = "exploding_run_example.md") -> None:
    """The last steps of one diverging run, as a Markdown table (an example, not compared)."""
    rows = ["| step | loss | gradient norm | ‖W_hh‖₂ |", "|---:|---:|---:|---:|"]
    for step in range(h.failed_at - 5, h.failed_at + 1):
        loss, norm, w = h.losses[step], h.grad_norms[step], h.recurrent_norms[step]
        rows.append(f"| {step} | {loss:.2g} | {norm:.2g} | {w:.3g} |")
    Path(path).write_text("\n".join(rows) + "\n", encoding="utf-8")


def plot(outcomes: list[Outcome], path: str = "exploding_run.svg") -> None:
    """Loss and gradient norm per step: every seed faintly, seed 0 bold; NaN marked with x."""
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 5.4))
    for outcome, colour in zip(outcomes, ["C1", "C0"], strict=True):
        for seed, h in enumerate(outcome.runs):
            bold = seed == 0
            # The faint seeds are drawn as pixels: as vector paths, 20 noisy curves exceed the
            # figure budget (tests/test_figures.py).
            style = {"color": colour, "lw": 1.2 if bold else 0.6, "alpha": 1.0 if bold else 0.3}
            style["rasterized"] = not bold
            label = f"lr = {outcome.lr} (seed 0 bold, seeds 1–{len(outcome.runs) - 1} faint)"
            n = len(h.losses) if h.diverged_at is None else h.diverged_at
            top.plot(range(n), h.losses[:n], label=label if bold else None, **style)
            bottom.plot(range(n), h.grad_norms[:n], **style)
            if h.diverged_at is not None:
                for ax, values in [(top, h.losses), (bottom, h.grad_norms)]:
                    ax.plot([n - 1], [values[n - 1]], "x", color=colour, ms=6, alpha=style["alpha"])
    top.set_yscale("log")
    top.set_ylabel("training loss (MSE)")
    top.axhline(1.0, color="0.5", lw=0.8, ls=":")
    top.text(STEPS, 1.0, "answer 0", color="0.4", fontsize="small", ha="right", va="bottom")
    top.legend(loc="upper right", fontsize="small")
    top.set_title("Same model and data; × marks the last finite step before NaN/Inf")
    bottom.set_yscale("log")
    bottom.set_ylabel("gradient norm\n(all parameters)")
    bottom.set_xlabel("training step")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)
