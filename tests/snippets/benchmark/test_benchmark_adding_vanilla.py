"""The tanh RNN on the adding problem, five seeds: the claims of the benchmark page."""

import benchmark_adding_vanilla as vanilla
from support import generated_output, generated_values

from rnnbook.benchmark_report import read_table


def test_the_tanh_rnn_learns_neither_length_within_the_budget():
    values = generated_values("benchmark/benchmark_adding_vanilla")
    assert vanilla.MODELS == ("tanh",)
    assert values["tanh_100_solved"] == 0 and values["tanh_20_solved"] <= 1
    assert float(values["tanh_100_ratio"]) >= 0.9  # at the baseline
    assert values["tanh_100_steps"] == 600  # every run used the whole budget


def test_every_row_is_on_five_seeds():
    rows = read_table(generated_output("benchmark/benchmark_adding_vanilla"))
    assert [(r["model"], r["T"]) for r in rows] == [("tanh RNN", "20"), ("tanh RNN", "100")]
    assert all(r["solved"].endswith("of 5") and r["diverged"].endswith("of 5") for r in rows)
