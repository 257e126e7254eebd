"""The LSTM and the GRU on the adding problem, five seeds: the claims of the benchmark page."""

from support import generated_values


def test_both_gated_models_solve_the_short_problem():
    values = generated_values("benchmark/benchmark_adding_gated")
    assert values["lstm_20_solved"] >= 4 and values["gru_20_solved"] >= 3


def test_at_t_100_the_gru_solves_most_seeds_and_the_lstm_is_still_on_its_plateau():
    values = generated_values("benchmark/benchmark_adding_gated")
    assert values["gru_100_solved"] >= 2
    assert values["lstm_100_solved"] <= 1 and float(values["lstm_100_ratio"]) > 0.8
