"""The first chapter's numbers, exactly as the page states them."""

import norm_decay as nd
import numpy as np
import pytest
from support import expected_output

VANISH_PRINTED = ["0.032885", "0.000982", "0.000031", "0.000001", "0.000000", "0.000000"]
EXPLODE_PRINTED = ["2.08", "3.21", "5.14", "8.43", "14.03"]


def test_tanh_state_after_20_steps_matches_the_notes():
    h = nd.tanh_state(nd.W_STATE, nd.H0, nd.STATE_STEPS)
    assert np.array2string(h) == "[0.00605599 0.00302811]"
    # The state lines up with W's leading eigenvector (2, 1) and shrinks like 0.8^t.
    assert h[0] / h[1] == pytest.approx(2.0, abs=2e-4)
    before = nd.tanh_state(nd.W_STATE, nd.H0, nd.STATE_STEPS - 1)
    assert np.linalg.norm(h) / np.linalg.norm(before) == pytest.approx(0.8, rel=1e-3)


def test_vanishing_norms_every_5_steps():
    norms = nd.propagated_norms(nd.W_VANISH, 30)
    assert [f"{norms[t - 1]:.6f}" for t in range(5, 31, 5)] == VANISH_PRINTED
    # Printed as zero, but not zero: the real size at 25 and 30 steps.
    assert f"{norms[24]:.2e}" == "2.98e-08"
    assert f"{norms[29]:.2e}" == "9.31e-10"


def test_exploding_norms_every_2_steps():
    norms = nd.propagated_norms(nd.W_EXPLODE, 10)
    assert [f"{norms[t - 1]:.2f}" for t in range(2, 11, 2)] == EXPLODE_PRINTED


def test_norm_tends_to_spectral_radius_power():
    """The explanation on the page: norm(k) ~ rho^k, so norm(k)/norm(k-1) -> rho."""
    for W, rho in [(nd.W_VANISH, 0.5), (nd.W_EXPLODE, 1.3), (nd.scaled_rotation(1.1), 1.1)]:
        norms = nd.propagated_norms(W, 60)
        assert nd.spectral_radius(W) == pytest.approx(rho)
        assert norms[-1] / norms[-2] == pytest.approx(rho, rel=1e-6)
    # A scaled rotation keeps norm = sqrt(2) rho^k exactly.
    k = np.arange(1, 31)
    assert np.allclose(nd.propagated_norms(nd.scaled_rotation(0.9), 30), np.sqrt(2) * 0.9**k)


def test_page_output_holds_the_same_numbers():
    """The committed output the page shows carries exactly the numbers asserted above."""
    text = expected_output("first_look/norm_decay")
    assert "Hidden state after 20 steps: [0.00605599 0.00302811]" in text
    for t, value in zip(range(5, 31, 5), VANISH_PRINTED, strict=True):
        assert f"Norm after {t} steps (vanishing case): {value}" in text
    for t, value in zip(range(2, 11, 2), EXPLODE_PRINTED, strict=True):
        assert f"Norm after {t} steps (exploding case): {value}\n" in text
    assert "ρ = 0.9: a factor of 10 every 21.9 steps" in text
    assert "ρ = 1.1: a factor of 10 every 24.2 steps" in text


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: nd.propagated_norms(np.ones((2, 3)), 5), ValueError, "square"),
        (lambda: nd.propagated_norms(np.ones(3), 5), ValueError, "square"),
        (lambda: nd.propagated_norms(nd.W_VANISH, -1), ValueError, ">= 0"),
        (lambda: nd.propagated_norms(nd.W_VANISH, 2.5), TypeError, "integer"),
        (lambda: nd.propagated_norms(nd.W_VANISH, True), TypeError, "integer"),
        (lambda: nd.propagated_norms(np.array([[np.nan, 0], [0, 1]]), 5), ValueError, "NaN"),
        (lambda: nd.tanh_state(nd.W_STATE, [1.0, np.nan], 5), ValueError, "finite vector"),
        (lambda: nd.tanh_state(nd.W_STATE, [1.0, 0.0, 0.0], 5), ValueError, "length 2"),
        (lambda: nd.tanh_state(nd.W_STATE, nd.H0, -3), ValueError, ">= 0"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_zero_steps_is_allowed():
    assert nd.propagated_norms(nd.W_VANISH, 0).shape == (0,)
    assert np.array_equal(nd.tanh_state(nd.W_STATE, nd.H0, 0), nd.H0)
