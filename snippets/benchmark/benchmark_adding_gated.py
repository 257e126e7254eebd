"""Long-range benchmark, adding problem, part 2: the LSTM and the GRU at T = 20 and 100.

Trained exactly as the vanilla RNNs in benchmark_adding_vanilla.py (same batches for a
seed, same test sets, same budget), five seeds each.

Run: python benchmark_adding_gated.py   (a minute or two on one CPU thread). Prints the
results; writes benchmark_adding_gated_table.md, .csv (one row per run), .svg, _curves.svg,
.json (the numbers the page quotes) and _timing.md.
"""

from rnnbook.benchmark import ADDING, ADDING_SETTINGS
from rnnbook.benchmark_report import run_and_report

# --8<-- [start:main]
MODELS = ("lstm", "gru")

if __name__ == "__main__":
    print("Adding problem, gated RNNs: predict the sum of the two marked values")
    print("Baseline: predicting 1 always scores MSE 1/6 = 0.1667 at every T")
    run_and_report(
        ADDING, ADDING_SETTINGS, MODELS, "benchmark_adding_gated", "Adding problem, LSTM and GRU"
    )
# --8<-- [end:main]
