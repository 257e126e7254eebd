"""Long-range benchmark: two controls that single out the vanishing gradient, at T = 100.

The tanh RNN does not learn the adding problem at T = 100 (benchmark_adding_vanilla.py). Two
changes, each keeping everything else (length, budget, data, seeds), say why:
- the same network on sequences whose two marks both lie in the last 10 steps: the same
  length, the same task, a dependency of at most 10 steps;
- the same task with the recurrent matrix started orthogonal: every singular value 1, so
  the gradient reaching the early marks shrinks far more slowly.
If the first learns and the original does not, the length of the sequence is not the
problem; the distance the gradient has to travel is.

Run: python benchmark_controls.py   (a minute or two on one CPU thread). Prints the results;
writes benchmark_controls_table.md, .csv, .json, the figures and _timing.md.
"""

import dataclasses

from benchmark_report import run_and_report
from benchmark_train import ADDING, ADDING_LATE, ADDING_SETTINGS

# --8<-- [start:main]
AT_100 = dataclasses.replace(ADDING_SETTINGS, lengths=(100,))

if __name__ == "__main__":
    print("Control 1: the tanh RNN, both marks among the last 10 of the T = 100 steps")
    run_and_report(
        ADDING_LATE, AT_100, ("tanh",), "benchmark_controls_late", "Control: marks near the end"
    )
    print("\nControl 2: the adding problem as before, the tanh RNN started orthogonal")
    run_and_report(
        ADDING, AT_100, ("tanh_orth",), "benchmark_controls_orth", "Control: orthogonal start"
    )
# --8<-- [end:main]
