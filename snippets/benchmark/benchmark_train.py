"""`python benchmark_train.py`: what docs/benchmark.md prints from the book's library module rnnbook.benchmark.

rnnbook/benchmark.py: The benchmark's protocol: the tasks as PyTorch losses, the settings, the training loop.
"""

import torch

from rnnbook.benchmark import ADDING, SMOKE, train_run
from rnnbook.models import LABELS

if __name__ == "__main__":
    torch.set_num_threads(1)
    print(f"Smoke run: adding problem, T = 10, at most {SMOKE.steps} steps, seed 0")
    for kind in ("tanh", "lstm", "gru"):
        run = train_run(ADDING, kind, 10, SMOKE, seed=0)
        where = "not solved" if run.solved_at is None else f"solved at step {run.solved_at}"
        print(f"  {LABELS[kind]:16s} test MSE {run.final:.2g}, {where}")
