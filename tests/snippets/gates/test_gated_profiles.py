"""tanh RNN, LSTM and GRU before and after training, over five seeds: the claims the page
makes, read from the output this build produced (the training runs once, in the runner)."""

import gated_profiles as gp
import numpy as np
import pytest
import torch
from support import generated_output, generated_values


@pytest.fixture(scope="module")
def values():
    return generated_values("gates/gated_profiles")


def test_five_seeds_or_more(values):
    assert values["seeds"] == len(gp.SEEDS) >= 5


def test_gated_models_solve_the_task_and_the_rnn_does_not(values):
    assert values["solved_RNN"] == 0
    assert values["rnn_mse"] > 0.9 / 6  # still at the constant predictor's 1/6
    assert values["solved_GRU"] == values["seeds"]
    assert values["solved_LSTM"] >= 1  # the default LSTM: some runs, not all (the page)
    assert values["median_steps_GRU"] < gp.MAX_STEPS and values["median_steps_LSTM"] < gp.MAX_STEPS


def test_every_model_vanishes_at_initialisation(values):
    for key in ("RNN", "LSTM", "GRU"):
        assert values[f"vanishing_init_{key}"] == values["seeds"], key


def test_every_solved_run_has_opened_a_path(values):
    """In each solved run R rose above the monitor's threshold, by orders of magnitude."""
    text = generated_output("gates/gated_profiles")
    assert "(0 of the 5 solved runs)" in text  # GRU: no solved run still vanishing
    lstm = text.split("  LSTM      at init")[1].splitlines()[0]
    assert lstm.endswith(f"(0 of the {values['solved_LSTM']} solved runs)")
    assert values["trained_ratio_GRU_h"] > 100 * gp.VANISHING_RATIO
    assert values["trained_ratio_LSTM_c"] > 0.3  # the cell path: flat across the sequence


def test_the_trained_rnn_never_solves_and_often_still_vanishes(values):
    """No RNN run solves; in some of them the gradient still vanishes after training, and in
    none does R come anywhere near 1 (the page states the largest value)."""
    assert values["solved_RNN"] == 0
    assert 1 <= values["vanishing_trained_RNN"] <= values["seeds"]
    assert values["rnn_log10_max"] < -0.5


def test_a_few_units_learn_to_keep(values):
    for kind in ("LSTM", "GRU"):
        assert abs(values[f"keep_init_{kind}"] - 0.5) < 0.02  # about sigmoid(0) at init
        top = float(values[f"top_keep_min_{kind}"].rstrip("%"))
        assert top > 90  # the most open unit keeps more than 90% per step
    # The LSTM's AVERAGE forget gate even falls: it keeps in a few units, forgets in the rest.
    assert values["keep_trained_LSTM"] < values["keep_init_LSTM"] - 0.05


def test_monitor_threshold_is_the_diagnosis_chapters():
    grad_monitor = pytest.importorskip("grad_monitor")
    if hasattr(grad_monitor, "VANISHING_RATIO"):
        assert grad_monitor.VANISHING_RATIO == gp.VANISHING_RATIO


def test_profiles_at_initialisation_fall_geometrically():
    """Cheap and deterministic: one seed's profiles at init, no training."""
    test = gp.as_tensors(*gp.adding_batch(np.random.default_rng(1000), gp.PROBE_SIZE, gp.T))
    for kind in gp.KINDS:
        layer, readout = gp.make_model(kind, 0)
        profile = gp.gradient_profile(layer, readout, *test)
        assert profile["h"][-1] == 1.0 and profile["h"][0] < gp.VANISHING_RATIO, kind
        assert set(profile) == ({"h", "c"} if kind == "LSTM" else {"h"})


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="kind must be one of"):
        gp.make_model("elman")
    x, y = torch.zeros(2, 5, 2), torch.zeros(2)
    with pytest.raises(TypeError, match=r"expected an nn\.RNN"):
        gp.gradient_profile(torch.nn.Linear(2, 32), torch.nn.Linear(32, 1), x, y)
