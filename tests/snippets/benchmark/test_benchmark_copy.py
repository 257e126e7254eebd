"""All five models on the copy-memory task: the committed output of the real run.

The benchmark itself is not re-run here (it runs once per build, and the build fails if
its stdout differs from tests/expected/benchmark/benchmark_copy.txt). These tests read
that committed output and check the outcomes the page states.
"""

import benchmark_models as bm
import pytest
from benchmark_report import number, read_table
from benchmark_train import COPY_SETTINGS
from copy_task import memoryless_baseline
from support import expected_output

TEXT = expected_output("benchmark/benchmark_copy")
ROWS = read_table(TEXT)


def row(model: str, length: int) -> dict[str, str]:
    (found,) = [r for r in ROWS if r["model"] == model and r["T"] == str(length)]
    return found


def test_the_page_shows_the_seven_lines_above_the_table():
    assert TEXT.splitlines()[7].startswith("| model |")  # docs/benchmark.md includes 1:7


def test_every_model_and_length_is_reported_beside_its_baseline():
    assert [(r["model"], r["T"]) for r in ROWS] == [
        (bm.LABELS[k], str(t)) for t in COPY_SETTINGS.lengths for k in bm.KINDS
    ]
    for r in ROWS:
        assert r["baseline"] == number(memoryless_baseline(int(r["T"])))
    assert "10 ln 8 / (T + 20) = 0.5199 (T = 20), 0.2971 (T = 50), 0.1733 (T = 100)" in TEXT
    assert "Adam, batch 32, 400 steps, seed 0" in TEXT


def test_no_model_solves_the_copy_task_within_the_budget():
    assert all(r["verdict"] != "solved" and r["solved at step"] == "—" for r in ROWS)


@pytest.mark.parametrize("length", COPY_SETTINGS.lengths)
def test_only_the_gru_gets_clearly_below_the_baseline(length):
    gru = row("GRU", length)
    assert float(gru["loss / baseline"]) < 0.95 and float(gru["recall accuracy"]) > 0.2
    for model in ("tanh RNN", "tanh RNN + clip", "IRNN", "LSTM"):
        r = row(model, length)
        assert float(r["loss / baseline"]) >= 0.95
        assert float(r["recall accuracy"]) <= 0.15  # guessing scores 1/8


def test_the_tanh_rnn_never_names_the_right_symbol_at_longer_delays():
    assert row("tanh RNN", 50)["recall accuracy"] == row("tanh RNN", 100)["recall accuracy"]
    assert row("tanh RNN", 100)["recall accuracy"] == "0.000"


def test_the_lstm_sits_on_the_baseline():
    for length in COPY_SETTINGS.lengths:
        assert 0.95 <= float(row("LSTM", length)["loss / baseline"]) <= 1.05


@pytest.mark.parametrize("model", ["tanh RNN", "tanh RNN + clip", "IRNN"])
def test_vanilla_rnns_end_above_the_baseline_at_longer_delays(model):
    assert float(row(model, 20)["loss / baseline"]) <= 1.1
    for length in (50, 100):
        assert float(row(model, length)["loss / baseline"]) > 1.5


def test_table_columns_are_consistent():
    for r in ROWS:
        base = memoryless_baseline(int(r["T"]))
        ratio = float(r["test cross-entropy"]) / base
        assert float(r["loss / baseline"]) == pytest.approx(ratio, rel=0.06)
        assert 0.0 <= float(r["recall accuracy"]) <= 1.0
