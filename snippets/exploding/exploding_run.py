"""A real exploding gradient: a small ReLU RNN, plain SGD, and a learning rate one notch too high.

The task: read T = 20 numbers x_t ~ N(0, 1) and output their sum divided by sqrt(T) (a
target of variance 1, so always answering 0 scores a mean squared error of 1). The model:
a one-layer ReLU nn.RNN with 64 units, its recurrent matrix initialised to 1.1 times a
random orthogonal matrix (every singular value 1.1, just past the edge between vanishing
and exploding), and a linear read-out of the last state. At lr = 0.1 the run blows up to NaN; at lr = 0.01 it stays finite.

API (the chapter on fixes reuses it):
    make_batch(batch_size, seq_len, generator) -> (x, y)
        x: (batch, T, 1), y: (batch, 1); the data of every step comes from `generator`.
    make_model(seed=0, hidden_size=HIDDEN, init_scale=INIT_SCALE) -> SumRNN
        SumRNN.rnn is the nn.RNN (batch-first), SumRNN.readout the nn.Linear.
    train(*, lr, steps, seed=0, clip_norm=None, clip_value=None, lr_schedule=None) -> History
        Plain SGD on fresh batches. Per step it records the loss, the global L2 norm of the
        gradient over all parameters BEFORE any clipping (exactly what
        torch.nn.utils.clip_grad_norm_ returns), the learning rate used and ||W_hh||_2.
        clip_norm / clip_value: clip by global norm / by value (at most one of them).
        lr_schedule: a function step -> multiplier; the step's learning rate is lr * it.
        The run stops cleanly at the first non-finite loss or gradient norm: that step is
        recorded (its NaN/Inf included), no update is applied, and History.diverged_at is
        its index. Otherwise it runs all `steps` and diverged_at is None.

Run: python exploding_run.py   (prints the table, writes exploding_run.svg; about 3 s)
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import torch
from torch import nn

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
        nn.init.orthogonal_(model.rnn.weight_hh_l0, gain=init_scale)
    return model


# --8<-- [end:task]


@dataclass
class History:
    """One entry per step that ran; the last one is non-finite if the run diverged."""

    losses: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)  # before clipping
    lrs: list[float] = field(default_factory=list)
    recurrent_norms: list[float] = field(default_factory=list)  # ||W_hh||_2 before the step
    diverged_at: int | None = None


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
        W_hh = model.rnn.weight_hh_l0
        history.recurrent_norms.append(torch.linalg.matrix_norm(W_hh, 2).item())
        if not (math.isfinite(loss.item()) and math.isfinite(norm.item())):
            history.diverged_at = step
            break
        optimizer.step()
    return history


# --8<-- [end:train]


def plot(runs: dict[str, History], path: str = "exploding_run.svg") -> None:
    """Loss and gradient norm per step, log scale, one colour per run; NaN marked with x."""
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 5.2))
    for (label, h), colour in zip(runs.items(), ["C1", "C0"], strict=True):
        steps = range(len(h.losses))
        top.plot(steps, h.losses, color=colour, lw=1.0, label=label)
        bottom.plot(steps, h.grad_norms, color=colour, lw=1.0, label=label)
        if h.diverged_at is not None:
            last = h.diverged_at - 1  # the last finite step, just before the NaN
            for ax, values in [(top, h.losses), (bottom, h.grad_norms)]:
                ax.plot([last], [values[last]], "x", color=colour, ms=9, mew=2)
                ax.annotate(
                    f"NaN at step {h.diverged_at}",
                    (last, values[last]),
                    xytext=(8, -4),
                    textcoords="offset points",
                    color=colour,
                    fontsize="small",
                )
    top.set_yscale("log")
    top.set_ylabel("training loss (MSE)")
    top.axhline(1.0, color="0.5", lw=0.8, ls=":")
    top.text(STEPS, 1.0, "answer 0", color="0.4", fontsize="small", ha="right", va="bottom")
    top.legend(loc="upper right")
    top.set_title("Same model, same data: only the learning rate differs")
    bottom.set_yscale("log")
    bottom.set_ylabel("gradient norm\n(all parameters)")
    bottom.set_xlabel("training step")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def summary(label: str, h: History) -> str:
    """A few lines per run: how it ended, and its largest gradient and step."""
    if h.diverged_at is None:
        end = f"finite after {len(h.losses)} steps"
    else:
        loss, norm = h.losses[-1], h.grad_norms[-1]
        end = f"non-finite at step {h.diverged_at} (loss {loss:.3g}, gradient norm {norm:.3g})"
    means = f"mean loss, first 20 steps: {sum(h.losses[:20]) / len(h.losses[:20]):.2f}"
    if h.diverged_at is None:
        means += f"; last 20 steps: {sum(h.losses[-20:]) / len(h.losses[-20:]):.2f}"
    pairs = [(lr, g) for lr, g in zip(h.lrs, h.grad_norms, strict=True) if math.isfinite(g)]
    largest = max(g for _, g in pairs)
    step = max(lr * g for lr, g in pairs)
    return (
        f"{label}: {end}\n  {means}\n"
        f"  largest finite gradient norm {largest:.1e}, largest step lr*||g|| {step:.1e}\n"
        f"  ||W_hh||_2 from {h.recurrent_norms[0]:.2f} to {max(h.recurrent_norms):.3g}"
    )


# --8<-- [start:main]
OTHER_SEEDS = range(1, 8)

if __name__ == "__main__":
    torch.set_num_threads(1)
    runs = {
        f"lr = {LR_HIGH}": train(lr=LR_HIGH, steps=STEPS),
        f"lr = {LR_LOW}": train(lr=LR_LOW, steps=STEPS),
    }
    for label, history in runs.items():
        print(summary(label, history))
    fast = runs[f"lr = {LR_HIGH}"]
    blowup = fast.diverged_at
    print(f"\nThe last steps of the lr = {LR_HIGH} run:")
    print("step     loss  grad norm  ||W_hh||_2")
    for step in range(blowup - 5, blowup + 1):
        loss, norm = fast.losses[step], fast.grad_norms[step]
        print(f"{step:4d}  {loss:7.2g}  {norm:9.2g}  {fast.recurrent_norms[step]:10.3g}")
    ends = [train(lr=LR_HIGH, steps=STEPS, seed=s).diverged_at for s in OTHER_SEEDS]
    print(f"\nlr = {LR_HIGH}, seeds 1-7: non-finite at step", ", ".join(map(str, ends)))
    print("(None: still finite after", STEPS, "steps)")
    plot(runs)
# --8<-- [end:main]
