"""Long-range benchmark, adding problem, part 1: the tanh RNN at T = 20 and 100.

Trained exactly as the gated models in benchmark_adding_gated.py (same batches for a seed,
same test sets, same budget), five seeds each. The benchmark is split over several files
only so that the site's build can run them side by side.

Run: python benchmark_adding_vanilla.py   (about a minute on one CPU thread). Prints the
results; writes benchmark_adding_vanilla_table.md, .csv (one row per run), .svg (final loss
against T), _curves.svg (test loss against step), .json (the numbers the page quotes) and
_timing.md.
"""

from rnnbook.benchmark import ADDING, ADDING_SETTINGS
from rnnbook.benchmark_report import run_and_report

# --8<-- [start:main]
MODELS = ("tanh",)

if __name__ == "__main__":
    print("Adding problem, the tanh RNN: predict the sum of the two marked values")
    print("Baseline: predicting 1 always scores MSE 1/6 = 0.1667 at every T")
    run_and_report(
        ADDING, ADDING_SETTINGS, MODELS, "benchmark_adding_vanilla", "Adding problem, tanh RNN"
    )
# --8<-- [end:main]
