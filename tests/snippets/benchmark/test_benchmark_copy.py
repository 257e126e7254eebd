"""The copy task at T = 100, five seeds: only the LRU gets far below the baseline."""

from support import generated_output, generated_values

from rnnbook.benchmark_report import read_table


def test_the_lru_is_the_only_model_far_below_the_memoryless_baseline():
    values = generated_values("benchmark/benchmark_copy")
    assert float(values["lru_100_ratio"]) < 0.75
    assert float(values["lstm_100_ratio"]) > 0.85 and float(values["gru_100_ratio"]) > 0.8
    assert values["lstm_100_solved"] == values["gru_100_solved"] == 0


def test_recall_accuracy_beats_guessing_most_for_the_lru():
    rows = {r["model"]: r for r in read_table(generated_output("benchmark/benchmark_copy"))}
    accuracy = {m: float(r["recall accuracy (median)"]) for m, r in rows.items()}
    assert accuracy["LRU"] > 0.35 > accuracy["LSTM"]  # guessing: 1/8
    assert accuracy["LRU"] > accuracy["GRU"] > accuracy["LSTM"] - 0.05
