"""ReLU and LeakyReLU recurrences, and what they trade against tanh.

nn.RNN offers only nonlinearity="tanh" or "relu"; a LeakyReLU recurrence needs a small cell
of its own (LeakyRNNCell below, checked against nn.RNN with relu at slope 0).

The comparison: the vanishing chapter's recall task with the bit 40 steps back, every
network started the same way (W_hh = I, zero biases, input weights ~ N(0, 0.01^2), the
IRNN recipe of Le, Jaitly & Hinton 2015), only the activation differs. Measured: how much
gradient reaches step 1 at initialisation; the same with W_hh = 1.2 I, a recurrence a
little above 1 such as training can drift into, with the size of the last state; and
training with clip_grad_norm_(1) at lr = 0.01 over five seeds (recall_runs.py: how often
the clip fires, how many seeds solve the task). The values at initialisation are medians
over the same seeds.

Run: python activations.py   (prints the table; writes activations.svg,
activations_table.md and activations.json, the numbers the page quotes)
"""

import json
import statistics
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.nn import functional as F

from rnnbook import recall, recall_runs
from rnnbook.gradients import per_step_grad_norms, unroll

DISTANCE = recall_runs.DISTANCE
LEAKY_SLOPE = 0.1
LR, CLIP = 0.01, 1.0
INPUT_STD = 0.01
DRIFT = 1.2  # W_hh = DRIFT x I for the explosion-risk columns


# --8<-- [start:cell]
class LeakyRNNCell(nn.RNNCell):
    """h' = leaky_relu(W_ih x + b_ih + W_hh h + b_hh); an nn.RNNCell with another activation."""

    def __init__(self, input_size: int, hidden_size: int, negative_slope: float = 0.01):
        if not 0 <= negative_slope <= 1:
            raise ValueError(f"negative_slope must be in [0, 1], got {negative_slope!r}")
        super().__init__(input_size, hidden_size, nonlinearity="relu")
        self.negative_slope = negative_slope

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        z = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        return F.leaky_relu(z, self.negative_slope)


# --8<-- [end:cell]

CELLS: dict[str, Callable[[], nn.RNNCell]] = {
    "tanh": lambda: nn.RNNCell(2, recall.HIDDEN, nonlinearity="tanh"),
    "ReLU": lambda: nn.RNNCell(2, recall.HIDDEN, nonlinearity="relu"),
    f"LeakyReLU({LEAKY_SLOPE:g})": lambda: LeakyRNNCell(2, recall.HIDDEN, LEAKY_SLOPE),
}


def make_model(activation: str, seed: int = 0, scale: float = 1.0) -> tuple[nn.RNNCell, nn.Linear]:
    """A cell started at W_hh = scale x I (zero biases, small input weights), and a read-out."""
    torch.manual_seed(seed)
    cell, readout = CELLS[activation](), nn.Linear(recall.HIDDEN, 1)
    with torch.no_grad():
        nn.init.eye_(cell.weight_hh).mul_(scale)
        nn.init.zeros_(cell.bias_hh)
        nn.init.zeros_(cell.bias_ih)
        nn.init.normal_(cell.weight_ih, std=INPUT_STD)
    return cell, readout


def at_init(activation: str, scale: float = 1.0, seed: int = 0) -> tuple[float, float]:
    """||dL/dh_1|| / ||dL/dh_T|| and the RMS of ||h_T|| over the batch, at initialisation."""
    cell, readout = make_model(activation, seed, scale)
    x, y = recall.remember_first_bit(recall.BATCH, DISTANCE, torch.Generator().manual_seed(seed))
    states = unroll(cell, x)
    norms = per_step_grad_norms(nn.functional.mse_loss(readout(states[-1]), y), states)
    return (norms[0] / norms[-1]).item(), states[-1].norm(dim=1).pow(2).mean().sqrt().item()


def state_norms(activation: str, scale: float, seed: int = 0) -> list[float]:
    """RMS of ||h_t|| over the batch for t = 1..T, at initialisation."""
    cell, _ = make_model(activation, seed, scale)
    x, _ = recall.remember_first_bit(recall.BATCH, DISTANCE, torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return [h.norm(dim=1).pow(2).mean().sqrt().item() for h in unroll(cell, x)]


def runs(activation: str) -> list[recall_runs.Run]:
    """Training from W_hh = I on every seed, clip_grad_norm_(1) at lr 0.01 (recall_runs)."""

    def make(seed: int) -> recall_runs.LastState:
        cell, readout = make_model(activation, seed)
        return recall_runs.LastState(recall_runs.Unrolled(cell), readout)

    return recall_runs.over_seeds(make, lr=LR, clip=CLIP)


def row(activation: str, found: list[recall_runs.Run]) -> list[str]:
    """Table cells: gradient reach at W_hh = I and 1.2 I, last state, clipped training."""
    at_identity = [at_init(activation, seed=seed) for seed in recall_runs.SEEDS]
    drifted = [at_init(activation, DRIFT, seed) for seed in recall_runs.SEEDS]
    clipped = [r.clipped / len(r.losses) for r in found]
    finals = [r.final for r in found]
    solved = sum(r.solved_at is not None for r in found)
    return [
        activation,
        f"{statistics.median(a for a, _ in at_identity):.2f}",
        f"{statistics.median(a for a, _ in drifted):.2g}",
        f"{statistics.median(s for _, s in drifted):.3g}",
        f"{statistics.median(clipped):.0%}",
        f"{solved} of {len(found)} (median loss {statistics.median(finals):.3f})",
    ]


HEADER = [
    "activation",
    "R, W_hh = I",
    f"R, W_hh = {DRIFT:g} I",
    f"‖h₄₀‖, W_hh = {DRIFT:g} I",
    "steps clipped in training",
    "solved",
]


def plot(found: dict[str, list[recall_runs.Run]], path: str = "activations.svg") -> None:
    """Left: state size over time at W_hh = 1.2 I. Right: training loss, every seed."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.0, 3.3))
    for activation, runs_ in found.items():
        (line,) = left.plot(
            range(1, DISTANCE + 1), state_norms(activation, DRIFT), label=activation
        )
        for seed, r in enumerate(runs_):
            smooth = [statistics.fmean(r.losses[i : i + 10]) for i in range(0, len(r.losses), 10)]
            right.plot(
                range(5, 10 * len(smooth), 10),
                smooth,
                color=line.get_color(),
                ls=line.get_linestyle(),
                lw=0.8,
                alpha=0.6,
                label=activation if seed == 0 else None,
            )
    left.set_yscale("log")
    left.set_xlabel("time step t")
    left.set_ylabel("‖h_t‖ (RMS over the batch)")
    left.set_title(f"State size at init, W_hh = {DRIFT:g} I")
    left.legend(loc="upper left", fontsize="small")
    right.axhline(1.0, color="0.5", lw=0.8, ls=":")
    right.set_yscale("log")
    right.set_ylabel("training loss, mean of 10 steps")
    right.set_xlabel("training step")
    right.set_title(f"From W_hh = I, lr {LR:g}, clip {CLIP:g}, {len(recall_runs.SEEDS)} seeds")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    found = {a: runs(a) for a in CELLS}
    rows = [row(a, r) for a, r in found.items()]
    print(
        f"recall a bit {DISTANCE} steps back; W_hh = I; SGD lr {LR:g}, clip {CLIP:g}; seeds "
        f"0-{len(recall_runs.SEEDS) - 1}; R = ‖∂L/∂h₁‖ / ‖∂L/∂h₄₀‖ at init (median over the seeds)"
    )
    print(" | ".join(HEADER))
    for r in rows:
        print(" | ".join(r))
    with open("activations_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    values = {
        f"{key}_solved": sum(r.solved_at is not None for r in found[a])
        for key, a in zip(("tanh", "relu", "leaky"), CELLS, strict=True)
    }
    values["seeds"] = len(recall_runs.SEEDS)
    with open("activations.json", "w", encoding="utf-8") as out:
        json.dump(values, out, indent=1)
    plot(found)
# --8<-- [end:main]
