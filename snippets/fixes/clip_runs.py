"""Gradient clipping on the exploding-gradients chapter's run: the NaN goes away.

The run (exploding_run.py): a ReLU RNN on a running-sum task, W_hh = 1.1 x orthogonal, plain
SGD at lr = 0.1, 300 steps; without clipping it turns NaN (step 31 for seed 0). Here the
same run, same seeds, with clip_grad_norm_ at 1 and at 5 and with clip_grad_value_ at 0.1.
(The same run at lr = 0.01 is in lr_schedule.py.)

Run: python clip_runs.py   (prints the table, writes clip_runs.svg and clip_runs_table.md;
needs exploding_run.py beside it)
"""

import math
import statistics

import exploding_run as er
import matplotlib.pyplot as plt
import torch

SEEDS = (0, 1)
# label -> keyword arguments of exploding_run.train
SETTINGS = {
    "no clipping": {"lr": er.LR_HIGH},
    "clip_grad_norm_(1)": {"lr": er.LR_HIGH, "clip_norm": 1.0},
    "clip_grad_norm_(5)": {"lr": er.LR_HIGH, "clip_norm": 5.0},
    "clip_grad_value_(0.1)": {"lr": er.LR_HIGH, "clip_value": 0.1},
}


# --8<-- [start:runs]
def run_all(steps: int = er.STEPS) -> dict[str, list[er.History]]:
    """Every setting on every seed; exploding_run.train does the clipping."""
    return {
        label: [er.train(steps=steps, seed=seed, **kwargs) for seed in SEEDS]
        for label, kwargs in SETTINGS.items()
    }


# --8<-- [end:runs]


def final_loss(h: er.History) -> float:
    """Mean loss of the last 20 steps, or NaN if the run diverged."""
    return math.nan if h.diverged_at is not None else statistics.fmean(h.losses[-20:])


def clipped_share(h: er.History, kwargs: dict) -> float | None:
    """Fraction of steps whose pre-clipping norm exceeded max_norm (clip by norm only)."""
    if "clip_norm" not in kwargs:
        return None
    return sum(g > kwargs["clip_norm"] for g in h.grad_norms) / len(h.grad_norms)


def row(label: str, histories: list[er.History]) -> list[str]:
    """Table cells: how each seed ended, the share of clipped steps, the largest norm."""
    ends = [
        f"NaN at {h.diverged_at}" if h.diverged_at is not None else f"{final_loss(h):.3f}"
        for h in histories
    ]
    shares = [clipped_share(h, SETTINGS[label]) for h in histories]
    share = "-" if shares[0] is None else f"{statistics.fmean(shares):.0%}"
    largest = max(g for h in histories for g in h.grad_norms if math.isfinite(g))
    return [label, *ends, share, f"{largest:.2g}"]


HEADER = [
    "setting",
    *(f"seed {s}: last-20 loss" for s in SEEDS),
    "steps clipped",
    "largest norm before clipping",
]


def plot(runs: dict[str, list[er.History]], path: str = "clip_runs.svg") -> None:
    """Seed 0: loss (mean of 10 steps) per setting; gradient norm before clipping for three."""
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 6.0))
    colours = {}
    for label, histories in runs.items():
        h = histories[0]
        n = len(h.losses) if h.diverged_at is None else h.diverged_at
        smooth = [statistics.fmean(h.losses[i : min(i + 10, n)]) for i in range(0, n, 10)]
        steps = [i + 5 for i in range(0, n, 10)]
        if h.diverged_at is not None:  # raw losses, so the climb to the NaN shows
            smooth, steps = h.losses[:n], list(range(n))
            label = f"{label} (NaN at step {h.diverged_at})"
        (line,) = top.plot(steps, smooth, label=label)
        colours[label] = line.get_color()
        if label.startswith(("no clipping (", "clip_grad_norm_")):
            bottom.plot(range(n), h.grad_norms[:n], color=line.get_color(), lw=0.7, ls="-")
    top.axhline(1.0, color="0.5", lw=0.8, ls=":")
    top.set_yscale("log")
    top.set_ylim(0.05, 30)
    top.set_ylabel("training loss,\nmean of 10 steps")
    top.set_title("The exploding run (seed 0), with and without clipping")
    fig.legend(loc="outside lower center", ncols=2, fontsize="small")
    for threshold in (1.0, 5.0):
        bottom.axhline(threshold, color="0.3", lw=0.8, ls=":")
        bottom.text(
            er.STEPS,
            threshold,
            f"max_norm {threshold:g}",
            fontsize="small",
            color="0.3",
            va="bottom",
            ha="left",
        )
    bottom.set_yscale("log")
    bottom.set_ylabel("gradient norm\nbefore clipping")
    bottom.set_xlabel("training step")
    bottom.set_title(
        "Gradient norm before clipping: no clipping and clip_grad_norm_(1), (5)", fontsize="small"
    )
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    runs = run_all()
    rows = [row(label, histories) for label, histories in runs.items()]
    print(" | ".join(HEADER))
    for r in rows:
        print(" | ".join(r))
    with open("clip_runs_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    plot(runs)
# --8<-- [end:main]
