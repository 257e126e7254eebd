"""RTRL: the same gradient as BPTT, forward in time; cheap only for a diagonal recurrence."""

import numpy as np
import pytest
from rtrl import (
    COST_SIZES,
    FINITE_DIFFERENCES,
    SAME_SUM,
    SIZES,
    T,
    costs,
    diagonal_loss,
    diagonal_rtrl,
    rtrl_recurrent_gradient,
)
from support import expected_output

from rnnbook import bptt_numpy as rn


@pytest.mark.parametrize("activation", rn.ACTIVATIONS)
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("scale", [0.5, 1.0, 1.5])
def test_rtrl_gives_bptts_gradient(activation, seed, scale):
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((T, SIZES["input_size"]))
    targets = rng.standard_normal((T, SIZES["output_size"]))
    params = rn.init_params(**SIZES, recurrent_scale=scale, seed=seed)
    bptt, _ = rn.backward(params, rn.forward(params, xs, activation=activation), targets, "every")
    rtrl = rtrl_recurrent_gradient(params, xs, targets, activation)
    assert rn.relative_error(rtrl, bptt.W_hh) < SAME_SUM
    assert np.abs(bptt.W_hh).max() > 1e-3  # a gradient worth comparing


@pytest.mark.parametrize("lam", [[0.5, 0.9, 0.99, 0.999], [-0.7, 0.0, 0.3, 0.9999]])
def test_diagonal_rtrl_keeps_one_number_per_unit_and_is_exact(lam):
    rng = np.random.default_rng(3)
    lam = np.array(lam)
    xs, targets = rng.standard_normal((T, 4)), rng.standard_normal((T, 4))
    numeric = rn.numerical_gradient(lambda: diagonal_loss(lam, xs, targets), lam)
    assert rn.relative_error(diagonal_rtrl(lam, xs, targets), numeric) < FINITE_DIFFERENCES


def test_costs_are_the_formulas_on_the_page():
    for H in COST_SIZES:
        c = costs(H, T)
        assert c["rtrl_stored"] == H**3 and c["rtrl_work"] == H**4
        assert c["bptt_stored"] == 2 * T * H
        assert c["rtrl_work"] // c["bptt_work"] == H**2 // 2
    assert costs(4, T)["rtrl_stored"] < costs(4, T)["bptt_stored"]  # tiny H: RTRL keeps less
    assert costs(64, T)["rtrl_stored"] > 50 * costs(64, T)["bptt_stored"]


def test_page_output():
    text = expected_output("bptt/rtrl")
    assert text.count(": True") == 3 and "False" not in text


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda p: rtrl_recurrent_gradient(p, np.zeros((5, 3)), np.zeros((4, 2))), "targets"),
        (lambda p: rtrl_recurrent_gradient(p, np.zeros(5), np.zeros((5, 2))), "xs"),
        (lambda p: diagonal_rtrl(np.zeros((2, 2)), np.zeros((5, 2)), np.zeros((5, 2))), "lam"),
        (lambda p: diagonal_rtrl(np.zeros(2), np.zeros((5, 3)), np.zeros((5, 3))), "xs"),
    ],
)
def test_bad_input_is_named(call, message):
    params = rn.init_params(**SIZES, recurrent_scale=1.0, seed=0)
    with pytest.raises(ValueError, match=message):
        call(params)
