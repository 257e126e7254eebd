"""Input-dependent decay (the selectivity of Mamba, Gu & Dao 2023): keep or erase on purpose.

Task: each step brings a value v_t ~ N(0, 1) and a mark m_t ∈ {0, 1} (marked with
probability 0.1; step 1 always marked). After T steps, output the value at the LATEST
mark. Every earlier marked value must be erased when a new one arrives, and the latest
kept, however long ago it came, while the unmarked values in between are ignored.

One state unit in the form Mamba discretises (zero-order hold, A = 1):

    Δ_t = softplus(w · x_t + b),   a_t = exp(-Δ_t),   h_t = a_t h_{t-1} + (1 - a_t) β v_t,

with x_t = (v_t, m_t) and read-out y = c h_T + d. A large Δ_t gives a_t ≈ 0: forget the
old state, write the new value. A small Δ_t gives a_t ≈ 1: keep, write nothing. Three
models:

* time-invariant: Δ (so a) the same at every step. Whatever the decays, the state is a
  fixed linear summary of the inputs that weighs them by age; the best linear read-out of
  32 such units with time constants 1 to 1000 steps is fitted by least squares.
* selective, set by hand: a_t = 1 - m_t (erase and write at a mark, keep elsewhere).
  The answer is exact, and the gradient says why: dh_T/dh_t = a_{t+1} ... a_T is exactly
  1 back to the latest mark and exactly 0 before it.
* selective, learned: w, b, β, c, d trained by Adam from a small random start, five
  seeds (float64), with the parallel scan of lru.py for the input-dependent a_t.

Run: python selective_decay.py   (imports rnnbook.lru and rnnbook.gradients)
"""

import json
import statistics

import numpy as np
import torch
from torch import nn

from rnnbook.gradients import per_step_grad_norms
from rnnbook.lru import parallel_scan, sequential

T, MARK_PROB = 50, 0.1
TRAIN, TEST = 2048, 2048
TIME_CONSTANTS = np.geomspace(1.0, 1000.0, 32)  # of the time-invariant units, in steps
SEEDS, STEPS, BATCH, LR = (0, 1, 2, 3, 4), 300, 64, 0.05


def check_pairs(x: torch.Tensor) -> None:
    """x must hold (value, mark) pairs: shape (batch, T, 2)."""
    if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[-1] != 2:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must have shape (batch, T, 2): value and mark; got {got}")


# --8<-- [start:task]
def marked_values(rng: np.random.Generator, batch: int, length: int = T):
    """x (batch, T, 2): value v_t and mark m_t; y (batch,): the value at the latest mark."""
    if batch < 1 or length < 1:
        raise ValueError(f"batch and length must be >= 1, got {batch} and {length}")
    values = rng.standard_normal((batch, length))
    marks = (rng.random((batch, length)) < MARK_PROB).astype(np.float64)
    marks[:, 0] = 1.0  # so that every sequence has a mark
    latest = length - 1 - np.argmax(marks[:, ::-1], axis=1)
    x = torch.from_numpy(np.stack([values, marks], axis=-1))
    y = torch.from_numpy(values[np.arange(batch), latest])
    return x, y


# --8<-- [end:task]


# --8<-- [start:models]
def time_invariant_error(rng: np.random.Generator) -> float:
    """Test MSE / Var(y) of the best linear read-out of 32 fixed-decay units (least squares)."""

    def features(x: torch.Tensor) -> np.ndarray:
        a = torch.tensor(np.exp(-1.0 / TIME_CONSTANTS))  # one decay per unit, fixed
        v = x[..., :1].expand(-1, -1, len(a))  # every unit reads the value channel
        m = x[..., 1:].expand(-1, -1, len(a))  # ... and, in a second set, the mark channel
        h = torch.cat([parallel_scan(a, (1 - a) * v), parallel_scan(a, (1 - a) * m)], -1)
        return np.column_stack([h[:, -1].numpy(), np.ones(len(x))])

    (x, y), (x_test, y_test) = marked_values(rng, TRAIN), marked_values(rng, TEST)
    weights, *_ = np.linalg.lstsq(features(x), y.numpy(), rcond=None)
    error = features(x_test) @ weights - y_test.numpy()
    return float(np.mean(error**2) / np.var(y_test.numpy()))


def hand_set_states(x: torch.Tensor) -> list[torch.Tensor]:
    """a_t = 1 - m_t, input (1 - a_t) v_t = m_t v_t: erase and write at a mark, keep elsewhere."""
    check_pairs(x)
    a, v = 1.0 - x[..., 1:], x[..., :1]
    return sequential(a, (1.0 - a) * v)


class Selective(nn.Module):
    """Δ_t = softplus(w·x_t + b), a_t = exp(-Δ_t), h_t = a_t h_{t-1} + (1 - a_t) β v_t."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(0.1 * torch.randn(2, dtype=torch.float64))
        self.b = nn.Parameter(torch.zeros((), dtype=torch.float64))
        self.beta = nn.Parameter(torch.ones((), dtype=torch.float64))
        self.readout = nn.Linear(1, 1).double()

    def decay(self, x: torch.Tensor) -> torch.Tensor:
        """a_t = exp(-softplus(w·x_t + b)), (batch, T, 1): depends on the input at step t."""
        return torch.exp(-nn.functional.softplus(x @ self.w + self.b))[..., None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_pairs(x)
        a = self.decay(x)
        h = parallel_scan(a, (1 - a) * self.beta * x[..., :1])
        return self.readout(h[:, -1])[:, 0]


# --8<-- [end:models]


# --8<-- [start:train]
def train_selective(seed: int) -> tuple[float, float, float]:
    """Adam on fresh batches; test MSE / Var(y), mean a_t at marked and at unmarked steps."""
    torch.manual_seed(seed)
    model, rng = Selective(), np.random.default_rng(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    for _ in range(STEPS):
        x, y = marked_values(rng, BATCH)
        loss = ((model(x) - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    x, y = marked_values(np.random.default_rng(1000 + seed), TEST)
    with torch.no_grad():
        error = (((model(x) - y) ** 2).mean() / y.var()).item()
        a, marked = model.decay(x)[..., 0], x[..., 1] == 1
        return error, a[marked].mean().item(), a[~marked].mean().item()


# --8<-- [end:train]


def gradient_example(seed: int = 7) -> tuple[list[int], torch.Tensor]:
    """Marks of one sequence and ||dh_T/dh_t|| under the hand-set selective rule."""
    x, _ = marked_values(np.random.default_rng(seed), 1, length=20)
    x.requires_grad_()
    states = hand_set_states(x)
    return x[0, :, 1].int().tolist(), per_step_grad_norms(states[-1].sum(), states)


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    x, y = marked_values(rng, TEST)
    print(f"Task: recall the value at the latest mark, T = {T}, mark probability {MARK_PROB}")
    print(f"  Var(y) = {y.var().item():.3f}; predicting 0 scores MSE / Var(y) = 1")

    lti = time_invariant_error(rng)
    print(f"\nTime-invariant decay, 32 units, best linear read-out: MSE / Var(y) = {lti:.3f}")
    hand = hand_set_states(x)[-1][:, 0]
    print(
        f"Selective, set by hand (a_t = 1 - m_t): largest |h_T - y| = {(hand - y).abs().max():.1f}"
    )

    marks, grads = gradient_example()
    print("\nOne sequence, T = 20, hand-set rule: marks and ||dh_T/dh_t||")
    print("  marks:    " + " ".join(f"{m:3d}" for m in marks))
    print("  gradient: " + " ".join(f"{g:3.0f}" for g in grads.tolist()))

    print(f"\nSelective, learned: Adam, lr {LR}, batch {BATCH}, {STEPS} steps, float64")
    runs = [train_selective(seed) for seed in SEEDS]
    for seed, (error, a_marked, a_other) in zip(SEEDS, runs, strict=True):
        print(
            f"  seed {seed}: MSE / Var(y) = {error:.4f}; mean a_t at marks {a_marked:.3f},"
            f" elsewhere {a_other:.4f}"
        )
    errors = [run[0] for run in runs]
    median = statistics.median(errors)
    print(f"  median {median:.4f}, range {min(errors):.4f} to {max(errors):.4f}")
    values = {"lti_error": round(lti, 2), "learned_median": round(median, 3), "seeds": len(SEEDS)}
    with open("selective_decay.json", "w", encoding="utf-8") as f:
        json.dump(values, f, indent=1)
