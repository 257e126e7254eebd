"""Above the threshold and still no explosion: saturation, checked number by number."""

import numpy as np
import pytest
import saturation as sat
import torch
from support import expected_output


def test_resting_point_factor_is_below_one_for_every_gain():
    for a in (1.01, 1.1, 1.3, 2.0, 3.0, 10.0):
        h = sat.resting_point(a)
        assert np.tanh(a * h) == pytest.approx(h, abs=1e-12)
        assert a * (1 - h**2) < 1  # a stable resting point always damps the gradient
    assert sat.resting_point(3.0) == pytest.approx(0.9949, abs=1e-4)


def test_same_singular_values_opposite_fates():
    (_, _small), (_, orth), (_, eye) = sat.cases().items()
    for W, _h0, _u in (orth, eye):
        assert np.allclose(np.linalg.svd(W, compute_uv=False), 3.0)
    grow, _ = sat.state_jacobian_norms(*orth[:2], sat.STEPS, orth[2])
    fade, h = sat.state_jacobian_norms(*eye[:2], sat.STEPS, eye[2])
    assert grow[-1] > 1e8 and fade[-1] < 1e-70
    assert np.all(grow <= 3.0 ** np.arange(1, sat.STEPS + 1) * (1 + 1e-9))  # below the bound
    assert np.mean(1 - h**2) < 0.02  # saturated units


def test_first_chapter_matrix_grows_then_decays_inside_tanh():
    W, h0, u = next(iter(sat.cases().values()))
    norms, h = sat.state_jacobian_norms(W, h0, sat.LONG, u)
    assert norms[:10].max() > 10 and norms[-1] < 1e-3
    assert 25 < norms.max() < 35 and norms.argmax() + 1 == 15  # "peaks near 30"
    assert f"largest: {norms.max():.3g} at n = 15" in expected_output("exploding/saturation")
    # Settled at the two resting points, the per-step factors are 1.3(1-h1^2) and 1.1(1-h2^2).
    assert h == pytest.approx([sat.resting_point(1.3), sat.resting_point(1.1)], abs=1e-3)
    assert norms[-1] / norms[-2] == pytest.approx(1.1 * (1 - sat.resting_point(1.1) ** 2), rel=1e-3)


def test_jacobian_norms_match_autograd():
    W, h0, u = list(sat.cases().values())[1]
    norms, _ = sat.state_jacobian_norms(W, h0, 6, u[:6])
    Wt, ut = torch.tensor(W), torch.tensor(u[:6])

    def run(h: torch.Tensor) -> torch.Tensor:
        for step in ut:
            h = torch.tanh(Wt @ h + step)
        return h

    jac = torch.autograd.functional.jacobian(run, torch.tensor(h0))
    assert torch.linalg.matrix_norm(jac, 2).item() == pytest.approx(norms[-1], rel=1e-10)


def test_page_output():
    text = expected_output("exploding/saturation")
    for a in (1.1, 1.3, 3.0):
        h = sat.resting_point(a)
        assert f"a = {a}: h* = {h:.4f}, factor per step = {a * (1 - h**2):.4f}" in text
    for _name, (W, h0, u) in sat.cases().items():
        steps = sat.LONG if u is None else sat.STEPS
        norms, h = sat.state_jacobian_norms(W, h0, steps, u)
        sigma = np.linalg.norm(W, 2)
        assert f"n={steps}: {norms[-1]:.1e} ({sigma**steps:.0e})" in text
        assert f"mean tanh' = {np.mean(1 - h**2):.4f}" in text


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sat.state_jacobian_norms(np.ones((2, 3)), np.zeros(2), 5), "square"),
        (lambda: sat.state_jacobian_norms(np.eye(2), np.zeros(3), 5), r"h0 must have shape \(2,\)"),
        (lambda: sat.state_jacobian_norms(np.eye(2), np.zeros(2), 0), "positive integer"),
        (lambda: sat.state_jacobian_norms(np.eye(2), np.zeros(2), 3, np.zeros((2, 2))), "inputs"),
        (lambda: sat.resting_point(0.9), "greater than 1"),
    ],
)
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
