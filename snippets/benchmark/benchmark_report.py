"""`python benchmark_report.py`: the thresholds behind every verdict of the benchmark.

The verdicts themselves are given by rnnbook/benchmark_report.py (tables, CSV, figures,
timing), which each benchmark_* file calls; the thresholds are rnnbook.benchmark's.
"""

from rnnbook.benchmark import (
    ADDING,
    ADDING_SETTINGS,
    AT_BASELINE_FRACTION,
    COPY,
    COPY_SETTINGS,
)
from rnnbook.protocol import SOLVED_FRACTION

if __name__ == "__main__":
    print("L is a run's test loss when it stopped, B the memoryless baseline of its T:")
    print(f"  a run has solved the task when L < {SOLVED_FRACTION:g} B (it then stops)")
    print(f"  L >= {AT_BASELINE_FRACTION:g} B means nothing long-range was learned")
    for task, settings in ((ADDING, ADDING_SETTINGS), (COPY, COPY_SETTINGS)):
        print(f"{task.name.capitalize()} task, test {task.loss_name}:")
        for t in settings.lengths:
            base = task.baseline(t)
            print(
                f"  T = {t:3d}: B = {base:.4f}, solved below {SOLVED_FRACTION * base:.5f}, "
                f"not learned from {AT_BASELINE_FRACTION * base:.4f}"
            )
