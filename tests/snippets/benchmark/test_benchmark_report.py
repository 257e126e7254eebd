"""Reporting: one row per model and length over the seeds, the per-run CSV, figures, values."""

import csv
import math

import pytest
from support import expected_output

from rnnbook import benchmark as bt
from rnnbook import benchmark_report as br


def fake_runs() -> list[bt.Run]:
    """Hand-made results: two models, two lengths, three seeds each (no training needed)."""
    runs = []
    for seed, (slow, fast) in enumerate([(0.17, 0.0003), (0.16, 0.0005), (math.nan, 0.2)]):
        runs.append(bt.Run("tanh", 20, seed, 0.01, 4687, 1 / 6, [(100, 0.18), (200, slow)]))
        done = [(100, 0.05), (200, fast)] if fast < 0.008 else [(100, 0.1), (200, fast)]
        runs.append(bt.Run("lstm", 20, seed, 0.03, 4641, 1 / 6, done))
    return runs


def test_a_row_per_model_and_length_over_the_seeds():
    table = br.rows(bt.ADDING, fake_runs())
    assert [(r["model"], r["T"]) for r in table] == [("tanh RNN", "20"), ("LSTM", "20")]
    tanh, lstm = table
    assert tanh["solved"] == "0 of 3" and tanh["diverged"] == "1 of 3"
    assert tanh["loss / baseline: median (range)"] == "0.99 (0.96–1)"  # the two finite runs
    assert lstm["solved"] == "2 of 3" and lstm["diverged"] == "0 of 3"
    assert lstm["steps used: median"] == "200" and tanh["steps used: median"] == "200"


def test_copy_rows_add_recall_accuracy():
    run = bt.Run("gru", 100, 0, 0.1, 5781, bt.COPY.baseline(100), [(100, 0.1)], accuracy=0.317)
    row = br.rows(bt.COPY, [run])[0]
    assert row["recall accuracy (median)"] == "0.32"


def test_values_the_page_quotes():
    values = br.values(fake_runs())
    assert values["lstm_20_solved"] == 2 and values["lstm_20_steps"] == 200
    assert values["tanh_20_diverged"] == 1 and values["tanh_20_ratio"] == "0.99"
    assert values["tanh_20_seeds"] == 3


def test_markdown_and_read_table_round_trip(tmp_path):
    table = br.rows(bt.ADDING, fake_runs())
    assert br.read_table(br.markdown_table(table)) == table
    with pytest.raises(ValueError, match="no Markdown table"):
        br.read_table("no table here")


def test_the_csv_has_one_row_per_run(tmp_path):
    runs = fake_runs()
    br.write_csv(bt.ADDING, runs, str(tmp_path / "t.csv"))
    with open(tmp_path / "t.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(runs) and rows[1]["model"] == "LSTM" and rows[1]["seed"] == "0"
    assert rows[1]["solved at step"] == "200" and rows[0]["solved at step"] == ""


def test_the_thresholds_behind_the_verdicts():
    text = expected_output("benchmark/benchmark_report")
    assert "a run has solved the task when L < 0.05 B (it then stops)" in text
    assert "T = 100: B = 0.1667, solved below 0.00833" in text
