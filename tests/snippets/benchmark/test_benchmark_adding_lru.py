"""The LRU on the adding problem, five seeds: the claims of the benchmark page."""

import benchmark_adding_lru as lru_file
from support import generated_values


def test_the_lru_solves_the_short_problem_and_not_yet_the_long_one():
    values = generated_values("benchmark/benchmark_adding_lru")
    assert lru_file.MODELS == ("lru",)
    assert values["lru_20_solved"] >= 1  # the page quotes the count
    # "the LSTM, the LRU and the tanh RNN are still at the baseline" at T = 100
    assert values["lru_100_solved"] == 0 and float(values["lru_100_ratio"]) > 0.8
