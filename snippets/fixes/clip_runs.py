"""Gradient clipping on the exploding-gradients chapter's run: the NaN goes away.

The run (exploding_run.py): a ReLU RNN on a running-sum task, W_hh = 1.1 x orthogonal, plain
SGD at lr = 0.1, 300 steps; without clipping most seeds turn NaN. Here the same run, five
seeds, with clip_grad_norm_ at 1 and at 5 and with clip_grad_value_ at 0.1. (The same run
at lr = 0.01 is in the exploding chapter; schedules are in lr_schedule.py.)

Run: python clip_runs.py   (prints the table; writes clip_runs.svg, clip_runs_table.md,
clip_runs.csv with one row per run and clip_runs.json, the numbers the page quotes)
"""

import csv
import json
import math
import statistics

import matplotlib.pyplot as plt
import torch

from rnnbook import exploding
from rnnbook.report import median_range

SEEDS = range(5)
# label -> keyword arguments of exploding_run.train
SETTINGS = {
    "no clipping": {"lr": exploding.LR_HIGH},
    "clip_grad_norm_(1)": {"lr": exploding.LR_HIGH, "clip_norm": 1.0},
    "clip_grad_norm_(5)": {"lr": exploding.LR_HIGH, "clip_norm": 5.0},
    "clip_grad_value_(0.1)": {"lr": exploding.LR_HIGH, "clip_value": 0.1},
}


# --8<-- [start:runs]
def run_all(steps: int = exploding.STEPS) -> dict[str, list[exploding.History]]:
    """Every setting on every seed; exploding_run.train does the clipping."""
    return {
        label: [exploding.train(steps=steps, seed=seed, **kwargs) for seed in SEEDS]
        for label, kwargs in SETTINGS.items()
    }


# --8<-- [end:runs]


def clipped_share(h: exploding.History, kwargs: dict) -> float | None:
    """Fraction of steps whose pre-clipping norm exceeded max_norm (clip by norm only)."""
    if "clip_norm" not in kwargs:
        return None
    return sum(g > kwargs["clip_norm"] for g in h.grad_norms) / len(h.grad_norms)


def row(label: str, runs: list[exploding.History]) -> list[str]:
    """Table cells: non-finite runs, last-20 loss of the others, clipped steps, largest norm."""
    finite = [h for h in runs if h.diverged_at is None]
    last = [exploding.mean_loss(h, first=False) for h in finite]
    shares = [clipped_share(h, SETTINGS[label]) for h in runs]
    largest = [max(g for g in h.grad_norms if math.isfinite(g)) for h in runs]
    return [
        label,
        f"{len(runs) - len(finite)} of {len(runs)}",
        median_range(last, "{:.2f}", label="range ") if len(finite) > len(runs) // 2 else "—",
        "—" if shares[0] is None else f"{statistics.median(shares):.0%}",
        f"{statistics.median(largest):.0e}",
    ]


HEADER = [
    "setting",
    "non-finite",
    "last-20 loss of the finite runs: median (range)",
    "steps clipped (median)",
    "largest norm before clipping (median)",
]


def plot(runs: dict[str, list[exploding.History]], path: str = "clip_runs.svg") -> None:
    """Loss per step, mean of 10 steps: every seed faint, the median over seeds bold."""
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for label, histories in runs.items():
        colour = None
        for h in histories:
            n = len(h.losses) if h.diverged_at is None else h.diverged_at
            (line,) = ax.plot(range(n), h.losses[:n], lw=0.5, alpha=0.3, color=colour)
            colour = line.get_color()
        finite = [h for h in histories if h.diverged_at is None]
        if finite:
            windows = range(0, min(len(h.losses) for h in finite), 10)
            median = [
                statistics.median(statistics.fmean(h.losses[i : i + 10]) for h in finite)
                for i in windows
            ]
            ax.plot([i + 5 for i in windows], median, color=colour, lw=1.8, label=label)
        else:
            ax.plot([], [], color=colour, lw=1.8, label=f"{label} (every seed NaN)")
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.set_yscale("log")
    ax.set_ylim(0.05, 100)
    ax.set_xlabel("training step")
    ax.set_ylabel("training loss (MSE)")
    ax.set_title(f"The exploding run, {len(SEEDS)} seeds per setting (median bold)")
    ax.legend(loc="upper right", fontsize="small")
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
    with open("clip_runs.csv", "w", encoding="utf-8", newline="") as table:
        writer = csv.writer(table)
        writer.writerow(
            ["setting", "seed", "diverged_at", "last20_loss", "largest_norm_before_clipping"]
        )
        for label, histories in runs.items():
            for seed, h in zip(SEEDS, histories, strict=True):
                last = (
                    ""
                    if h.diverged_at is not None
                    else f"{exploding.mean_loss(h, first=False):.4f}"
                )
                top = max(g for g in h.grad_norms if math.isfinite(g))
                end = "" if h.diverged_at is None else h.diverged_at
                writer.writerow([label, seed, end, last, f"{top:.4g}"])
    medians = {
        label: statistics.median(exploding.mean_loss(h, first=False) for h in hs)
        for label, hs in runs.items()
        if all(h.diverged_at is None for h in hs)
    }
    values = {
        "seeds": len(SEEDS),
        "unclipped_nonfinite": sum(h.diverged_at is not None for h in runs["no clipping"]),
        "clipped_nonfinite": sum(
            h.diverged_at is not None
            for label, hs in runs.items()
            if label != "no clipping"
            for h in hs
        ),
        "best": min(medians, key=medians.get),
        **{
            f"median_{i}": f"{medians[label]:.2f}"
            for i, label in enumerate(SETTINGS)
            if label in medians
        },
    }
    with open("clip_runs.json", "w", encoding="utf-8") as out:
        json.dump(values, out, indent=1)
    plot(runs)
# --8<-- [end:main]
