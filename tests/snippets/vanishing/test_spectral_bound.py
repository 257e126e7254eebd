"""The Pascanu et al. bound, property-based; and the counterexamples to the eigenvalue test."""

import itertools

import numpy as np
import pytest
import spectral_bound as sb
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from support import expected_output

floats = st.floats(-20, 20, allow_nan=False, allow_infinity=False)


@st.composite
def rnn_steps(draw):
    """A random square W (any scale), an activation and a run of pre-activations."""
    n = draw(st.integers(1, 6))
    W = draw(arrays(np.float64, (n, n), elements=st.floats(-5, 5, allow_nan=False)))
    steps = draw(st.integers(1, 15))
    zs = draw(arrays(np.float64, (steps, n), elements=floats))
    return W, zs, draw(st.sampled_from(sorted(sb.GAMMA)))


@settings(max_examples=300, deadline=None)
@given(rnn_steps())
def test_jacobian_products_never_beat_the_bound(case):
    W, zs, activation = case
    product = np.linalg.norm(sb.jacobian_product(W, zs, activation), 2)
    limit = sb.bound(W, len(zs), activation)
    assert product <= limit * (1 + 1e-9) + 1e-300


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 8), st.integers(1, 30), st.floats(0.1, 8.0), st.integers(0, 2**32 - 1))
def test_the_bound_is_tight_for_sigmoid_at_zero_with_a_scaled_orthogonal_matrix(n, steps, s, seed):
    Q = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))[0]
    product = np.linalg.norm(sb.jacobian_product(s * Q, np.zeros((steps, n)), "sigmoid"), 2)
    assert product == pytest.approx((s / 4) ** steps, rel=1e-9)


def test_random_rnns_obey_the_bound():
    ratios = sb.random_rnn_ratios(trials=20, steps=12, hidden=5, seed=7)
    assert len(ratios) == 20 * 12 * 13 // 2
    assert ratios.max() <= 1 + 1e-12
    assert np.median(ratios) < 0.1  # usually far from tight


def test_nilpotent_matrix_products_grow_while_its_powers_vanish():
    W = sb.W_NILPOTENT
    assert np.allclose(np.linalg.eigvals(W), 0)
    assert np.allclose(np.linalg.svd(W, compute_uv=False), [16, 0])
    assert np.array_equal(W @ W, np.zeros((2, 2)))
    b, h, z = sb.resting_state()
    assert np.allclose(np.tanh(W @ h + b), h, atol=1e-15)  # h* really is a resting state
    assert np.allclose(W @ h + b, z)
    J = sb.slope(z, "tanh")[:, None] * W
    assert max(np.linalg.eigvals(J).real) == pytest.approx(
        8 * (1 - np.tanh(3.0) ** 2 * 0 - (1 - np.tanh(3.0) ** 2))
    )
    norms = [np.linalg.norm(sb.jacobian_product(W, [z] * k, "tanh"), 2) for k in range(1, 11)]
    assert all(b > 7.9 * a for a, b in itertools.pairwise(norms))  # x 7.92 per step
    assert norms[-1] > 1e9
    for k, value in enumerate(norms, start=1):
        assert value <= 16.0**k  # the singular-value bound still holds


def test_nonnormal_matrix_grows_for_many_steps_despite_radius_095():
    norms = sb.power_norms(sb.W_NONNORMAL, 2000)
    assert np.allclose(np.abs(np.linalg.eigvals(sb.W_NONNORMAL)), 0.95)
    assert norms.argmax() == 19 and norms.max() > 15
    assert np.nonzero(norms > 1)[0].max() == 105
    assert norms[2000] ** (1 / 2000) == pytest.approx(0.95, abs=0.005)
    normal = sb.power_norms(sb.W_NORMAL, 50)
    assert np.all(np.diff(normal) < 0)  # the normal matrix decays from the first step


def test_page_output():
    text = expected_output("vanishing/spectral_bound")
    ratios = sb.random_rnn_ratios(trials=sb.TRIALS, steps=20, hidden=8)
    assert f"= {ratios.max():.3f}  (never above 1)" in text and ratios.max() <= 1
    assert f"= {np.median(ratios):.1e}" in text
    assert "||product|| = 1.000000" in text
    assert "eigenvalues: [0. 0.]" in text and "singular values: [16.  0.]" in text
    assert "W @ W = [[0.0, 0.0], [0.0, 0.0]]" in text
    assert "has eigenvalues [0.     7.9211]" in text
    assert "n = 10: ||J^n|| = 1.389e+09   ||W^n|| =  0.0" in text
    assert "peaks at 15.10 for n = 19, stays above 1 until n = 105" in text
    assert "every entry 0.5: sigma_max = 32.0" in text
    assert "entries in (-0.9, 0.9): sigma_max = 7.9" in text


def test_entries_below_one_do_not_bound_the_norm():
    M = np.full((64, 64), 0.5)
    assert np.abs(M).max() < 1 and np.linalg.norm(M, 2) == pytest.approx(32)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sb.jacobian_product(np.ones((2, 3)), np.zeros((1, 2)), "tanh"), "square"),
        (
            lambda: sb.jacobian_product(np.eye(2), np.zeros((3, 4)), "tanh"),
            r"zs must have shape \(n, 2\)",
        ),
        (lambda: sb.jacobian_product(np.eye(2), np.zeros((3, 2)), "gelu"), "activation"),
        (lambda: sb.bound(np.array([[np.nan]]), 3, "tanh"), "NaN"),
        (lambda: sb.power_norms(np.ones(3), 3), "square"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
