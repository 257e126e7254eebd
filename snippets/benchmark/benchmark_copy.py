"""Long-range benchmark, copy-memory task: all five models at T = 20, 50, 100.

The same models, optimiser, learning rates and seed as the adding problem, with fewer
steps (the copy task costs more per step: T + 20 outputs per sequence). The loss is the
cross-entropy per step over the whole sequence, so the memoryless baseline is
10 ln 8 / (T + 20); recall accuracy counts the ten recalled symbols only.

Run: python benchmark_copy.py   (about a minute on one CPU thread; uses the GPU if there
is one). Prints the results; writes benchmark_copy_table.md, .csv, .svg,
_curves.svg and _timing.md.
"""

from benchmark_models import KINDS
from benchmark_report import run_and_report
from benchmark_train import COPY, COPY_SETTINGS
from copy_task import memoryless_baseline

# --8<-- [start:main]
if __name__ == "__main__":
    print("Copy-memory task: recall 10 symbols (8 categories) after a delay of T steps")
    baselines = ", ".join(f"{memoryless_baseline(t):.4f} (T = {t})" for t in COPY_SETTINGS.lengths)
    print(f"Baseline: memoryless cross-entropy 10 ln 8 / (T + 20) = {baselines}")
    print("Recall accuracy by guessing: 1/8 = 0.125")
    run_and_report(COPY, COPY_SETTINGS, KINDS, "benchmark_copy", "Copy task, all five models")
# --8<-- [end:main]
