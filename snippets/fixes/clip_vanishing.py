"""Clipping does nothing for a vanishing gradient.

The vanishing-gradients chapter's recall task (a bit at step 1, noise after it, recall the
bit at step T = 40; tanh RNN, PyTorch's default initialisation, SGD at lr = 0.1), trained
exactly as there (recall_runs.py, five seeds), without clipping and with clip_grad_norm_ at
1 and 0.01; a threshold above every gradient norm of the unclipped runs never fires.

Which part of the gradient carries the long-range signal is known exactly here: the bit
enters only at step 1, through column 0 of W_ih, so the gradient of that column is the
step-1 contribution and nothing else. Clipping multiplies every component by the same
factor, so the share of the gradient that column holds cannot change.

Run: python clip_vanishing.py   (prints the table; writes clip_vanishing.svg,
clip_vanishing_table.md and clip_vanishing.json, the numbers the page quotes)
"""

import json
import statistics
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import torch
from torch import nn

from rnnbook import recall, recall_runs

DISTANCE = recall_runs.DISTANCE
THRESHOLDS = (None, 1.0, 0.01)


# --8<-- [start:train]
def step1_share(model: recall_runs.LastState) -> float:
    """||gradient of W_ih's bit column|| / ||whole gradient||: the step-1 part's share."""
    bit = model.recurrent.weight_ih_l0.grad[:, 0]  # the bit enters only at step 1, only here
    grads = [p.grad for p in model.parameters()]
    return (bit.norm() / nn.utils.get_total_norm(grads)).item()


@dataclass
class Shares:
    """The step-1 share of every step, before and after clip_grad_norm_, and the norms."""

    before: list[float] = field(default_factory=list)
    after: list[float] = field(default_factory=list)
    norms: list[float] = field(default_factory=list)

    def __call__(self, model: recall_runs.LastState, when: str) -> None:
        if when == "unclipped":
            self.before.append(step1_share(model))
            self.norms.append(nn.utils.get_total_norm([p.grad for p in model.parameters()]).item())
        else:
            self.after.append(step1_share(model))


def train(
    max_norm: float | None, seed: int = 0, steps: int = recall_runs.STEPS
) -> tuple[recall_runs.Run, Shares]:
    """The recall task as in long_range_training.train, plus clip_grad_norm_ when asked."""
    shares = Shares()
    model = recall_runs.LastState(*recall.make_model(seed))
    run = recall_runs.train(
        model, lr=recall.LR, clip=max_norm, seed=seed, steps=steps, observe=shares
    )
    return run, shares


# --8<-- [end:train]


def label(max_norm: float | None) -> str:
    """How a run is named in the table and the figure."""
    return "no clipping" if max_norm is None else f"clip_grad_norm_({max_norm:g})"


def row(max_norm: float | None, found: list[tuple[recall_runs.Run, Shares]]) -> list[str]:
    """Table cells for one setting, over the seeds."""
    clipped = [r.clipped / len(r.losses) for r, _ in found]
    share = [statistics.median(s.before) for _, s in found]
    change = max(abs(a / b - 1) for _, s in found for a, b in zip(s.after, s.before, strict=True))
    return [
        label(max_norm),
        f"{statistics.median(clipped):.0%}",
        *recall_runs.cells([r for r, _ in found])[::2],
        f"{statistics.median(share):.0e}",
        f"{change:.0e}",
    ]


HEADER = [
    "setting",
    "steps clipped (median)",
    "solved",
    "final loss, median (range)",
    "step-1 share of the gradient (median)",
    "largest change of that share by clipping",
]


def plot(
    runs: dict[float | None, list[tuple[recall_runs.Run, Shares]]], path: str = "clip_vanishing.svg"
) -> None:
    """Loss (mean of 10 steps) and the step-1 share of the gradient, every seed."""
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 4.8))
    for max_norm, found in runs.items():
        colour = None
        for seed, (r, shares) in enumerate(found):
            smooth = [statistics.fmean(r.losses[i : i + 10]) for i in range(0, len(r.losses), 10)]
            (line,) = top.plot(
                range(5, 10 * len(smooth), 10),
                smooth,
                color=colour,
                lw=0.8,
                alpha=0.7,
                label=label(max_norm) if seed == 0 else None,
            )
            colour = line.get_color()
            bottom.plot(shares.after, color=colour, lw=0.5, alpha=0.5)
    top.axhline(1.0, color="0.5", lw=0.8, ls=":")
    top.set_ylabel("training loss,\nmean of 10 steps")
    top.set_ylim(0.9, 1.15)
    top.set_title(
        f"Recall a bit {DISTANCE} steps back, {len(recall_runs.SEEDS)} seeds: clipping does not help"
    )
    top.legend(loc="upper right", fontsize="small", ncols=3)
    bottom.set_yscale("log")
    bottom.set_ylabel("step-1 part of the\ngradient / whole gradient")
    bottom.set_xlabel("training step")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    runs = {
        max_norm: [train(max_norm, seed) for seed in recall_runs.SEEDS] for max_norm in THRESHOLDS
    }
    rows = [row(max_norm, found) for max_norm, found in runs.items()]
    largest = max(n for _, s in runs[None] for n in s.norms)
    print(
        f"recall a bit {DISTANCE} steps back; SGD lr {recall.LR:g}; seeds 0-{len(recall_runs.SEEDS) - 1}"
    )
    print(" | ".join(HEADER))
    for r in rows:
        print(" | ".join(r))
    print(f"largest gradient norm of the unclipped runs: {largest:.1f}")
    with open("clip_vanishing_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    values = {
        "seeds": len(recall_runs.SEEDS),
        "largest_norm": f"{largest:.1f}",
        "share": f"{statistics.median(x for _, s in runs[None] for x in s.before):.0e}",
        "solved": sum(r.solved_at is not None for found in runs.values() for r, _ in found),
    }
    with open("clip_vanishing.json", "w", encoding="utf-8") as out:
        json.dump(values, out, indent=1)
    plot(runs)
# --8<-- [end:main]
