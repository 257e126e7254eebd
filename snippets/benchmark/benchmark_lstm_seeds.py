"""How much the LSTM's result at T = 100 depends on the seed: five seeds, same protocol.

The LSTM sits on the adding problem's baseline for hundreds of steps before its loss
drops. When the drop comes depends on the initial weights and the batches, so one seed
is not enough to say "the LSTM solves it in 1500 steps". This file repeats the LSTM's
T = 100 run of benchmark_adding_gated.py with seeds 0-4 (seed 0 is the run in the table).

Run: python benchmark_lstm_seeds.py   (about half a minute on one CPU thread; prints the
results, writes benchmark_lstm_seeds.svg and benchmark_lstm_seeds_timing.md)
"""

import dataclasses
import time

import matplotlib.pyplot as plt
import torch
from benchmark_report import timing_note
from benchmark_train import ADDING, ADDING_SETTINGS, SOLVED_FRACTION, Run, pick_device, train_run
from tqdm import tqdm

SEEDS = (0, 1, 2, 3, 4)
LENGTH = 100


# --8<-- [start:seeds]
def lstm_runs(seeds: tuple[int, ...] = SEEDS, length: int = LENGTH) -> list[Run]:
    """The LSTM on the adding problem at one length, once per seed."""
    runs = []
    with tqdm(total=len(seeds) * ADDING_SETTINGS.steps, unit="step", disable=None) as bar:
        for seed in seeds:
            settings = dataclasses.replace(ADDING_SETTINGS, seed=seed)
            runs.append(train_run(ADDING, "lstm", length, settings, pick_device(), bar))
    return runs


# --8<-- [end:seeds]


def plot(runs: list[Run], seeds: tuple[int, ...], path: str = "benchmark_lstm_seeds.svg") -> None:
    """Test MSE against step, one line per seed, with the baseline and the solved line."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for seed, run in zip(seeds, runs, strict=True):
        steps, losses = zip(*run.curve, strict=True)
        ax.plot(steps, losses, label=f"seed {seed}")
    ax.axhline(run.baseline, color="k", lw=1.0, ls=(0, (4, 2)), zorder=1.5, label="baseline 1/6")
    ax.axhline(SOLVED_FRACTION * run.baseline, color="0.45", lw=1.0, ls=":", label="solved below")
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 1.0)
    ax.set_xlabel("training step")
    ax.set_ylabel("test MSE")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


if __name__ == "__main__":
    torch.set_num_threads(1)
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    print(f"LSTM, adding problem, T = {LENGTH}, {ADDING_SETTINGS.steps} steps, one run per seed")
    runs = lstm_runs()
    for seed, run in zip(SEEDS, runs, strict=True):
        at = "not within the budget" if run.solved_at is None else f"at step {run.solved_at}"
        print(f"  seed {seed}: test MSE {run.final:.3g}, solved {at}")
    solved = sum(run.solved for run in runs)
    print(f"Solved in {solved} of {len(runs)} seeds")
    plot(runs, SEEDS)
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    with open("benchmark_lstm_seeds_timing.md", "w", encoding="utf-8") as handle:
        handle.write(timing_note("LSTM, five seeds", wall, cpu, pick_device()))
