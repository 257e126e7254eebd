"""The adding problem's generator and its two baselines, exactly and empirically."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import expected_output

from rnnbook import adding as at


def test_batch_layout():
    x, y = at.adding_batch(np.random.default_rng(0), batch=64, length=30)
    assert x.shape == (64, 30, 2) and x.dtype == np.float32
    assert y.shape == (64,) and y.dtype == np.float32
    values, markers = x[..., 0], x[..., 1]
    assert values.min() >= 0.0 and values.max() < 1.0
    assert set(np.unique(markers)) == {0.0, 1.0}
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :15].sum(axis=1) == 1)  # one marker in each half
    assert np.allclose(y, (values * markers).sum(axis=1))


@settings(max_examples=50, deadline=None)
@given(batch=st.integers(1, 20), length=st.integers(2, 120), seed=st.integers(0, 2**32 - 1))
def test_one_marker_per_half_and_target_is_their_sum(batch, length, seed):
    x, y = at.adding_batch(np.random.default_rng(seed), batch, length)
    half = length // 2
    assert np.all(x[:, :half, 1].sum(axis=1) == 1)
    assert np.all(x[:, half:, 1].sum(axis=1) == 1)
    np.testing.assert_allclose(y, (x[..., 0] * x[..., 1]).sum(axis=1), rtol=1e-6)


def test_same_seed_same_batch():
    a = at.adding_batch(np.random.default_rng(3), 8, 20)
    b = at.adding_batch(np.random.default_rng(3), 8, 20)
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))


def test_baselines_exactly():
    """1/6 from the moments, and again from the triangular density of U1 + U2 - 1."""
    assert at.constant_baseline_mse() == Fraction(1, 6)
    assert at.one_value_mse() == Fraction(1, 12)
    # S = U1 + U2 - 1 has density 1 - |s| on [-1, 1]: E[S^2] = 2 * (1/3 - 1/4).
    assert 2 * (Fraction(1, 3) - Fraction(1, 4)) == at.constant_baseline_mse()
    assert 2 * at.one_value_mse() == at.constant_baseline_mse()


def test_baselines_empirically():
    """Within four standard errors on 200,000 sequences; and 1 is the best constant."""
    n = 200_000
    x, y = at.adding_batch(np.random.default_rng(11), n, 20)
    err_const = (y - 1.0) ** 2
    assert abs(err_const.mean() - 1 / 6) < 4 * err_const.std() / np.sqrt(n)
    later = x[:, 10:, 0][x[:, 10:, 1] == 1]
    err_one = (y - later - 0.5) ** 2
    assert abs(err_one.mean() - 1 / 12) < 4 * err_one.std() / np.sqrt(n)
    for constant in (0.9, 1.1):
        assert np.mean((y - constant) ** 2) > err_const.mean()


def test_page_output_holds_the_baselines():
    text = expected_output("benchmark/adding_task")
    assert "predict 1 always:           MSE = 1/6 = 0.1667" in text
    assert "remember one value only:    MSE = 1/12 = 0.0833" in text
    assert "solved means MSE below 5% of 1/6 = 0.00833" in text
    # The empirical lines are what the generator gives for the stated seed and size.
    x, y = at.adding_batch(np.random.default_rng(at.CHECK_SEED), at.CHECK_SIZE, at.CHECK_LENGTH)
    second = x[:, at.CHECK_LENGTH // 2 :]
    later = second[..., 0][second[..., 1] == 1]
    assert f"predict 1 always:           MSE = {np.mean((y - 1) ** 2):.4f}" in text
    assert f"remember one value only:    MSE = {np.mean((y - later - 0.5) ** 2):.4f}" in text
    assert "markers per sequence: [2]" in text


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: at.adding_batch(0, 4, 10), TypeError, "numpy Generator"),
        (
            lambda: at.adding_batch(np.random.default_rng(0), 0, 10),
            ValueError,
            "batch must be >= 1",
        ),
        (
            lambda: at.adding_batch(np.random.default_rng(0), 4, 1),
            ValueError,
            "length must be >= 2",
        ),
        (lambda: at.adding_batch(np.random.default_rng(0), 4, 10.0), TypeError, "integer"),
        (lambda: at.adding_batch(np.random.default_rng(0), True, 10), TypeError, "integer"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_control_variant_puts_the_marks_in_the_last_steps():
    x, y = at.adding_batch(np.random.default_rng(3), 500, 100, last=10)
    first, second = (np.argwhere(x[..., 1] == 1)[:, 1].reshape(500, 2)).T
    assert (first >= 90).all() and (first < 95).all() and (second >= 95).all()
    assert np.allclose(y, x[..., 0][x[..., 1] == 1].reshape(500, 2).sum(axis=1))
    with pytest.raises(ValueError, match="last must be at most length"):
        at.adding_batch(np.random.default_rng(0), 2, 10, last=11)
    with pytest.raises(ValueError, match="last must be >= 2"):
        at.adding_batch(np.random.default_rng(0), 2, 10, last=1)
