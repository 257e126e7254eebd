"""The three vanilla RNNs on the adding problem: the committed output of the real run.

The benchmark itself is not re-run here (it runs once per build, and the build fails if
its stdout differs from tests/expected/benchmark/benchmark_adding_vanilla.txt). These
tests read that committed output and check the outcomes the page states.
"""

import re

import benchmark_adding_gated as gated
import benchmark_adding_vanilla as vanilla
import benchmark_models as bm
import pytest
from benchmark_report import read_table
from benchmark_train import ADDING_SETTINGS, AT_BASELINE_FRACTION
from support import expected_output

TEXT = expected_output("benchmark/benchmark_adding_vanilla")
ROWS = read_table(TEXT)
BASELINE = 1 / 6


def row(model: str, length: int) -> dict[str, str]:
    (found,) = [r for r in ROWS if r["model"] == model and r["T"] == str(length)]
    return found


def test_the_two_halves_cover_all_five_models():
    assert vanilla.MODELS == ("tanh", "tanh_clip", "irnn")
    assert vanilla.MODELS + gated.MODELS == bm.KINDS


def test_the_page_shows_the_six_lines_above_the_table():
    assert TEXT.splitlines()[6].startswith("| model |")  # docs/benchmark.md includes 1:6


def test_every_model_and_length_is_reported_beside_the_baseline():
    assert [(r["model"], r["T"]) for r in ROWS] == [
        (bm.LABELS[k], str(t)) for t in ADDING_SETTINGS.lengths for k in vanilla.MODELS
    ]
    assert all(r["baseline"] == "0.167" for r in ROWS)
    assert "Baseline: predicting 1 always scores MSE 1/6 = 0.1667 at every T" in TEXT
    assert "Gradient-norm clipping at 1 for tanh RNN + clip, IRNN" in TEXT


@pytest.mark.parametrize("model", ["tanh RNN", "tanh RNN + clip"])
def test_the_tanh_rnn_stays_at_the_baseline_at_t_100(model):
    """The literature's result: with or without clipping, nothing long-range is learned."""
    r = row(model, 100)
    assert float(r["loss / baseline"]) >= AT_BASELINE_FRACTION
    assert float(r["test MSE"]) >= AT_BASELINE_FRACTION * BASELINE
    assert r["verdict"] == "not learned"


def test_no_vanilla_rnn_solves_any_length():
    assert all(r["verdict"] != "solved" and r["solved at step"] == "—" for r in ROWS)


def test_tanh_rnn_does_not_learn_even_at_t_20():
    assert row("tanh RNN", 20)["verdict"] == "not learned"


def test_irnn_partly_learns_the_shortest_length_only():
    assert row("IRNN", 20)["verdict"] == "partly learned"
    assert row("IRNN", 50)["verdict"] == row("IRNN", 100)["verdict"] == "not learned"


def test_tanh_rnn_at_t_100_scores_what_predicting_1_scores_on_the_test_set():
    line = next(ln for ln in TEXT.splitlines() if ln.startswith("The memoryless predictor"))
    constant = float(re.search(r"([\d.]+) \(T = 100\)", line)[1])
    assert float(row("tanh RNN", 100)["test MSE"]) == pytest.approx(constant, abs=0.005)


def test_table_columns_are_consistent():
    for r in ROWS:
        assert float(r["loss / baseline"]) == pytest.approx(
            float(r["test MSE"]) / BASELINE, rel=0.06
        )
        assert r["parameters"] == "4687"
