"""Skip connections across time: the state also receives h_{t-k}.

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh + W_skip h_{t-k})     (h_{t-k} = 0 for t <= k)

A gradient from step T can now travel back k steps at a time, through one Jacobian
diag(tanh'(z)) W_skip per hop: the path from T to 1 has about T/k factors instead of
T - 1. Measured: the per-timestep gradient norms at initialisation (one backward pass,
step_grads.py) and training on the vanishing chapter's recall task with the bit 40 steps
back (tanh, PyTorch's default initialisation, SGD at lr = 0.1, clip_grad_norm_ at 1, seed 0).

Run: python skip_rnn.py   (prints the table, writes skip_rnn.svg and skip_rnn_table.md;
needs long_range_training.py and step_grads.py beside it)
"""

import statistics

import long_range_training as lrt
import matplotlib.pyplot as plt
import torch
from step_grads import per_step_grad_norms
from torch import nn

DISTANCE = 40
SKIPS = (None, 5, 10)  # None: the plain RNN
CLIP = 1.0


# --8<-- [start:model]
class SkipRNN(nn.Module):
    """A tanh RNN whose state also receives W_skip h_{t-k}; skip=None is the plain RNN."""

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
                z = z + self.w_skip(states[t - self.skip])  # the shortcut from h_{t-k}
            h = torch.tanh(z)
            states.append(h)
        return states


# --8<-- [end:model]


def make_model(skip: int | None, seed: int = 0) -> tuple[SkipRNN, nn.Linear]:
    """The network and its read-out, PyTorch's default initialisation."""
    torch.manual_seed(seed)
    return SkipRNN(2, lrt.HIDDEN, skip), nn.Linear(lrt.HIDDEN, 1)


def step_norms(skip: int | None, seed: int = 0) -> torch.Tensor:
    """||dL/dh_t|| / ||dL/dh_T|| at initialisation, for a loss at the last step."""
    model, readout = make_model(skip, seed)
    x, y = lrt.remember_first_bit(lrt.BATCH, DISTANCE, torch.Generator().manual_seed(seed))
    states = model(x)
    norms = per_step_grad_norms(nn.functional.mse_loss(readout(states[-1]), y), states)
    return norms / norms[-1]


def train(skip: int | None, steps: int = lrt.STEPS, seed: int = 0) -> list[float]:
    """SGD with clip_grad_norm_ on the recall task; the loss of every step."""
    model, readout = make_model(skip, seed)
    params = [*model.parameters(), *readout.parameters()]
    optimizer = torch.optim.SGD(params, lr=lrt.LR)
    data = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        x, y = lrt.remember_first_bit(lrt.BATCH, DISTANCE, data)
        loss = nn.functional.mse_loss(readout(model(x)[-1]), y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, CLIP)
        optimizer.step()
        losses.append(loss.item())
    return losses


def name(skip: int | None) -> str:
    """How a network is labelled."""
    return "plain RNN" if skip is None else f"skip k = {skip}"


def row(skip: int | None, losses: list[float]) -> list[str]:
    """Table cells: reach at init, mean loss of the first and the last 50 steps."""
    first, last = statistics.fmean(losses[:50]), statistics.fmean(losses[-50:])
    return [name(skip), f"{step_norms(skip)[0]:.1e}", f"{first:.3f}", f"{last:.3f}"]


HEADER = ["network", "‖∂L/∂h₁‖ / ‖∂L/∂h₄₀‖ at init", "loss, steps 1-50", "last-50 loss"]


def plot(curves: dict[int | None, list[float]], path: str = "skip_rnn.svg") -> None:
    """Left: per-timestep gradient norms at init. Right: training loss."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.0, 3.3))
    for skip, losses in curves.items():
        (line,) = left.plot(range(1, DISTANCE + 1), step_norms(skip), label=name(skip))
        smooth = [statistics.fmean(losses[i : i + 10]) for i in range(0, len(losses), 10)]
        right.plot(
            range(5, 10 * len(smooth), 10),
            smooth,
            color=line.get_color(),
            ls=line.get_linestyle(),
            label=name(skip),
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
    right.set_title(f"Recall a bit {DISTANCE} steps back")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    curves = {skip: train(skip) for skip in SKIPS}
    rows = [
        [
            name(skip),
            f"{step_norms(skip)[0]:.1e}",
            f"{statistics.fmean(losses[:50]):.3f}",
            f"{statistics.fmean(losses[-50:]):.3f}",
        ]
        for skip, losses in curves.items()
    ]
    print(f"recall a bit {DISTANCE} steps back; tanh; SGD lr {lrt.LR:g}, clip {CLIP:g}; seed 0")
    for r in rows:
        print(" | ".join(f"{h}: {v}" for h, v in zip(HEADER, r, strict=True)))
    with open("skip_rnn_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    plot(curves)
# --8<-- [end:main]
