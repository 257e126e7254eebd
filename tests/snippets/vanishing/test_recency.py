"""The recency bias: the first input's influence falls with T, the latest input's does not."""

import numpy as np
import pytest
import recency as rc
import torch
from support import expected_output

from rnnbook.bptt_numpy import forward


@pytest.fixture(scope="module")
def influence():
    params = rc.default_init(rc.INPUT, rc.HIDDEN)
    xs = np.random.default_rng(1).standard_normal((rc.T_MAX, rc.INPUT))
    return params, xs, *rc.input_influence(params, xs)


def test_first_input_fades_and_latest_input_does_not(influence):
    _, _, first, latest = influence
    assert first[0] == pytest.approx(latest[0])  # T = 1: x_1 is the latest input
    assert np.all(np.diff(first) < 0)  # falls at every step
    assert first[-1] / first[0] < 1e-14
    assert latest.min() > 0.5 and latest.max() < 0.8  # no trend: it does not depend on T


def test_jacobians_match_autograd(influence):
    params, xs, first, latest = influence
    W_xh, W_hh, b = (torch.tensor(a) for a in (params.W_xh, params.W_hh, params.b_h))

    def h_T(x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(rc.HIDDEN, dtype=torch.float64)
        for x_t in x:
            h = torch.tanh(W_hh @ h + W_xh @ x_t + b)
        return h

    T = 7
    jac = torch.autograd.functional.jacobian(h_T, torch.tensor(xs[:T]))  # (H, T, D)
    assert np.linalg.norm(jac[:, 0].numpy(), 2) == pytest.approx(first[T - 1], rel=1e-10)
    assert np.linalg.norm(jac[:, T - 1].numpy(), 2) == pytest.approx(latest[T - 1], rel=1e-10)


def test_page_output(influence):
    params, xs, first, latest = influence
    text = expected_output("vanishing/recency")
    assert "spectral radius 0.62, largest singular value 1.06" in text
    for T in rc.SHOWN:
        assert f"{T:4d}   {first[T - 1]:13.2e}   {latest[T - 1]:13.2f}" in text
    moved = xs.copy()
    moved[0] += 1.0
    change = np.linalg.norm(forward(params, xs[:30]).hs[-1] - forward(params, moved[:30]).hs[-1])
    assert f"Changing x_1 by 1 moves h_30 by {change:.1e}" in text
    assert change < 1e-7  # "less than 10^-7" on the BPTT page


def test_default_init_range():
    p = rc.default_init(3, 16, seed=2)
    bound = 1 / np.sqrt(16)
    assert all(np.abs(a).max() <= bound for _, a in p.items())


def test_bad_input_gets_a_clear_error(influence):
    params = influence[0]
    with pytest.raises(ValueError, match="xs must have shape"):
        rc.input_influence(params, np.ones((5, 3)))
    with pytest.raises(ValueError, match="activation"):
        rc.input_influence(params, np.ones((5, rc.INPUT)), activation="elu")
