"""A loss that crawls has two common causes, and one measurement tells them apart.

Two runs on the vanishing chapter's recall task (a bit at step 1, noise after it, recall
the bit at step T; answering 0 scores 1) whose losses both barely move for 100 steps:
- T = 5 at lr = 0.003: the learning rate is simply too small;
- T = 20 at lr = 0.1: the gradient vanishes before it reaches step 1.
The monitor's early-to-late ratio separates them. Then each gets a learning rate ten times
higher: that cures the first and blows up the second (three times higher leaves it stuck).

Run: python crawl.py   (prints the table, writes crawl.svg and crawl_table.md)
"""

import long_range_training as lrt
import matplotlib.pyplot as plt
import torch
from grad_monitor import GradMonitor
from monitor_runs import monitored_run

STEPS = 300
RUNS = [  # (distance T, learning rate)
    (5, 0.003),
    (5, 0.03),
    (20, 0.1),
    (20, 0.3),
    (20, 1.0),
]


# --8<-- [start:run]
def recall_run(distance: int, lr: float, steps: int = STEPS) -> GradMonitor:
    """Train the recall task at one distance and learning rate, monitored."""
    rnn, readout = lrt.make_model(0)

    def batches(data: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        return lrt.remember_first_bit(lrt.BATCH, distance, data)

    return monitored_run(rnn, readout, batches, lr=lr, steps=steps)


# --8<-- [end:run]


def mean(values: list[float]) -> float:
    """Arithmetic mean of a non-empty list."""
    return sum(values) / len(values)


def row(distance: int, lr: float, m: GradMonitor) -> list[str]:
    """Table row: task, lr, loss over steps 1-100 and 201-300, ratio, diagnosis."""
    ratio = m.early_to_late()
    if m.nonfinite_at is not None:
        first, last = f"NaN at step {m.nonfinite_at}", "-"
    else:
        first, last = f"{mean(m.losses[:100]):.3f}", f"{mean(m.losses[200:300]):.3f}"
    return [f"T = {distance}", f"{lr:g}", first, last, f"{ratio:.1e}", m.diagnose().name]


HEADER = ["task", "lr", "loss, steps 1-100", "loss, steps 201-300", "early/late", "diagnosis"]


def plot(runs: dict[tuple[int, float], GradMonitor], path: str = "crawl.svg") -> None:
    """Training loss (mean of 10 steps; raw for a run that blew up), one panel per distance."""
    fig, axes = plt.subplots(1, 2, sharey=True, figsize=(7.0, 3.3))
    for ax, distance in zip(axes, (5, 20), strict=True):
        for (T, lr), m in runs.items():
            if distance != T:
                continue
            if m.nonfinite_at is None:
                smooth = [mean(m.losses[i : i + 10]) for i in range(0, len(m.losses), 10)]
                ax.plot(range(5, 10 * len(smooth), 10), smooth, label=f"lr = {lr:g}")
            else:
                finite = m.losses[: m.nonfinite_at]
                ax.plot(
                    range(len(finite)), finite, label=f"lr = {lr:g}: NaN at step {m.nonfinite_at}"
                )
        ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
        ax.set_yscale("log")
        ax.set_ylim(1e-4, 1e2)
        ax.set_xlabel("training step")
        ax.set_title(f"recall a bit {distance} steps back")
        ax.legend(loc="upper right")
    axes[0].set_ylabel("training loss, mean of 10 steps")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    runs = {(T, lr): recall_run(T, lr) for T, lr in RUNS}
    rows = [row(T, lr, m) for (T, lr), m in runs.items()]
    for r in rows:
        print(" | ".join(r))
    with open("crawl_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    plot(runs)
# --8<-- [end:main]
