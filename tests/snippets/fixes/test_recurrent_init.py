"""Default, orthogonal and identity recurrent initialisation: spectra, gradient reach, training."""

import pytest
import recurrent_init as ri
import torch
from support import expected_output


def test_spectra_at_initialisation():
    default, _ = ri.make_model("default")
    eig, sv = ri.spectrum(default.weight_hh_l0)
    bound = 1 / ri.lrt.HIDDEN**0.5
    assert default.weight_hh_l0.abs().max() <= bound  # U(-1/sqrt(H), 1/sqrt(H))
    assert f"{sv[0]:.2f}" == "1.09" and f"{eig.abs().max():.2f}" == "0.66"
    orth, _ = ri.make_model("orthogonal")
    eig, sv = ri.spectrum(orth.weight_hh_l0)
    assert torch.allclose(sv, torch.ones(ri.lrt.HIDDEN, dtype=sv.dtype), atol=1e-5)
    assert torch.allclose(eig.abs(), torch.ones(ri.lrt.HIDDEN, dtype=sv.dtype), atol=1e-5)
    ident, _ = ri.make_model("identity")
    assert (
        torch.equal(ident.weight_hh_l0, torch.eye(ri.lrt.HIDDEN)) and ident.nonlinearity == "relu"
    )
    assert ident.bias_hh_l0.abs().max() == 0 and ident.bias_ih_l0.abs().max() == 0
    assert ident.weight_ih_l0.std().item() == pytest.approx(ri.INPUT_STD, rel=0.3)


def test_gradient_reach_at_init_orders_the_schemes():
    reach = {s: ri.step_norms(s)[0].item() for s in ri.SCHEMES}
    assert reach["default"] < 1e-7 < 1e-2 < reach["orthogonal"] < reach["identity"]
    # The page: "a hundred-millionth", "about a hundredth", "nearly half".
    assert 3e-9 < reach["default"] < 3e-8 and 0.005 < reach["orthogonal"] < 0.03
    assert 0.4 < reach["identity"] < 0.5


@pytest.mark.parametrize(
    ("scheme", "lr", "clip", "expected"),
    [
        ("default", 0.1, 1.0, "1.004"),
        ("orthogonal", 0.1, 1.0, "0.000"),
        ("orthogonal", 0.1, None, "NaN at 55"),
        ("identity", 0.01, 1.0, "0.054"),
    ],
)
def test_training_outcomes(scheme, lr, clip, expected):
    torch.set_num_threads(1)
    assert ri.outcome(ri.train(scheme, lr, clip)) == expected


def test_page_output():
    text = expected_output("fixes/recurrent_init")
    assert "W_hh at init: default (tanh) | σ_max: 1.09 | spectral radius: 0.66" in text
    assert "at init: 9.0e-09 | lr 0.01, clip 1: 1.001 | lr 0.1, clip 1: 1.004\n" in text
    assert "orthogonal (tanh) | σ_max: 1.00 | spectral radius: 1.00" in text
    assert "lr 0.1, clip 1: 0.000\n" in text
    assert "orthogonal (tanh), lr 0.1 without clipping: NaN at 55\n" in text
    assert (
        "identity (ReLU) | σ_max: 1.00 | spectral radius: 1.00 | ‖∂L/∂h₁‖ / ‖∂L/∂h₄₀‖ at init: 4.5e-01 | lr 0.01, clip 1: 0.054"
        in text
    )
    for scheme in ri.SCHEMES:
        assert f"{ri.LABELS[scheme]} |" in text and f"{ri.step_norms(scheme)[0]:.1e}" in text


def test_bad_scheme():
    with pytest.raises(ValueError, match="scheme must be one of"):
        ri.make_model("xavier")


def test_plot_is_byte_stable(tmp_path):
    ri.plot(str(tmp_path / "a.svg"))
    ri.plot(str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
