"""Default, orthogonal and identity recurrent initialisation: spectra, gradient reach, training."""

import re

import pytest
import recurrent_init as ri
import torch
from support import generated_output, generated_values

from rnnbook import recall


def test_spectra_at_initialisation():
    default, _ = ri.make_model("default")
    eig, sv = ri.spectrum(default.weight_hh_l0)
    bound = 1 / recall.HIDDEN**0.5
    assert default.weight_hh_l0.abs().max() <= bound  # U(-1/sqrt(H), 1/sqrt(H))
    assert 1.0 < sv[0] < 1.2 and 0.5 < eig.abs().max() < 0.8  # random-matrix theory: 1.15, 0.58
    orth, _ = ri.make_model("orthogonal")
    eig, sv = ri.spectrum(orth.weight_hh_l0)
    assert torch.allclose(sv, torch.ones(recall.HIDDEN, dtype=sv.dtype), atol=1e-5)
    assert torch.allclose(eig.abs(), torch.ones(recall.HIDDEN, dtype=sv.dtype), atol=1e-5)
    ident, _ = ri.make_model("identity")
    assert (
        torch.equal(ident.weight_hh_l0, torch.eye(recall.HIDDEN)) and ident.nonlinearity == "relu"
    )
    assert ident.bias_hh_l0.abs().max() == 0 and ident.bias_ih_l0.abs().max() == 0
    assert ident.weight_ih_l0.std().item() == pytest.approx(ri.INPUT_STD, rel=0.3)


def test_gradient_reach_at_init_orders_the_schemes():
    reach = {s: ri.step_norms(s)[0].item() for s in ri.SCHEMES}
    assert reach["default"] < 1e-7 < 1e-2 < reach["orthogonal"] < reach["identity"]
    # The page: "a hundred-millionth", "about a hundredth", "nearly half".
    assert 3e-9 < reach["default"] < 3e-8 and 0.005 < reach["orthogonal"] < 0.03
    assert 0.4 < reach["identity"] < 0.5


@pytest.fixture(scope="module")
def values() -> dict:
    return generated_values("fixes/recurrent_init")


def test_the_default_start_never_solves_the_task_at_either_rate(values):
    """Over five seeds and both learning rates: the page's 'none of 5 seeds'."""
    assert values["seeds"] == 5
    assert values["default_lr001_solved"] == values["default_lr01_solved"] == 0


def test_the_orthogonal_start_solves_it_in_most_seeds(values):
    assert values["orthogonal_lr001_solved"] + values["orthogonal_lr01_solved"] >= 5  # of 10
    assert max(values["orthogonal_lr001_solved"], values["orthogonal_lr01_solved"]) >= 3


def test_the_identity_start_learns_partly_only_at_the_low_rate():
    text = generated_output("fixes/recurrent_init")
    identity = next(line for line in text.splitlines() if line.startswith("identity (ReLU)"))
    low, high = [float(m) for m in re.findall(r"median loss ([\d.]+)", identity)]
    assert low < 0.3 < 0.9 < high  # partly learned at lr 0.01, nothing at lr 0.1


def test_without_clipping_the_orthogonal_start_overflows_in_some_seeds(values):
    assert values["unclipped_nonfinite"] >= 1


def test_page_ratios_match_the_gradient_reach(values):
    assert values["default_ratio"].endswith(("e-09", "e-08", "e-10"))
    assert values["orthogonal_ratio"].endswith(("e-02", "e-03"))
    assert values["identity_ratio"].endswith("e-01")


def test_bad_scheme():
    with pytest.raises(ValueError, match="scheme must be one of"):
        ri.make_model("xavier")
