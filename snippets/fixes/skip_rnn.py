"""Skip connections across time: the state also receives h_{t-m}.

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh + W_skip h_{t-m})     (h_{t-m} = 0 for t <= m)

A gradient from step T can now travel back m steps at a time, through one Jacobian
diag(tanh'(z)) W_skip per hop: the path from T to 1 has about T/m factors instead of
T - 1. Measured: the per-timestep gradient norms at initialisation (one backward pass,
step_grads.py) and training on the vanishing chapter's recall task with the bit 40 steps
back (tanh, PyTorch's default initialisation, SGD at lr = 0.1, clip_grad_norm_ at 1, five
seeds, recall_runs.py).

Run: python skip_rnn.py   (prints the table; writes skip_rnn.svg, skip_rnn_table.md and
skip_rnn.json, the numbers the page quotes)
"""

import json
import statistics

import matplotlib.pyplot as plt
import torch
from torch import nn

from rnnbook import recall, recall_runs
from rnnbook.gradients import per_step_grad_norms

DISTANCE = recall_runs.DISTANCE
LR = 0.1
SKIPS = (None, 5, 10)  # None: the plain RNN
# The plain RNN is not trained here: it is recurrent_init.py's default start (same task,
# rate and clipping), which solves the task on none of its seeds.
TRAINED = (5, 10)
CLIP = 1.0


# --8<-- [start:model]
class SkipRNN(nn.Module):
    """A tanh RNN whose state also receives W_skip h_{t-m}; skip=None is the plain RNN."""

    def __init__(self, input_size: int, hidden_size: int, skip: int | None):
        super().__init__()
        if skip is not None and (isinstance(skip, bool) or not isinstance(skip, int) or skip < 2):
            raise ValueError(f"skip must be an integer >= 2 or None, got {skip!r}")
        self.skip, self.hidden_size = skip, hidden_size
        self.cell = nn.RNNCell(input_size, hidden_size)  # W_ih, b_ih, W_hh, b_hh
        self.w_skip = nn.Linear(hidden_size, hidden_size, bias=False) if skip else None

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """x: (batch, T, input); returns the states [h_1, ..., h_T], each in the graph."""
        c, states = self.cell, []
        inputs = nn.functional.linear(x, c.weight_ih, c.bias_ih)  # W_ih x_t + b_ih, every t
        h = x.new_zeros(x.shape[0], self.hidden_size)
        for t in range(x.shape[1]):
            z = inputs[:, t] + nn.functional.linear(h, c.weight_hh, c.bias_hh)
            if self.skip is not None and t >= self.skip:
                z = z + self.w_skip(states[t - self.skip])  # the shortcut from h_{t-m}
            h = torch.tanh(z)
            states.append(h)
        return states


# --8<-- [end:model]


def make_model(skip: int | None, seed: int = 0) -> tuple[SkipRNN, nn.Linear]:
    """The network and its read-out, PyTorch's default initialisation."""
    torch.manual_seed(seed)
    return SkipRNN(2, recall.HIDDEN, skip), nn.Linear(recall.HIDDEN, 1)


def step_norms(skip: int | None, seed: int = 0) -> torch.Tensor:
    """||dL/dh_t|| / ||dL/dh_T|| at initialisation, for a loss at the last step."""
    model, readout = make_model(skip, seed)
    x, y = recall.remember_first_bit(recall.BATCH, DISTANCE, torch.Generator().manual_seed(seed))
    states = model(x)
    norms = per_step_grad_norms(nn.functional.mse_loss(readout(states[-1]), y), states)
    return norms / norms[-1]


def runs(skip: int | None) -> list[recall_runs.Run]:
    """SGD at lr 0.1 with clip_grad_norm_(1) on the recall task, every seed (recall_runs)."""
    return recall_runs.over_seeds(
        lambda seed: recall_runs.LastState(*make_model(skip, seed)), lr=LR, clip=CLIP
    )


def name(skip: int | None) -> str:
    """How a network is labelled."""
    return "plain RNN" if skip is None else f"skip m = {skip}"


def row(skip: int | None, found: list[recall_runs.Run]) -> list[str]:
    """Table cells: reach at init (median over seeds), how many seeds solve, and when."""
    reach = statistics.median(step_norms(skip, seed)[0].item() for seed in recall_runs.SEEDS)
    return [name(skip), f"{reach:.0e}", *recall_runs.cells(found)]


HEADER = ["network", "R = ‖∂L/∂h₁‖ / ‖∂L/∂h₄₀‖ at init", *recall_runs.CELL_NAMES]


def plot(found: dict[int | None, list[recall_runs.Run]], path: str = "skip_rnn.svg") -> None:
    """Left: per-timestep gradient norms at init (seed 0). Right: training loss, every seed."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.0, 3.3))
    for skip in SKIPS:
        (line,) = left.plot(range(1, DISTANCE + 1), step_norms(skip), label=name(skip))
        for seed, r in enumerate(found.get(skip, [])):
            smooth = [statistics.fmean(r.losses[i : i + 10]) for i in range(0, len(r.losses), 10)]
            right.plot(
                range(5, 10 * len(smooth), 10),
                smooth,
                color=line.get_color(),
                ls=line.get_linestyle(),
                lw=0.8,
                alpha=0.6,
                label=name(skip) if seed == 0 else None,
            )
    left.set_yscale("log")
    left.set_xlabel("time step t")
    left.set_ylabel("‖∂L/∂h_t‖ / ‖∂L/∂h_T‖")
    left.set_title("Gradient reaching step t, at init")
    left.legend(loc="lower right", fontsize="small")
    right.axhline(1.0, color="0.5", lw=0.8, ls=":")
    right.set_yscale("log")
    right.set_xlabel("training step")
    right.set_ylabel("training loss, mean of 10 steps")
    right.set_title(f"Recall a bit {DISTANCE} steps back, {len(recall_runs.SEEDS)} seeds")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    found = {skip: runs(skip) for skip in TRAINED}
    rows = [row(skip, r) for skip, r in found.items()]
    plain = statistics.median(step_norms(None, seed)[0].item() for seed in recall_runs.SEEDS)
    print(
        f"recall a bit {DISTANCE} steps back; tanh; SGD lr {LR:g}, clip {CLIP:g}; seeds "
        f"0-{len(recall_runs.SEEDS) - 1}; at most {recall_runs.STEPS} steps"
    )
    print(f"plain RNN: R = {plain:.0e} at init (trained in recurrent_init.py, default start)")
    print(" | ".join(HEADER))
    for r in rows:
        print(" | ".join(r))
    with open("skip_rnn_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    values = {
        f"skip{skip}_solved": sum(r.solved_at is not None for r in runs_)
        for skip, runs_ in found.items()
    }
    values |= {"seeds": len(recall_runs.SEEDS), "plain_ratio": f"{plain:.0e}"}
    with open("skip_rnn.json", "w", encoding="utf-8") as out:
        json.dump(values, out, indent=1)
    plot(found)
# --8<-- [end:main]
