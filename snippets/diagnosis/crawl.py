"""A loss that crawls has two common causes, and one measurement tells them apart.

The vanishing chapter's recall task (a bit at step 1, noise after it, recall the bit at
step T; answering 0 scores 1) with a tanh RNN at PyTorch's default initialisation, at
T = 5 and T = 20. Both distances are trained with plain SGD on the same grid of learning
rates, LRS, and the same seeds; then T = 20 again with Adam on a grid that brackets its
best rate. Every run is monitored (monitored_training.py), has a budget of STEPS
optimizer steps, and stops early once solved (mean training loss over the last 10 steps
below SOLVED) or at its first NaN, so a run that fails always used the whole budget.

Run: python crawl.py   (prints the grid; writes crawl.svg, crawl_table.md and crawl.json)
"""

import json
import math
import statistics

import matplotlib.pyplot as plt
import torch

from rnnbook import recall
from rnnbook.monitor import VANISHING_RATIO, GradMonitor
from rnnbook.monitored_training import LastStep, train
from rnnbook.report import median_range

SEEDS = range(5)
STEPS, SOLVED, CRAWL = 250, 0.1, 100
LRS = (0.01, 0.1, 1.0)  # SGD, the same for both distances
ADAM_LRS = (0.003, 0.01, 0.03, 0.1)  # Adam at T = 20
DISTANCES = (5, 20)
RUNS = [("sgd", T, lr) for T in DISTANCES for lr in LRS] + [("adam", 20, lr) for lr in ADAM_LRS]


# --8<-- [start:run]
def recall_run(optimizer: str, distance: int, lr: float, seed: int) -> GradMonitor:
    """Train the recall task at one distance and learning rate, monitored."""
    model = LastStep(*recall.make_model(seed))

    def batches(data: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        return recall.remember_first_bit(recall.BATCH, distance, data)

    return train(
        model, batches, lr=lr, steps=STEPS, optimizer=optimizer, seed=seed, stop_below=SOLVED
    )


# --8<-- [end:run]


def solved_at(m: GradMonitor) -> int | None:
    """The step at which the mean loss of the last 10 steps fell below SOLVED, if it did."""
    for end in range(10, len(m.losses) + 1):
        window = m.losses[end - 10 : end]
        if all(math.isfinite(v) for v in window) and sum(window) / 10 < SOLVED:
            return end - 1
    return None


def crawl_ratio(m: GradMonitor) -> float:
    """Median early/late ratio of the probes taken in the first CRAWL steps."""
    ratios = [(n[0] / n[-1]).item() for s, n in m.probes.items() if s < CRAWL and n[-1] > 0]
    return statistics.median(ratios)


def cells(runs: list[GradMonitor]) -> dict[str, str]:
    """One grid cell: solved k of n (median step), NaN k of n, loss over steps 1-100."""
    n, solved = len(runs), [s for m in runs if (s := solved_at(m)) is not None]
    nans = [m.nonfinite_at for m in runs if m.nonfinite_at is not None]
    long_enough = all(len(m.losses) >= CRAWL for m in runs)
    crawl = [statistics.mean(m.losses[:CRAWL]) for m in runs] if long_enough else []
    return {
        "solved": f"{len(solved)} of {n}"
        + (f", step {median_range(solved, '{:.0f}')}" if solved else ""),
        "nan": f"{len(nans)} of {n}" + (f", step {median_range(nans, '{:.0f}')}" if nans else ""),
        "crawl": median_range(crawl, "{:.2f}") if crawl else "-",
        "ratio": median_range([crawl_ratio(m) for m in runs], "{:.0e}"),
        "verdict": ", ".join(
            f"{name} {sum(m.diagnose().name == name for m in runs)}"
            for name in ("healthy", "vanishing", "exploding")
        ),
    }


HEADER = ["optimizer", "T", "lr", "solved", "NaN", "loss, steps 1-100", "early/late", "monitor"]


def grid_rows(grid: dict[tuple[str, int, float], list[GradMonitor]]) -> list[list[str]]:
    """The table rows, one per (optimizer, T, lr)."""
    rows = []
    for (opt, T, lr), runs in grid.items():
        c = cells(runs)
        rows.append(
            [opt, str(T), f"{lr:g}", c["solved"], c["nan"], c["crawl"], c["ratio"], c["verdict"]]
        )
    return rows


def values(grid: dict[tuple[str, int, float], list[GradMonitor]]) -> dict[str, object]:
    """The numbers the page quotes."""

    def count(opt: str, T: int, lr: float, what: str) -> int:
        runs = grid[(opt, T, lr)]
        if what == "solved":
            return sum(solved_at(m) is not None for m in runs)
        return sum(m.nonfinite_at is not None for m in runs)

    slow, stuck = grid[("sgd", 5, LRS[0])], grid[("sgd", 20, LRS[1])]

    def steps(opt: str, T: int, lr: float) -> str:
        return median_range(
            [s for m in grid[(opt, T, lr)] if (s := solved_at(m)) is not None], "{:.0f}"
        )

    return {
        "seeds": len(SEEDS),
        "steps": STEPS,
        "slow_crawl": median_range([statistics.mean(m.losses[:CRAWL]) for m in slow], "{:.2f}"),
        "stuck_crawl": median_range([statistics.mean(m.losses[:CRAWL]) for m in stuck], "{:.2f}"),
        "slow_ratio": median_range([crawl_ratio(m) for m in slow], "{:.0e}"),
        "stuck_ratio": median_range([crawl_ratio(m) for m in stuck], "{:.0e}"),
        "slow_named_healthy": sum(m.diagnose().name == "healthy" for m in slow),
        "stuck_named_vanishing": sum(m.diagnose().name == "vanishing" for m in stuck),
        "short_solved_low": count("sgd", 5, LRS[0], "solved"),
        "short_solved_mid": count("sgd", 5, LRS[1], "solved"),
        "short_nan_high": count("sgd", 5, LRS[2], "nan"),
        "long_solved_sgd": sum(count("sgd", 20, lr, "solved") for lr in LRS),
        "sgd_long_runs": len(LRS) * len(SEEDS),
        "long_nan_high": count("sgd", 20, LRS[2], "nan"),
        "adam_lrs": ", ".join(f"{lr:g}" for lr in ADAM_LRS),
        "adam_solved_all": ", ".join(str(count("adam", 20, lr, "solved")) for lr in ADAM_LRS),
        "adam_solved_total": sum(count("adam", 20, lr, "solved") for lr in ADAM_LRS),
        "adam_runs": len(ADAM_LRS) * len(SEEDS),
        "adam_solved_mid": count("adam", 20, 0.01, "solved"),
        "adam_step_mid": steps("adam", 20, 0.01),
        "slow_step": steps("sgd", 5, LRS[0]),
        "fast_step": steps("sgd", 5, LRS[1]),
    }


def plot(grid: dict[tuple[str, int, float], list[GradMonitor]], path: str = "crawl.svg") -> None:
    """Training loss of every seed (mean of 10 steps), one panel per (optimizer, distance)."""
    panels = [("sgd", 5), ("sgd", 20), ("adam", 20)]
    fig, axes = plt.subplots(1, 3, sharey=True, figsize=(9.0, 3.3))
    for ax, (opt, distance) in zip(axes, panels, strict=True):
        lrs = LRS if opt == "sgd" else ADAM_LRS
        styles = zip(["C0", "C1", "C2", "C3"], ["-", "--", ":", "-."], strict=False)
        for lr, (colour, ls) in zip(lrs, styles, strict=False):
            for i, m in enumerate(grid[(opt, distance, lr)]):
                finite = [v for v in m.losses if math.isfinite(v)]
                smooth = [
                    statistics.mean(finite[max(0, j - 9) : j + 1]) for j in range(len(finite))
                ]
                label = f"lr = {lr:g}" if i == 0 else None
                ax.plot(smooth, color=colour, ls=ls, lw=0.9, alpha=0.7, label=label)
                if m.nonfinite_at is not None:
                    ax.plot(len(finite) - 1, min(smooth[-1], 90), "x", color=colour, ms=5)
        ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
        ax.set_yscale("log")
        ax.set_ylim(1e-3, 1e2)
        ax.set_xlabel("training step")
        ax.set_title(f"{'SGD' if opt == 'sgd' else 'Adam'}, recall {distance} steps back")
        ax.legend(loc="upper right", fontsize="small")
    axes[0].set_ylabel("training loss, mean of 10 steps")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    grid = {run: [recall_run(*run, seed) for seed in SEEDS] for run in RUNS}
    rows = grid_rows(grid)
    print(
        f"seeds {SEEDS.start}-{SEEDS.stop - 1}, at most {STEPS} steps; solved: mean loss of "
        f"10 steps below {SOLVED:g}; vanishing threshold {VANISHING_RATIO:g}"
    )
    for r in rows:  # the table has more columns (steps to solve, early/late)
        print(" | ".join([*r[:3], r[3].split(",")[0], r[4], r[7]]))
    v = values(grid)
    print(
        f"Steps to solve, median (range): SGD at T = 5, lr {LRS[0]:g}: {v['slow_step']}; "
        f"lr {LRS[1]:g}: {v['fast_step']}; Adam at T = 20, lr 0.01: {v['adam_step_mid']}"
    )
    print(
        f"The two crawls over steps 1-{CRAWL}: T = 5 at lr {LRS[0]:g}: loss {v['slow_crawl']}, "
        f"early/late {v['slow_ratio']}, named healthy in {v['slow_named_healthy']} of "
        f"{len(SEEDS)}; T = 20 at lr {LRS[1]:g}: loss {v['stuck_crawl']}, early/late "
        f"{v['stuck_ratio']}, named vanishing in {v['stuck_named_vanishing']} of {len(SEEDS)}"
    )
    with open("crawl_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    with open("crawl.json", "w", encoding="utf-8") as out:
        json.dump(v, out, indent=1, ensure_ascii=False)
        out.write("\n")
    plot(grid)
# --8<-- [end:main]
