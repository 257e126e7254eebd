"""Learning rate and schedules on the exploding-gradients chapter's run.

The same run as clip_runs.py (ReLU RNN, running-sum task, W_hh = 1.1 x orthogonal, SGD,
300 steps), with the learning rate set per step by a schedule:
- constant 0.1: the run that turns NaN;
- constant 0.01: ten times lower;
- linear warm-up from 0.001 to 0.1 over 100 steps, then constant;
- exponential decay from 0.03 to 0.003;
- exponential decay from 0.1 to 0.01 with clip_grad_norm_ at 1.

Run: python lr_schedule.py   (prints the table, writes lr_schedule.svg and
lr_schedule_table.md; needs exploding_run.py and clip_runs.py beside it; about 10 s)
"""

import statistics
from collections.abc import Callable

import exploding_run as er
import matplotlib.pyplot as plt
import torch
from clip_runs import SEEDS

STEPS = er.STEPS
WARMUP = 100


# --8<-- [start:schedules]
def warmup(steps: int) -> Callable[[int], float]:
    """Multiplier rising linearly from 1/steps to 1 over `steps` steps, then 1."""
    return lambda step: min(1.0, (step + 1) / steps)


def exponential_decay(factor: float, steps: int) -> Callable[[int], float]:
    """Multiplier falling from 1 to `factor` geometrically over `steps` steps."""
    return lambda step: factor ** (step / steps)


SCHEDULES = {  # label -> keyword arguments of exploding_run.train
    "constant 0.1": {"lr": 0.1},
    "constant 0.01": {"lr": 0.01},
    f"warm-up to 0.1 over {WARMUP} steps": {"lr": 0.1, "lr_schedule": warmup(WARMUP)},
    "decay 0.03 → 0.003": {"lr": 0.03, "lr_schedule": exponential_decay(0.1, STEPS)},
    "decay 0.1 → 0.01, clip_grad_norm_(1)": {
        "lr": 0.1,
        "lr_schedule": exponential_decay(0.1, STEPS),
        "clip_norm": 1.0,
    },
}
# --8<-- [end:schedules]


def outcome(h: er.History) -> str:
    """How a run ended: NaN at a step, or the mean loss of its last 20 steps."""
    if h.diverged_at is not None:
        return f"NaN at {h.diverged_at}"
    return f"{statistics.fmean(h.losses[-20:]):.3f}"


def first_below(h: er.History, level: float = 0.5, width: int = 20) -> str:
    """First step at which the mean loss of the last `width` steps is below `level`."""
    for end in range(width, len(h.losses) + 1):
        if statistics.fmean(h.losses[end - width : end]) < level:
            return str(end)
    return "-"


HEADER = ["schedule", *(f"seed {s}: last-20 loss" for s in SEEDS), "seed 0: below 0.5 at step"]


def plot(runs: dict[str, list[er.History]], path: str = "lr_schedule.svg") -> None:
    """Seed 0: loss (mean of 10 steps) and the learning rate per step, per schedule."""
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 5.4), height_ratios=(2, 1))
    for label, histories in runs.items():
        h = histories[0]
        n = len(h.losses) if h.diverged_at is None else h.diverged_at
        if h.diverged_at is None:
            steps = [i + 5 for i in range(0, n, 10)]
            values = [statistics.fmean(h.losses[i : i + 10]) for i in range(0, n, 10)]
        else:  # raw losses, so the climb to the NaN shows
            steps, values = list(range(n)), h.losses[:n]
            label = f"{label} (NaN at step {h.diverged_at})"
        (line,) = top.plot(steps, values, label=label)
        bottom.plot(range(n), h.lrs[:n], color=line.get_color(), ls=line.get_linestyle())
    top.axhline(1.0, color="0.5", lw=0.8, ls=":")
    top.set_yscale("log")
    top.set_ylim(0.005, 30)
    top.set_ylabel("training loss,\nmean of 10 steps")
    top.set_title("The exploding run (seed 0) under five learning-rate schedules")
    fig.legend(loc="outside lower center", ncols=2, fontsize="small")
    bottom.set_yscale("log")
    bottom.set_ylabel("learning rate")
    bottom.set_xlabel("training step")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    runs = {
        label: [er.train(steps=STEPS, seed=seed, **kwargs) for seed in SEEDS]
        for label, kwargs in SCHEDULES.items()
    }
    rows = [[label, *map(outcome, hs), first_below(hs[0])] for label, hs in runs.items()]
    print(" | ".join(HEADER))
    for r in rows:
        print(" | ".join(r))
    with open("lr_schedule_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    plot(runs)
# --8<-- [end:main]
