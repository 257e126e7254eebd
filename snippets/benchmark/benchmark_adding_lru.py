"""Long-range benchmark, adding problem, part 3: the LRU at T = 20 and 100.

The linear recurrent unit of the chapter on linear recurrences (lru.py), one block, sized
like the other models, trained exactly as they are (same batches for a seed, same test
sets, same budget), five seeds.

Run: python benchmark_adding_lru.py   (a minute or two on one CPU thread). Prints the
results; writes benchmark_adding_lru_table.md, .csv (one row per run), .svg, _curves.svg,
.json (the numbers the page quotes) and _timing.md.
"""

from rnnbook.benchmark import ADDING, ADDING_SETTINGS
from rnnbook.benchmark_report import run_and_report

# --8<-- [start:main]
MODELS = ("lru",)

if __name__ == "__main__":
    print("Adding problem, the LRU: predict the sum of the two marked values")
    print("Baseline: predicting 1 always scores MSE 1/6 = 0.1667 at every T")
    run_and_report(ADDING, ADDING_SETTINGS, MODELS, "benchmark_adding_lru", "Adding problem, LRU")
# --8<-- [end:main]
