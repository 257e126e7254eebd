"""Learning rate and schedules on the exploding-gradients chapter's run.

The same run as clip_runs.py (ReLU RNN, running-sum task, W_hh = 1.1 x orthogonal, SGD,
300 steps, five seeds), with the learning rate set per step by a schedule:
- constant 0.1: the run that turns NaN (constant 0.01 is in exploding_run.py);
- linear warm-up from 0.001 to 0.1 over 100 steps, then constant;
- exponential decay from 0.03 to 0.003;
- exponential decay from 0.1 to 0.01 with clip_grad_norm_ at 1.

Run: python lr_schedule.py   (prints the table; writes lr_schedule.svg, lr_schedule_table.md,
lr_schedule.csv with one row per run and lr_schedule.json, the numbers the page quotes)
"""

import csv
import json
import statistics
from collections.abc import Callable

import matplotlib.pyplot as plt
import torch

from rnnbook import exploding
from rnnbook.report import median_range

SEEDS = range(5)
STEPS = exploding.STEPS
WARMUP = 100


# --8<-- [start:schedules]
def warmup(steps: int) -> Callable[[int], float]:
    """Multiplier rising linearly from 1/steps to 1 over `steps` steps, then 1."""
    return lambda step: min(1.0, (step + 1) / steps)


def exponential_decay(factor: float, steps: int) -> Callable[[int], float]:
    """Multiplier falling from 1 to `factor` geometrically over `steps` steps."""
    return lambda step: factor ** (step / steps)


WARMUP_LABEL = f"warm-up to 0.1 over {WARMUP} steps"
DECAY_LABEL = "decay 0.03 → 0.003"
CLIP_DECAY_LABEL = "decay 0.1 → 0.01, clip_grad_norm_(1)"
SCHEDULES = {  # label -> keyword arguments of exploding_run.train
    "constant 0.1": {"lr": 0.1},
    WARMUP_LABEL: {"lr": 0.1, "lr_schedule": warmup(WARMUP)},
    DECAY_LABEL: {"lr": 0.03, "lr_schedule": exponential_decay(0.1, STEPS)},
    CLIP_DECAY_LABEL: {
        "lr": 0.1,
        "lr_schedule": exponential_decay(0.1, STEPS),
        "clip_norm": 1.0,
    },
}
# --8<-- [end:schedules]


def row(label: str, runs: list[exploding.History]) -> list[str]:
    """Table cells: non-finite runs (and when), the last-20 loss of the others."""
    finite = [h for h in runs if h.diverged_at is None]
    bad = [h.diverged_at for h in runs if h.diverged_at is not None]
    when = f" (median step {statistics.median(bad):.0f})" if bad else ""
    last = [exploding.mean_loss(h, first=False) for h in finite]
    return [
        label,
        f"{len(bad)} of {len(runs)}{when}",
        median_range(last, "{:.3f}", label="range ") if len(finite) > len(runs) // 2 else "—",
    ]


HEADER = ["schedule", "non-finite", "last-20 loss of the finite runs: median (range)"]


def plot(runs: dict[str, list[exploding.History]], path: str = "lr_schedule.svg") -> None:
    """Loss per step (every seed faint, median of the finite ones bold) and the rate."""
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 5.4), height_ratios=(2, 1))
    for label, histories in runs.items():
        colour = None
        for h in histories:
            n = len(h.losses) if h.diverged_at is None else h.diverged_at
            (line,) = top.plot(range(n), h.losses[:n], lw=0.5, alpha=0.3, color=colour)
            colour = line.get_color()
        finite = [h for h in histories if h.diverged_at is None]
        windows = range(0, min((len(h.losses) for h in finite), default=0), 10)
        if len(finite) > len(histories) // 2:
            median = [
                statistics.median(statistics.fmean(h.losses[i : i + 10]) for h in finite)
                for i in windows
            ]
            top.plot([i + 5 for i in windows], median, color=colour, lw=1.8, label=label)
        else:
            top.plot([], [], color=colour, lw=1.8, label=f"{label} (most seeds NaN)")
        bottom.plot(
            range(STEPS),
            [
                SCHEDULES[label]["lr"] * SCHEDULES[label].get("lr_schedule", lambda _: 1.0)(i)
                for i in range(STEPS)
            ],
            color=colour,
        )
    top.axhline(1.0, color="0.5", lw=0.8, ls=":")
    top.set_yscale("log")
    top.set_ylim(0.005, 100)
    top.set_ylabel("training loss (MSE)")
    top.set_title(f"The exploding run under four schedules, {len(SEEDS)} seeds each (median bold)")
    top.legend(loc="upper right", fontsize="small")
    bottom.set_yscale("log")
    bottom.set_ylabel("learning rate")
    bottom.set_xlabel("training step")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    runs = {
        label: [exploding.train(steps=STEPS, seed=seed, **kwargs) for seed in SEEDS]
        for label, kwargs in SCHEDULES.items()
    }
    rows = [row(label, hs) for label, hs in runs.items()]
    print(" | ".join(HEADER))
    for r in rows:
        print(" | ".join(r))
    with open("lr_schedule_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    with open("lr_schedule.csv", "w", encoding="utf-8", newline="") as table:
        writer = csv.writer(table)
        writer.writerow(["schedule", "seed", "diverged_at", "last20_loss"])
        for label, histories in runs.items():
            for seed, h in zip(SEEDS, histories, strict=True):
                last = (
                    ""
                    if h.diverged_at is not None
                    else f"{exploding.mean_loss(h, first=False):.4f}"
                )
                writer.writerow([label, seed, "" if h.diverged_at is None else h.diverged_at, last])
    finite = {
        label: [exploding.mean_loss(h, first=False) for h in hs if h.diverged_at is None]
        for label, hs in runs.items()
    }
    values = {
        "seeds": len(SEEDS),
        "warmup_nonfinite": sum(h.diverged_at is not None for h in runs[WARMUP_LABEL]),
        "decay_median": f"{statistics.median(finite[DECAY_LABEL]):.2f}",
        "clip_decay_median": f"{statistics.median(finite[CLIP_DECAY_LABEL]):.3f}",
        "clip_decay_max": f"{max(finite[CLIP_DECAY_LABEL]):.3f}",
    }
    with open("lr_schedule.json", "w", encoding="utf-8") as out:
        json.dump(values, out, indent=1)
    plot(runs)
# --8<-- [end:main]
