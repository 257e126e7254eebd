"""Long-range benchmark: a control that asks whether the distance is what defeats the tanh RNN.

The tanh RNN does not learn the adding problem at T = 100 within the budget
(benchmark_adding_vanilla.py). The control keeps everything (network, length, budget,
learning rate, seeds) and moves both marks into the last 10 steps: the same length and the
same task, with a dependency of at most 10 steps. If the control is learned and the
original is not, the distance the gradient has to travel is the difference; if neither is
learned, the budget is too small for this network whatever the distance.

Run: python benchmark_controls.py   (about a minute on one CPU thread). Prints the results;
writes benchmark_controls_table.md, .csv, .json, the figures and _timing.md.
"""

import dataclasses

from rnnbook.benchmark import ADDING_LATE, ADDING_SETTINGS
from rnnbook.benchmark_report import run_and_report

# --8<-- [start:main]
AT_100 = dataclasses.replace(ADDING_SETTINGS, lengths=(100,))

if __name__ == "__main__":
    print("Control: the tanh RNN, both marks among the last 10 of the T = 100 steps")
    run_and_report(
        ADDING_LATE, AT_100, ("tanh",), "benchmark_controls", "Control: marks near the end"
    )
# --8<-- [end:main]
