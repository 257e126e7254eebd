"""Long-range benchmark, copy-memory task: recall ten symbols after a delay of T = 100 steps.

The same protocol as the adding problem (Adam, a run stops once solved, five seeds), with
fewer steps: a copy sequence is T + 20 steps long with an output at every step, so a step
costs more. The loss is the cross-entropy per step over the whole sequence, so the
memoryless baseline is 10 ln 8 / (T + 20); recall accuracy counts the ten recalled symbols.

Run: python benchmark_copy.py   (a few minutes on one CPU thread). Prints the results;
writes benchmark_copy_table.md, .csv (one row per run), .svg, _curves.svg, .json and
_timing.md.
"""

from rnnbook.benchmark import COPY, COPY_SETTINGS
from rnnbook.benchmark_report import run_and_report
from rnnbook.copying import memoryless_baseline

# --8<-- [start:main]
MODELS = ("lstm", "gru", "lru")

if __name__ == "__main__":
    print("Copy-memory task: recall 10 symbols (8 categories) after a delay of T steps")
    baselines = ", ".join(f"{memoryless_baseline(t):.4f} (T = {t})" for t in COPY_SETTINGS.lengths)
    print(f"Baseline: memoryless cross-entropy 10 ln 8 / (T + 20) = {baselines}")
    print("Recall accuracy by guessing: 1/8 = 0.125")
    run_and_report(COPY, COPY_SETTINGS, MODELS, "benchmark_copy", "Copy task")
# --8<-- [end:main]
