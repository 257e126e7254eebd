"""The slope bounds and products the vanishing chapter states."""

import activation_slopes as a
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import expected_output

finite_z = st.floats(-50, 50, allow_nan=False)


@given(finite_z)
def test_sigmoid_slope_is_at_most_a_quarter(z):
    assert 0 <= a.sigmoid_slope(z) <= 0.25


@given(finite_z)
def test_tanh_slope_is_at_most_one_and_equals_4_sigmoid_slope_at_2z(z):
    assert 0 <= a.tanh_slope(z) <= 1
    assert a.tanh_slope(z) == pytest.approx(4 * a.sigmoid_slope(2 * z), abs=1e-12)


def test_the_maxima_are_reached_exactly_at_zero_only():
    assert a.sigmoid_slope(0.0) == 0.25 and a.tanh_slope(0.0) == 1.0
    # "tanh' < 1" (as one note writes) is false at z = 0; it holds for every z != 0.
    assert a.tanh_slope(1e-3) < 1 and a.sigmoid_slope(1e-3) < 0.25
    assert list(a.relu_slope(np.array([-2.0, 0.0, 3.0]))) == [0.0, 0.0, 1.0]


def test_slope_at_h_is_not_slope_at_z():
    z = 2.0
    assert a.tanh_slope(z) == pytest.approx(0.0707, abs=1e-4)
    assert a.tanh_slope(np.tanh(z)) == pytest.approx(0.4434, abs=1e-4)


def test_products():
    assert a.product_of_factors(0.1, 49) == pytest.approx(1e-49, rel=1e-12)
    assert a.product_of_factors(0.1, 49, np.float32) == 0.0  # float32 underflows to zero
    assert a.product_of_factors(0.25, 50) == pytest.approx(0.25**50)
    assert a.product_of_factors(3.0, 0) == 1.0


def test_page_output():
    text = expected_output("vanishing/activation_slopes")
    assert "max sigmoid'(z) on [-10, 10] = 0.250000, at z = 0.0000" in text
    assert "max tanh'(z) on [-10, 10] = 1.000000, at z = 0.0000" in text
    assert "tanh'(z) at z = 0, 1, 2, 3: 1.0000 0.4200 0.0707 0.0099" in text
    assert "z = 2.0: h = 0.9640, tanh'(z) = 0.0707, but tanh'(h) = 0.4434" in text
    assert "(0.1)^49 = 1.000e-49 in float64" in text
    assert "(0.1)^49 = 0.000e+00 in float32 (underflow)" in text
    assert f"0.25^50 = {0.25**50:.3e}" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0.5, -1), "non-negative integer"),
        ((0.5, 2.0), "non-negative integer"),
        ((np.nan, 3), "finite"),
    ],
)
def test_bad_input_gets_a_clear_error(args, message):
    with pytest.raises(ValueError, match=message):
        a.product_of_factors(*args)
