"""Run a benchmark file's share of the models and report it: table, CSV, figures, timing.

Every number in the table and the CSV is printed to stdout too, rounded to what the page
claims. The time a run took goes to a separate Markdown file, never to stdout, so that
stdout stays the same from run to run.

Run: python benchmark_report.py   (prints the thresholds behind every verdict)
"""

import csv
import math
import platform
import time
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from benchmark_models import LABELS
from benchmark_train import (
    ADDING,
    ADDING_SETTINGS,
    AT_BASELINE_FRACTION,
    COPY,
    COPY_SETTINGS,
    SOLVED_FRACTION,
    Run,
    Settings,
    Task,
    pick_device,
    run_benchmark,
    test_set,
)

Y_LIMITS = {"adding": (1e-5, 1.0), "copy": (1e-3, 3.0)}  # shared by a task's figures


def number(value: float | None, digits: int = 3) -> str:
    """A result rounded to `digits` significant digits (what the page claims)."""
    if value is None:
        return "—"
    if not math.isfinite(value):
        return "diverged"
    return f"{value:#.{digits}g}".rstrip(".")  # '#' keeps trailing zeros: 1.0, not 1


# --8<-- [start:table]
def rows(task: Task, runs: Sequence[Run]) -> list[dict[str, str]]:
    """One row of rounded, printable results per run, the baseline beside each result."""
    table = []
    for run in runs:
        row = {
            "model": LABELS[run.kind],
            "parameters": str(run.parameters),
            "lr": f"{run.lr:g}",
            "T": str(run.length),
            f"test {task.loss_name}": number(run.final),
            "baseline": number(run.baseline),
            "loss / baseline": number(run.ratio, 2),
        }
        if run.accuracy is not None:
            row["recall accuracy"] = f"{run.accuracy:.3f}"
        row["solved at step"] = "—" if run.solved_at is None else str(run.solved_at)
        row["verdict"] = run.verdict
        table.append(row)
    return table


# --8<-- [end:table]


PAGE_LEAVES_OUT = ("parameters", "lr")  # printed elsewhere; keeps the page's table narrow


def markdown_table(table: Sequence[dict[str, str]], leave_out: Sequence[str] = ()) -> str:
    """The rows as a Markdown table, numbers right-aligned, without the `leave_out` columns."""
    header = [key for key in table[0] if key not in leave_out]
    align = ["---" if key in ("model", "verdict") else "---:" for key in header]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row[key] for key in header) + " |" for row in table]
    return "\n".join(lines) + "\n"


def read_table(text: str) -> list[dict[str, str]]:
    """Rows back from printed output: the first Markdown table in `text`."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    if len(lines) < 3:
        raise ValueError("no Markdown table found in the text")
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    return [
        dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")), strict=True))
        for line in lines[2:]
    ]


def write_csv(table: Sequence[dict[str, str]], path: str) -> None:
    """The same rows as CSV."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)


def draw_thresholds(ax: plt.Axes, task: Task, lengths: Sequence[int]) -> None:
    """The memoryless baseline (dashed) and the solved line, 5% of it (dotted)."""
    ts = list(range(min(lengths), max(lengths) + 1))
    base = np.array([task.baseline(t) for t in ts])
    ax.plot(ts, base, color="k", lw=1.0, ls=(0, (4, 2)), zorder=1.5, label="memoryless baseline")
    ax.plot(ts, SOLVED_FRACTION * base, color="0.45", lw=1.0, ls=":", label="solved below (5%)")


def plot_final(task: Task, runs: Sequence[Run], path: str) -> None:
    """Final test loss against T, one line per model, with the baseline and the solved line."""
    lengths = sorted({run.length for run in runs})
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for kind in dict.fromkeys(run.kind for run in runs):
        mine = [run for run in runs if run.kind == kind]
        ax.plot([r.length for r in mine], [r.final for r in mine], marker="o", label=LABELS[kind])
    if len(lengths) > 1:
        draw_thresholds(ax, task, lengths)
    ax.set_yscale("log")
    ax.set_ylim(*Y_LIMITS.get(task.name, (None, None)))
    ax.set_xticks(lengths)
    ax.set_xlabel("sequence length T (steps)")
    ax.set_ylabel(f"test {task.loss_name} after training")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def plot_curves(task: Task, runs: Sequence[Run], path: str) -> None:
    """Test loss against training step, one panel per T, one line per model."""
    lengths = sorted({run.length for run in runs})
    fig, axes = plt.subplots(
        1, len(lengths), figsize=(7.2, 3.4), sharey=True, squeeze=False, layout="constrained"
    )
    for ax, length in zip(axes[0], lengths, strict=True):
        for run in (r for r in runs if r.length == length):
            steps, losses = zip(*run.curve, strict=True)
            ax.plot(steps, losses, label=LABELS[run.kind])
        base = task.baseline(length)
        ax.axhline(base, color="k", lw=1.0, ls=(0, (4, 2)), zorder=1.5, label="memoryless baseline")
        ax.axhline(SOLVED_FRACTION * base, color="0.45", lw=1.0, ls=":", label="solved below (5%)")
        ax.set_yscale("log")
        ax.set_ylim(*Y_LIMITS.get(task.name, (None, None)))
        ax.set_title(f"T = {length}")
        ax.set_xlabel("training step")
    axes[0, 0].set_ylabel(f"test {task.loss_name}")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4))
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def timing_note(what: str, wall: float, cpu: float, device: torch.device) -> str:
    """A Markdown list item: how long a run took, and with what (never part of stdout)."""
    return (
        f"- **{what}**: {wall:.0f} s of wall time, {cpu:.0f} s of CPU time, on "
        f"{device.type} with {torch.get_num_threads()} thread(s) ({platform.machine()}; "
        f"Python {platform.python_version()}, PyTorch {torch.__version__}, "
        f"NumPy {np.__version__})\n"
    )


def describe(task: Task, settings: Settings, kinds: Sequence[str]) -> list[str]:
    """The protocol in a few lines, printed above the results."""
    rates = ", ".join(f"{LABELS[k]} {settings.lr_for(k):g}" for k in kinds)
    clipped = [LABELS[k] for k in kinds if k in settings.clipped]
    return [
        f"Adam, batch {settings.batch}, {settings.steps} steps, seed {settings.seed}; "
        f"learning rates: {rates}",
        f"Gradient-norm clipping at {settings.clip:g} for " + ", ".join(clipped)
        if clipped
        else "No model in this run clips its gradients",
        f"Test set: {settings.test_size} sequences per T, scored every {settings.eval_every} "
        f"steps; solved: test {task.loss_name} below {SOLVED_FRACTION:.0%} of the baseline",
        "The memoryless predictor on these test sets: "
        + ", ".join(
            f"{task.memoryless(test_set(task, settings, t)[1], t):.4f} (T = {t})"
            for t in settings.lengths
        ),
    ]


# --8<-- [start:run]
def run_and_report(
    task: Task, settings: Settings, kinds: Sequence[str], name: str, what: str
) -> None:
    """Train `kinds` on `task`, print the table, write name_table.md, .csv, .svg and more."""
    torch.set_num_threads(1)  # results reproduce exactly on one thread
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    device = pick_device()
    for line in describe(task, settings, kinds):
        print(line)
    runs = run_benchmark(task, settings, kinds, device)
    table = rows(task, runs)
    print(markdown_table(table), end="")
    with open(f"{name}_table.md", "w", encoding="utf-8") as handle:
        handle.write(markdown_table(table, leave_out=PAGE_LEAVES_OUT))
    write_csv(table, f"{name}.csv")
    plot_final(task, runs, f"{name}.svg")
    plot_curves(task, runs, f"{name}_curves.svg")
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    with open(f"{name}_timing.md", "w", encoding="utf-8") as handle:
        handle.write(timing_note(what, wall, cpu, device))


# --8<-- [end:run]

if __name__ == "__main__":
    print("Verdicts, from the test loss L after the last step and the baseline B of its T:")
    print(f"  solved          L < {SOLVED_FRACTION:g} B")
    print(f"  not learned     L >= {AT_BASELINE_FRACTION:g} B (at or above the baseline)")
    print("  partly learned  in between;  diverged: L is NaN or infinite")
    for task, settings in ((ADDING, ADDING_SETTINGS), (COPY, COPY_SETTINGS)):
        print(f"{task.name.capitalize()} task, test {task.loss_name}:")
        for t in settings.lengths:
            base = task.baseline(t)
            print(
                f"  T = {t:3d}: B = {base:.4f}, solved below {SOLVED_FRACTION * base:.5f}, "
                f"not learned from {AT_BASELINE_FRACTION * base:.4f}"
            )
