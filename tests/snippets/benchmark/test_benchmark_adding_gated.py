"""LSTM and GRU on the adding problem: the committed output of the real run says they solve it.

The benchmark itself is not re-run here (it runs once per build, and the build fails if
its stdout differs from tests/expected/benchmark/benchmark_adding_gated.txt). These tests
read that committed output and check the outcomes the page states.
"""

import benchmark_adding_gated as gated
import benchmark_models as bm
import pytest
from benchmark_report import read_table
from benchmark_train import ADDING_SETTINGS, SOLVED_FRACTION
from support import expected_output

TEXT = expected_output("benchmark/benchmark_adding_gated")
ROWS = read_table(TEXT)
BASELINE = 1 / 6


def row(model: str, length: int) -> dict[str, str]:
    (found,) = [r for r in ROWS if r["model"] == model and r["T"] == str(length)]
    return found


def test_the_page_shows_the_six_lines_above_the_table():
    assert TEXT.splitlines()[6].startswith("| model |")  # docs/benchmark.md includes 1:6


def test_every_model_and_length_is_reported_beside_the_baseline():
    assert gated.MODELS == ("lstm", "gru")
    assert [(r["model"], r["T"]) for r in ROWS] == [
        (bm.LABELS[k], str(t)) for t in ADDING_SETTINGS.lengths for k in gated.MODELS
    ]
    assert all(r["baseline"] == "0.167" for r in ROWS)
    assert "Baseline: predicting 1 always scores MSE 1/6 = 0.1667 at every T" in TEXT
    assert "No model in this run clips its gradients" in TEXT
    assert "Adam, batch 32, 1500 steps, seed 0; learning rates: LSTM 0.03, GRU 0.03" in TEXT


@pytest.mark.parametrize("model", ["LSTM", "GRU"])
def test_lstm_and_gru_solve_the_adding_problem_at_t_100(model):
    """The literature's result: MSE below 5% of the 1/6 baseline at T = 100."""
    r = row(model, 100)
    assert float(r["test MSE"]) < SOLVED_FRACTION * BASELINE
    assert float(r["loss / baseline"]) < SOLVED_FRACTION
    assert r["verdict"] == "solved" and r["solved at step"] != "—"


@pytest.mark.parametrize("length", [20, 50])
def test_they_solve_the_shorter_lengths_too(length):
    assert row("LSTM", length)["verdict"] == row("GRU", length)["verdict"] == "solved"


def test_the_gru_leaves_the_baseline_first_and_the_lstm_later_for_longer_t():
    lstm = [int(row("LSTM", t)["solved at step"]) for t in ADDING_SETTINGS.lengths]
    gru = [int(row("GRU", t)["solved at step"]) for t in ADDING_SETTINGS.lengths]
    assert lstm == sorted(lstm) and lstm[0] < lstm[-1]
    assert all(g < m for g, m in zip(gru, lstm, strict=True))
    assert lstm[-1] <= ADDING_SETTINGS.steps - 300  # margin: solved well before the end


def test_table_columns_are_consistent():
    for r in ROWS:
        mse, ratio = float(r["test MSE"]), float(r["loss / baseline"])
        assert ratio == pytest.approx(mse / BASELINE, rel=0.06)
        kind = next(k for k, label in bm.LABELS.items() if label == r["model"])
        assert r["parameters"] == str(bm.count_parameters(bm.Recurrent(kind, 2, 1)))
