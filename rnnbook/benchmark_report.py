"""Run a benchmark file's share of the models and report it: table, CSV, figures, timing.

A cell of the table is one model at one length, over every seed: how many seeds solved the
task, how many steps the runs used (a solved run stops, so fewer steps means faster), how
many diverged, and the test loss against the baseline (median and range).
The CSV has one row per run. Every number of the table is printed to stdout too. The time
a run took goes to a separate Markdown file, never to stdout, so that stdout stays the
same from run to run.

Run: python benchmark_report.py   (prints the thresholds behind every verdict)

Taught in docs/benchmark.md; run by snippets/benchmark/benchmark_adding_vanilla.py and the
other benchmark_* files (benchmark_report.py prints the thresholds behind every verdict).
"""

import csv
import json
import platform
import statistics
import time
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from rnnbook.benchmark import (
    Run,
    Settings,
    Task,
    run_benchmark,
    test_set,
)
from rnnbook.models import LABELS
from rnnbook.protocol import SOLVED_FRACTION

Y_LIMITS = {"adding": (1e-5, 1.0), "copy": (1e-3, 3.0)}  # shared by a task's figures


# --8<-- [start:table]
def cells(runs: Sequence[Run]) -> dict[tuple[str, int], list[Run]]:
    """The runs grouped by (model, T), in the order they ran."""
    grouped: dict[tuple[str, int], list[Run]] = {}
    for run in runs:
        grouped.setdefault((run.kind, run.length), []).append(run)
    return grouped


def rows(task: Task, runs: Sequence[Run]) -> list[dict[str, str]]:
    """One row per (model, T): seeds solved, steps used, seeds diverged, loss / baseline."""
    table = []
    for (kind, length), found in cells(runs).items():
        solved = sum(r.solved_at is not None for r in found)
        ratios = [r.ratio for r in found if not r.diverged]
        row = {
            "model": LABELS[kind],
            "T": str(length),
            "solved": f"{solved} of {len(found)}",
            "steps used: median": f"{statistics.median(r.curve[-1][0] for r in found):.0f}",
            "diverged": f"{len(found) - len(ratios)} of {len(found)}",
            "loss / baseline: median (range)": (
                f"{statistics.median(ratios):.2g} ({min(ratios):.2g}–{max(ratios):.2g})"
                if ratios
                else "—"
            ),
        }
        accuracies = [r.accuracy for r in found if r.accuracy is not None]
        if accuracies:
            row["recall accuracy (median)"] = f"{statistics.median(accuracies):.2f}"
        table.append(row)
    return table


# --8<-- [end:table]


def values(runs: Sequence[Run]) -> dict[str, object]:
    """The numbers a page quotes, per (model, T): seeds solved, median steps used, ratio."""
    found: dict[str, object] = {}
    for (kind, length), group in cells(runs).items():
        ratios = [r.ratio for r in group if not r.diverged]
        found[f"{kind}_{length}_seeds"] = len(group)
        found[f"{kind}_{length}_solved"] = sum(r.solved_at is not None for r in group)
        found[f"{kind}_{length}_diverged"] = len(group) - len(ratios)
        found[f"{kind}_{length}_steps"] = round(statistics.median(r.curve[-1][0] for r in group))
        found[f"{kind}_{length}_ratio"] = f"{statistics.median(ratios):.2g}" if ratios else "—"
    return found


def markdown_table(table: Sequence[dict[str, str]]) -> str:
    """The rows as a Markdown table, numbers right-aligned."""
    header = list(table[0])
    align = ["---" if key == "model" else "---:" for key in header]
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


def write_csv(task: Task, runs: Sequence[Run], path: str) -> None:
    """One row per run: model, T, seed, rate, size, final loss, baseline, solved step."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        header = ["model", "T", "seed", "lr", "parameters", f"test {task.loss_name}"]
        header += ["baseline", "loss / baseline", "solved at step", "recall accuracy"]
        writer.writerow(header)
        for r in runs:
            writer.writerow(
                [
                    LABELS[r.kind],
                    r.length,
                    r.seed,
                    f"{r.lr:g}",
                    r.parameters,
                    f"{r.final:.4g}",
                    f"{r.baseline:.4g}",
                    f"{r.ratio:.4g}",
                    "" if r.solved_at is None else r.solved_at,
                    "" if r.accuracy is None else f"{r.accuracy:.3f}",
                ]
            )


def draw_thresholds(ax: plt.Axes, task: Task, lengths: Sequence[int]) -> None:
    """The memoryless baseline (dashed) and the solved line, 5% of it (dotted)."""
    ts = list(range(min(lengths), max(lengths) + 1))
    base = np.array([task.baseline(t) for t in ts])
    ax.plot(ts, base, color="k", lw=1.0, ls=(0, (4, 2)), zorder=1.5, label="memoryless baseline")
    ax.plot(ts, SOLVED_FRACTION * base, color="0.45", lw=1.0, ls=":", label="solved below (5%)")


def plot_final(task: Task, runs: Sequence[Run], path: str) -> None:
    """Final test loss against T: every seed a dot, the median a line, per model."""
    lengths = sorted({run.length for run in runs})
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    grouped = cells(runs)
    for number, kind in enumerate(dict.fromkeys(run.kind for run in runs)):
        mine = [length for length in lengths if (kind, length) in grouped]
        medians = [statistics.median(r.final for r in grouped[kind, t]) for t in mine]
        (line,) = ax.plot(mine, medians, marker="o", label=LABELS[kind], zorder=3)
        offset = (number - 1) * 0.012 * (max(lengths) - min(lengths) + 1)  # keep dots apart
        for t in mine:
            finals = [r.final for r in grouped[kind, t]]
            ax.plot([t + offset] * len(finals), finals, ".", color=line.get_color(), alpha=0.45)
    if len(lengths) > 1:
        draw_thresholds(ax, task, lengths)
    ax.set_yscale("log")
    ax.set_ylim(*Y_LIMITS.get(task.name, (None, None)))
    ax.set_xticks(lengths)
    ax.set_xlabel("sequence length T (steps)")
    ax.set_ylabel(f"test {task.loss_name} when stopped")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def plot_curves(task: Task, runs: Sequence[Run], path: str) -> None:
    """Test loss against training step, one panel per T, every seed of every model."""
    lengths = sorted({run.length for run in runs})
    fig, axes = plt.subplots(
        1, len(lengths), figsize=(7.2, 3.4), sharey=True, squeeze=False, layout="constrained"
    )
    colours = {kind: f"C{i}" for i, kind in enumerate(dict.fromkeys(r.kind for r in runs))}
    for ax, length in zip(axes[0], lengths, strict=True):
        labelled = set()
        for run in (r for r in runs if r.length == length):
            steps, losses = zip(*run.curve, strict=True)
            label = None if run.kind in labelled else LABELS[run.kind]
            labelled.add(run.kind)
            ax.plot(steps, losses, color=colours[run.kind], lw=0.9, alpha=0.7, label=label)
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


def timing_note(what: str, wall: float, cpu: float) -> str:
    """A Markdown list item: how long a run took, and with what (never part of stdout)."""
    return (
        f"- **{what}**: {wall:.0f} s of wall time, {cpu:.0f} s of CPU time, on the CPU "
        f"with {torch.get_num_threads()} thread(s) ({platform.machine()}; "
        f"Python {platform.python_version()}, PyTorch {torch.__version__}, "
        f"NumPy {np.__version__})\n"
    )


def describe(task: Task, settings: Settings, kinds: Sequence[str]) -> list[str]:
    """The protocol in a few lines, printed above the results."""
    rates = ", ".join(f"{LABELS[k]} {settings.lr_for(k):g}" for k in kinds)
    clipped = [LABELS[k] for k in kinds if k in settings.clipped]
    seeds = settings.seeds
    return [
        f"Adam, batch {settings.batch}, at most {settings.steps} steps (a run stops once "
        f"solved), seeds {seeds[0]}-{seeds[-1]}; learning rates: {rates}",
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
) -> list[Run]:
    """Train `kinds` on `task`, print the table, write name_table.md, .csv, .svg and more."""
    torch.set_num_threads(1)  # one thread: the cost is per step, and the digits repeat
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    for line in describe(task, settings, kinds):
        print(line)
    runs = run_benchmark(task, settings, kinds)
    table = markdown_table(rows(task, runs))
    print(table, end="")
    with open(f"{name}_table.md", "w", encoding="utf-8") as handle:
        handle.write(table)
    write_csv(task, runs, f"{name}.csv")
    with open(f"{name}.json", "w", encoding="utf-8") as handle:
        json.dump(values(runs), handle, indent=1)
    plot_final(task, runs, f"{name}.svg")
    plot_curves(task, runs, f"{name}_curves.svg")
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    with open(f"{name}_timing.md", "w", encoding="utf-8") as handle:
        handle.write(timing_note(what, wall, cpu))
    return runs


# --8<-- [end:run]
