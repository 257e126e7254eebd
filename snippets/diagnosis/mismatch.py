"""Training loss can look fine while the long-range part of the task fails.

The task: a stream of T random bits +-1. At every step t >= 2 the network must output the
previous bit x_{t-1} (a one-step memory: short range), except at the last step, marked by a
query flag, where it must output the FIRST bit x_1 (long range). The loss is the mean
squared error over all T - 1 targets, so the long-range target carries 1/(T - 1) of it.
Answering 0 everywhere scores 1. The model: a tanh nn.RNN with 32 units at PyTorch's
default initialisation, Adam at lr = 0.01.

Run: python mismatch.py   (prints the table, writes mismatch.svg and mismatch_table.md)
"""

import matplotlib.pyplot as plt
import torch
from step_grads import cell_from_rnn, per_step_grad_norms, unroll
from torch import nn

LENGTHS = (10, 30)
STEPS, BATCH, HIDDEN, LR = 400, 32, 32, 0.01
EVAL_BATCH, EVAL_EVERY = 1000, 20


# --8<-- [start:task]
def short_and_long(
    batch_size: int, seq_len: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """x: (batch, T, 2), bits and a query flag at t = T; y: (batch, T), y_t = x_{t-1}, y_T = x_1."""
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 3:
        raise ValueError(f"seq_len must be an integer >= 3, got {seq_len!r}")
    bits = torch.randint(0, 2, (batch_size, seq_len), generator=generator).float() * 2 - 1
    x = torch.zeros(batch_size, seq_len, 2)
    x[:, :, 0] = bits
    x[:, -1, 1] = 1.0  # the query: "now give me the first bit"
    y = torch.zeros(batch_size, seq_len)
    y[:, 1:] = bits[:, :-1]  # short range: the previous bit
    y[:, -1] = bits[:, 0]  # long range: the first bit
    return x, y


# --8<-- [end:task]


class Tagger(nn.Module):
    """A tanh RNN with a linear read-out at every step."""

    def __init__(self, hidden_size: int = HIDDEN):
        super().__init__()
        self.rnn = nn.RNN(2, hidden_size, batch_first=True)
        self.readout = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.rnn(x)
        return self.readout(states).squeeze(-1)


# --8<-- [start:evaluate]
def errors(model: Tagger, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """Training loss, and the error and accuracy of short- and long-range targets separately."""
    with torch.no_grad():
        out = model(x)[:, 1:]  # predictions for the targets at t = 2..T
    sq, right = (out - y[:, 1:]) ** 2, (out.sign() == y[:, 1:]).float()
    return {
        "loss": sq.mean().item(),  # what training minimises
        "short": sq[:, :-1].mean().item(),
        "long": sq[:, -1].mean().item(),
        "short_acc": right[:, :-1].mean().item(),
        "long_acc": right[:, -1].mean().item(),
    }


# --8<-- [end:evaluate]


def train(seq_len: int, steps: int = STEPS, seed: int = 0) -> tuple[Tagger, list[dict]]:
    """Adam on fresh batches; every EVAL_EVERY steps, the errors on a fixed test batch."""
    torch.manual_seed(seed)
    model = Tagger()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    data = torch.Generator().manual_seed(seed)
    test = short_and_long(EVAL_BATCH, seq_len, torch.Generator().manual_seed(1000 + seed))
    curve = []
    for step in range(steps + 1):
        if step % EVAL_EVERY == 0:
            curve.append({"step": step, **errors(model, *test)})
        if step == steps:
            break
        x, y = short_and_long(BATCH, seq_len, data)
        loss = nn.functional.mse_loss(model(x)[:, 1:], y[:, 1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model, curve


# --8<-- [start:probe]
def probe_ratios(model: Tagger, seq_len: int, seed: int = 0) -> tuple[float, float]:
    """||dL/dh_1|| / ||dL/dh_T|| for the training loss, and for the long-range loss alone."""
    x, y = short_and_long(BATCH, seq_len, torch.Generator().manual_seed(2000 + seed))
    states = unroll(cell_from_rnn(model.rnn), x)
    out = model.readout(torch.stack(states, dim=1)).squeeze(-1)
    whole = nn.functional.mse_loss(out[:, 1:], y[:, 1:])
    long_only = nn.functional.mse_loss(out[:, -1], y[:, -1])
    ratios = []
    for loss in (whole, long_only):
        norms = per_step_grad_norms(loss, states)
        ratios.append((norms[0] / norms[-1]).item())
    return ratios[0], ratios[1]


# --8<-- [end:probe]

HEADER = [
    "T",
    "training loss",
    "short-range error",
    "long-range error",
    "long-range accuracy",
    "early/late, training loss",
    "early/late, long-range loss",
]


def row(seq_len: int, model: Tagger, curve: list[dict]) -> list[str]:
    """The final evaluation and the two probe ratios as table cells."""
    end, (whole, long_only) = curve[-1], probe_ratios(model, seq_len)
    return [
        str(seq_len),
        f"{end['loss']:.3f}",
        f"{end['short']:.3f}",
        f"{end['long']:.2f}",
        f"{end['long_acc']:.0%}",
        f"{whole:.1e}",
        f"{long_only:.1e}",
    ]


def plot(curves: dict[int, list[dict]], path: str = "mismatch.svg") -> None:
    """Training loss and long-range error against step, one colour per T."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for (T, curve), colour in zip(curves.items(), ["C0", "C1"], strict=True):
        steps = [c["step"] for c in curve]
        ax.plot(
            steps,
            [c["loss"] for c in curve],
            color=colour,
            ls="-",
            label=f"T = {T}: training loss (all targets)",
        )
        ax.plot(
            steps,
            [c["long"] for c in curve],
            color=colour,
            ls="--",
            label=f"T = {T}: error on the long-range target",
        )
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("mean squared error, test batch")
    ax.set_title("The training loss hides the long-range target")
    ax.legend(loc="lower left", fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    results = {T: train(T) for T in LENGTHS}
    rows = [row(T, model, curve) for T, (model, curve) in results.items()]
    print("answering 0 scores 1 on every target; chance accuracy is 50%")
    for r in rows:
        print(", ".join(f"{h}: {v}" for h, v in zip(HEADER, r, strict=True)))
    with open("mismatch_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    plot({T: curve for T, (_, curve) in results.items()})
# --8<-- [end:main]
