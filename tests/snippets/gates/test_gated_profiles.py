"""tanh RNN, LSTM and GRU before and after training: the outcomes and numbers the page states."""

import gated_profiles as gp
import pytest
import torch
from support import expected_output

pytestmark = pytest.mark.slow  # trains three small models, a few seconds


@pytest.fixture(scope="module")
def found():
    torch.set_num_threads(1)
    return gp.run()


def test_gated_models_solve_the_task_and_the_rnn_does_not(found):
    assert found["tanh RNN"]["steps"] == gp.MAX_STEPS
    assert found["tanh RNN"]["mse"] > 0.9 / 6  # still at the constant predictor's 1/6
    for kind in ("LSTM", "GRU"):
        assert found[kind]["mse"] < gp.SOLVED_MSE and found[kind]["steps"] < gp.MAX_STEPS


def test_every_model_vanishes_at_initialisation(found):
    for kind in gp.KINDS:
        assert found[kind]["init"]["h"][0] < 1e-5, kind
    assert found["LSTM"]["init"]["c"][0] < 1e-5
    # The default LSTM's h gradient falls even faster than the tanh RNN's.
    assert found["LSTM"]["init"]["h"][0] < found["tanh RNN"]["init"]["h"][0]


def test_training_opens_a_path_in_the_gated_models_only(found):
    assert found["tanh RNN"]["trained"]["h"][0] < 1e-4
    assert found["LSTM"]["trained"]["h"][0] > 1e-2
    assert found["LSTM"]["trained"]["c"][0] > 0.5
    assert found["GRU"]["trained"]["h"][0] > 0.1


def test_a_few_units_learn_to_keep(found):
    for kind in ("LSTM", "GRU"):
        (mean_0, top_0), (_, top_1) = found[kind]["kept"]
        assert abs(mean_0 - 0.5) < 0.02 and top_0 < 0.65  # about sigmoid(0) at init
        assert top_1 > 0.95  # after training, the most open unit keeps > 95% per step
    # The LSTM's AVERAGE forget gate even falls: it keeps in a few units, forgets in the rest.
    assert found["LSTM"]["kept"][1][0] < found["LSTM"]["kept"][0][0]


def test_monitor_verdicts(found):
    text = expected_output("gates/gated_profiles")
    assert "  tanh RNN  at init: vanishing  trained: vanishing" in text
    for kind in ("LSTM", "GRU"):
        assert f"  {kind:9s} at init: vanishing  trained: not vanishing" in text
        assert found[kind]["trained"]["h"][0] > gp.VANISHING_RATIO > found[kind]["init"]["h"][0]


def test_page_output(found):
    text = expected_output("gates/gated_profiles")
    for kind, row in found.items():
        assert (
            f"{kind:9s}  {row['steps']:5d}  {row['mse']:8.4f}  {row['mse'] < gp.SOLVED_MSE}" in text
        )
        line = f"{kind + ':':10s}||dL/dh_1|| / ||dL/dh_30||  {row['init']['h'][0]:8.1e}"
        assert line + f"  {row['trained']['h'][0]:8.1e}" in text
    c = found["LSTM"]
    assert (
        f"||dL/dc_1|| / ||dL/dc_30||  {c['init']['c'][0]:8.1e}  {c['trained']['c'][0]:8.1e}" in text
    )
    for kind in ("LSTM", "GRU"):
        (mean_0, top_0), (mean_1, top_1) = found[kind]["kept"]
        assert f"{kind:5s}{mean_0:17.3f}  {mean_1:7.3f}  {top_0:21.3f}  {top_1:7.3f}" in text


def test_plot_is_byte_stable(tmp_path, found):
    gp.plot(found, str(tmp_path / "a.svg"))
    gp.plot(found, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match="kind must be one of"):
        gp.make_model("elman")
    x, y = torch.zeros(2, 5, 2), torch.zeros(2)
    with pytest.raises(TypeError, match=r"expected an nn\.RNN"):
        gp.gradient_profile(torch.nn.Linear(2, 32), torch.nn.Linear(32, 1), x, y)
