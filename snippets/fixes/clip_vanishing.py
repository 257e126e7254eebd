"""Clipping does nothing for a vanishing gradient.

The vanishing-gradients chapter's recall task (a bit at step 1, noise after it, recall the
bit at step T = 40; tanh RNN, PyTorch's default initialisation, SGD at lr = 0.1), trained
exactly as there, without clipping and with clip_grad_norm_ at 5, 1 and 0.01.

Which part of the gradient carries the long-range signal is known exactly here: the bit
enters only at step 1, through column 0 of W_ih, so the gradient of that column is the
step-1 contribution and nothing else. Clipping multiplies every component by the same
factor, so the share of the gradient that column holds cannot change.

Run: python clip_vanishing.py   (prints the table, writes clip_vanishing.svg and
clip_vanishing_table.md; needs long_range_training.py and step_grads.py beside it)
"""

import statistics

import long_range_training as lrt
import matplotlib.pyplot as plt
import torch
from torch import nn

DISTANCE = 40
THRESHOLDS = (None, 5.0, 1.0, 0.01)


# --8<-- [start:train]
def step1_share(rnn: nn.RNN, params: list[nn.Parameter]) -> float:
    """||gradient of W_ih's bit column|| / ||whole gradient||: the step-1 part's share."""
    bit = rnn.weight_ih_l0.grad[:, 0]  # the bit enters only at step 1, only through this column
    return (bit.norm() / nn.utils.get_total_norm([p.grad for p in params])).item()


def train(max_norm: float | None, steps: int = lrt.STEPS, seed: int = 0) -> dict[str, list]:
    """The recall task as in long_range_training.train, plus clip_grad_norm_ when asked."""
    rnn, readout = lrt.make_model(seed)
    params = [*rnn.parameters(), *readout.parameters()]
    optimizer = torch.optim.SGD(params, lr=lrt.LR)
    data = torch.Generator().manual_seed(seed)
    record = {"loss": [], "norm": [], "share_before": [], "share_after": []}
    for _ in range(steps):
        x, y = lrt.remember_first_bit(lrt.BATCH, DISTANCE, data)
        states, _ = rnn(x)
        loss = nn.functional.mse_loss(readout(states[:, -1]), y)
        optimizer.zero_grad()
        loss.backward()
        record["share_before"].append(step1_share(rnn, params))
        norm = nn.utils.clip_grad_norm_(params, max_norm if max_norm else float("inf"))
        record["share_after"].append(step1_share(rnn, params))
        record["loss"].append(loss.item())
        record["norm"].append(norm.item())
        optimizer.step()
    return record


# --8<-- [end:train]


def label(max_norm: float | None) -> str:
    """How a run is named in the table and the figure."""
    return "no clipping" if max_norm is None else f"clip_grad_norm_({max_norm:g})"


def row(max_norm: float | None, r: dict[str, list], plain: dict[str, list]) -> list[str]:
    """Table cells for one run, compared with the unclipped run."""
    clipped = 0 if max_norm is None else sum(n > max_norm for n in r["norm"])
    return [
        label(max_norm),
        f"{clipped} of {len(r['norm'])}",
        f"{statistics.fmean(r['loss'][-50:]):.3f}",
        "yes" if r["loss"] == plain["loss"] else "no",
        f"{statistics.median(r['share_before']):.0e}",
        f"{max(abs(a / b - 1) for a, b in zip(r['share_after'], r['share_before'], strict=True)):.0e}",
    ]


HEADER = [
    "setting",
    "steps clipped",
    "last-50 loss",
    "same losses as no clipping",
    "step-1 share of the gradient",
    "change of that share by clipping",
]


def plot(runs: dict[float | None, dict[str, list]], path: str = "clip_vanishing.svg") -> None:
    """Loss (mean of 10 steps) and the step-1 share of the gradient, per run."""
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 4.8))
    for max_norm, r in runs.items():
        smooth = [statistics.fmean(r["loss"][i : i + 10]) for i in range(0, len(r["loss"]), 10)]
        (line,) = top.plot(range(5, 10 * len(smooth), 10), smooth, label=label(max_norm))
        bottom.plot(r["share_after"], color=line.get_color(), lw=0.8, ls=line.get_linestyle())
    top.axhline(1.0, color="0.5", lw=0.8, ls=":")
    top.set_ylabel("training loss,\nmean of 10 steps")
    top.set_ylim(0.96, 1.06)
    top.set_title(f"Recall a bit {DISTANCE} steps back: clipping does not help")
    top.legend(loc="upper right", fontsize="small", ncols=2)
    bottom.set_yscale("log")
    bottom.set_ylabel("step-1 part of the\ngradient / whole gradient")
    bottom.set_xlabel("training step")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    runs = {max_norm: train(max_norm) for max_norm in THRESHOLDS}
    rows = [row(max_norm, r, runs[None]) for max_norm, r in runs.items()]
    print(" | ".join(HEADER))
    for r in rows:
        print(" | ".join(r))
    print(f"largest gradient norm of the unclipped run: {max(runs[None]['norm']):.2f}")
    with open("clip_vanishing_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    plot(runs)
# --8<-- [end:main]
