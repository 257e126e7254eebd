"""Long-range benchmark, adding problem, part 1: the three vanilla RNNs at T = 20, 50, 100.

tanh RNN, tanh RNN with gradient clipping, and IRNN, trained exactly as the gated models
in benchmark_adding_gated.py (same batches, test set, steps and seed). The benchmark is
split in two files only so that the site's build can run the halves side by side.

Run: python benchmark_adding_vanilla.py   (about a minute on one CPU thread; uses the GPU
if there is one). Prints the results; writes benchmark_adding_vanilla_table.md, .csv,
.svg (final loss against T), _curves.svg (test loss against step) and _timing.md.
"""

from benchmark_report import run_and_report
from benchmark_train import ADDING, ADDING_SETTINGS

# --8<-- [start:main]
MODELS = ("tanh", "tanh_clip", "irnn")

if __name__ == "__main__":
    print("Adding problem, vanilla RNNs: predict the sum of the two marked values")
    print("Baseline: predicting 1 always scores MSE 1/6 = 0.1667 at every T")
    run_and_report(
        ADDING, ADDING_SETTINGS, MODELS, "benchmark_adding_vanilla", "Adding problem, vanilla RNNs"
    )
# --8<-- [end:main]
