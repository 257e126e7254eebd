"""Training loss can look fine while the long-range part of the task fails.

The task: a stream of T random bits +-1. At every step t >= 2 the network must output the
previous bit x_{t-1} (a one-step memory: short range), except at the last step, marked by a
query flag, where it must output the FIRST bit x_1 (long range). The loss is the mean
squared error over all T - 1 targets, so the long-range target carries 1/(T - 1) of it.
Answering 0 everywhere scores 1. The model: a tanh nn.RNN with 32 units at PyTorch's
default initialisation, Adam at lr = 0.01, seeds 0-4 (weights and data).

Run: python mismatch.py   (prints the table; writes mismatch.svg, mismatch_table.md and
mismatch.json)
"""

import json

import matplotlib.pyplot as plt
import torch
from torch import nn

from rnnbook.monitor import VANISHING_RATIO, GradMonitor
from rnnbook.report import median_range

LENGTHS = (10, 30)
SEEDS = range(5)
STEPS, BATCH, HIDDEN, LR = 300, 32, 32, 0.01
EVAL_BATCH, EVAL_EVERY = 500, 50


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
    """||dL/dh_1|| / ||dL/dh_T|| for the training loss, and for the long-range loss alone.

    One probe batch, one forward and backward per loss, no optimizer step."""
    x, y = short_and_long(BATCH, seq_len, torch.Generator().manual_seed(2000 + seed))
    ratios = []
    for targets in (slice(1, None), -1):  # all targets t = 2..T; the last one alone
        monitor = GradMonitor(model)
        with monitor.probe():
            out = model(x)
        loss = nn.functional.mse_loss(out[:, targets], y[:, targets])
        loss.backward()
        monitor.record(loss)
        model.zero_grad()
        norms = monitor.probes[0]
        ratios.append((norms[0] / norms[-1]).item())
    return ratios[0], ratios[1]


# --8<-- [end:probe]


def summarise(seq_len: int, results: list[tuple[Tagger, list[dict]]]) -> dict[str, object]:
    """Final test errors and probe ratios over the seeds, for one length T."""
    ends = [curve[-1] for _, curve in results]
    probes = [
        probe_ratios(model, seq_len, seed) for seed, (model, _) in zip(SEEDS, results, strict=True)
    ]
    whole, long_only = [w for w, _ in probes], [v for _, v in probes]
    return {
        "loss": median_range([e["loss"] for e in ends], "{:.3f}"),
        "short": median_range([e["short"] for e in ends], "{:.3f}"),
        "long": median_range([e["long"] for e in ends], "{:.2f}"),
        "long_acc": median_range([100 * e["long_acc"] for e in ends], "{:.0f}%"),
        "long_learned": sum(e["long_acc"] > 0.9 for e in ends),
        "long_chance": sum(0.4 < e["long_acc"] < 0.6 for e in ends),
        "short_learned": sum(e["short_acc"] > 0.99 for e in ends),
        "ratio_whole": median_range(whole, "{:.0e}"),
        "ratio_long": median_range(long_only, "{:.0e}"),
        "whole_above": sum(r > VANISHING_RATIO for r in whole),
        "long_below": sum(r < VANISHING_RATIO for r in long_only),
        "gap": median_range([w / v for w, v in zip(whole, long_only, strict=True)], "{:.0e}"),
    }


HEADER = [
    "T",
    "training loss",
    "short-range error",
    "long-range error",
    "long-range accuracy",
    "early/late, training loss",
    "early/late, long-range loss",
]
COLUMNS = ["loss", "short", "long", "long_acc", "ratio_whole", "ratio_long"]


def plot(curves: dict[int, list[list[dict]]], path: str = "mismatch.svg") -> None:
    """Training loss and long-range error against step, every seed, one colour per T."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for (T, runs), colour in zip(curves.items(), ["C0", "C1"], strict=True):
        for i, curve in enumerate(runs):
            steps = [c["step"] for c in curve]
            first = i == 0
            ax.plot(
                steps,
                [c["loss"] for c in curve],
                color=colour,
                ls="-",
                lw=1,
                alpha=0.7,
                label=f"T = {T}: training loss (all targets)" if first else None,
            )
            ax.plot(
                steps,
                [c["long"] for c in curve],
                color=colour,
                ls="--",
                lw=1,
                alpha=0.7,
                label=f"T = {T}: error on the long-range target" if first else None,
            )
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("mean squared error, test batch")
    ax.set_title(f"The training loss hides the long-range target ({len(SEEDS)} seeds each)")
    ax.legend(loc="lower left", fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    results = {T: [train(T, seed=seed) for seed in SEEDS] for T in LENGTHS}
    summaries = {T: summarise(T, runs) for T, runs in results.items()}
    print("answering 0 scores 1 on every target; chance accuracy is 50%")
    print(f"after {STEPS} steps, seeds {SEEDS.start}-{SEEDS.stop - 1}: median (range)")
    rows = [[str(T)] + [str(v[c]) for c in COLUMNS] for T, v in summaries.items()]
    for r in rows:
        print(", ".join(f"{h}: {v}" for h, v in zip(HEADER, r, strict=True)))
    for T, v in summaries.items():
        print(
            f"T = {T}: long-range target learned (accuracy > 90%) in {v['long_learned']} of "
            f"{len(SEEDS)} seeds, at chance (40-60%) in {v['long_chance']}; probe ratio above "
            f"{VANISHING_RATIO:g} with the training loss in {v['whole_above']}, below it with "
            f"the long-range loss in {v['long_below']}"
        )
    with open("mismatch_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    values = {"seeds": len(SEEDS), "steps": STEPS}
    values |= {f"{key}_{T}": v[key] for T, v in summaries.items() for key in v}
    with open("mismatch.json", "w", encoding="utf-8") as out:
        json.dump(values, out, indent=1, ensure_ascii=False)
        out.write("\n")
    plot({T: [curve for _, curve in runs] for T, runs in results.items()})
# --8<-- [end:main]
