"""The curse of memory: formulas against simulation and autograd; what the page quotes."""

import itertools
import math

import curse_of_memory as cm
import numpy as np
import pytest
import torch
from support import generated_values


@pytest.mark.parametrize("lam", [0.5, 0.9, 0.99])
def test_formulas_match_simulation(lam):
    exact, sim = cm.theory(lam), cm.simulate(lam, batch=20_000, seed=1)
    for key in exact:  # Gaussian quantities: relative sampling error about sqrt(2/n) = 1%
        assert sim[key] == pytest.approx(exact[key], rel=0.05), key


def test_the_sensitivity_recursion_is_the_derivative():
    """s_t = λ s_(t-1) + h_(t-1) is dh_t/dλ: against autograd on one sequence."""
    x = torch.from_numpy(np.random.default_rng(0).standard_normal(50))
    lam = torch.tensor(0.95, dtype=torch.float64, requires_grad=True)
    h = torch.zeros((), dtype=torch.float64)
    s = 0.0
    for value in x:
        h, s = lam * h + value, 0.95 * s + h.item()
    (grad,) = torch.autograd.grad(h, lam)
    assert grad.item() == pytest.approx(s, rel=1e-12)


def test_kappa_alone_leaves_it_unbounded_and_with_nu_it_tends_to_a_quarter():
    near = [cm.theory(1 - 10.0**-k) for k in range(1, 7)]
    assert all(b["lambda_kappa"] > 50 * a["lambda_kappa"] for a, b in itertools.pairwise(near))
    assert all(b["lambda"] > 500 * a["lambda"] for a, b in itertools.pairwise(near))
    assert near[-1]["nu_kappa"] == pytest.approx(0.25, rel=1e-4)


def test_page_values():
    values = generated_values("linear/curse_of_memory")
    assert float(values["worst_percent"]) < 5
    assert float(values["nu_kappa_999"]) == pytest.approx(0.25, abs=0.001)
    assert values["lambda_999"] == cm.scientific(cm.theory(0.999)["lambda"], 1)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.5, math.nan])
def test_bad_lambda_is_rejected(bad):
    with pytest.raises(ValueError, match="lam must lie in"):
        cm.theory(bad)
    with pytest.raises(ValueError, match="lam must lie in"):
        cm.simulate(bad)
