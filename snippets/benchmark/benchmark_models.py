"""`python benchmark_models.py`: what docs/benchmark.md prints from the book's library module rnnbook.models.

rnnbook/models.py: The four recurrent models of the long-range benchmark, at comparable parameter counts.
"""

import torch

from rnnbook.models import HIDDEN, KINDS, LABELS, TASK_SIZES, count_parameters, make_model

if __name__ == "__main__":
    torch.manual_seed(0)
    print("Parameters per model:")
    print(f"  {'model':10s} {'adding':>7s} {'copy':>7s}  size")
    for kind in KINDS:
        models = [make_model(kind, *TASK_SIZES[task]) for task in TASK_SIZES]
        counts = [count_parameters(m) for m in models]
        if kind == "lru":
            blocks = [m.blocks[0].lru for m in models]
            size = ", ".join(f"width {b.d_model}, {b.hidden_size} complex states" for b in blocks)
        else:
            size = f"{HIDDEN[kind]} units"
        print(f"  {LABELS[kind]:10s} {counts[0]:7,d} {counts[1]:7,d}  {size}")
