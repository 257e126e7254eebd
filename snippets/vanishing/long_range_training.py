"""What a vanishing gradient looks like in training: the loss stays at the baseline.

The task: a bit b = +-1 arrives at the first step, then T - 1 steps of noise; at the last
step the network must output b. Answering 0 scores a mean squared error of exactly 1,
the baseline. The model: a tanh nn.RNN with 32 units at PyTorch's default initialisation,
a linear read-out of the last state, plain SGD. Only the distance T changes.

Run: python long_range_training.py   (prints the table, writes long_range_training.svg)
"""

import matplotlib.pyplot as plt
import torch
from step_grads import cell_from_rnn, per_step_grad_norms, unroll
from torch import nn

DISTANCES = (5, 10, 20, 40)
STEPS, BATCH, HIDDEN, LR = 300, 32, 32, 0.1


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
    """||dL/dh_1|| / ||dL/dh_T|| at initialisation, from one backward pass."""
    rnn, readout = make_model(seed)
    x, y = remember_first_bit(BATCH, seq_len, torch.Generator().manual_seed(seed))
    states = unroll(cell_from_rnn(rnn), x)
    norms = per_step_grad_norms(nn.functional.mse_loss(readout(states[-1]), y), states)
    return (norms[0] / norms[-1]).item()


# --8<-- [start:train]
def train(seq_len: int, steps: int = STEPS, seed: int = 0) -> list[float]:
    """Plain SGD on fresh batches; the loss of every step."""
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
    return losses


# --8<-- [end:train]


def window_means(losses: list[float], width: int = 50) -> list[float]:
    """Mean loss over consecutive windows of `width` steps."""
    return [sum(losses[i : i + width]) / width for i in range(0, len(losses), width)]


def plot(curves: dict[int, list[float]], path: str = "long_range_training.svg") -> None:
    """Training loss (mean of 10 steps) against step, one line per distance T."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for T, losses in curves.items():
        smooth = [sum(losses[i : i + 10]) / 10 for i in range(0, len(losses), 10)]
        ax.plot(range(5, len(losses), 10), smooth, label=f"T = {T}")
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.text(STEPS, 0.9, "answer 0", color="0.4", fontsize="small", ha="right", va="top")
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("training loss, mean of 10 steps")
    ax.set_title("Recall a bit seen T steps ago (tanh RNN, SGD, lr = 0.1)")
    ax.legend(loc="lower left")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    curves = {T: train(T) for T in DISTANCES}
    print("Mean training loss over steps 1-50, 51-100, ..., 251-300")
    print("(answering 0 scores 1.00); last column: ||dL/dh_1|| / ||dL/dh_T|| at init")
    for T, losses in curves.items():
        ratio = early_to_late_ratio(T)
        means = " ".join(f"{m:.2f}" for m in window_means(losses))
        print(f"T = {T:2d}: {means}   {ratio:.0e}")
    plot(curves)
# --8<-- [end:main]
