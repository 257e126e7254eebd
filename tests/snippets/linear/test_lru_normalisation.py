"""κ = sqrt(1 - |λ|²): the variances it tames, checked against closed forms and autograd."""

import math

import lru_normalisation as ln
import pytest
import torch
from support import expected_output, generated_values


@pytest.mark.parametrize("radius", [0.3, 0.9, 0.99, 0.999])
def test_sums_match_closed_forms(radius):
    q, x = radius**2, -math.log(radius)
    s0, s1, s2 = (
        1 / (1 - q),
        q / (1 - q) ** 2,
        q * (1 + q) / (1 - q) ** 3,
    )  # Σ q^k, Σ k q^k, Σ k² q^k
    assert ln.nu_gradient_variance(radius, False) == pytest.approx(x**2 * s2, rel=1e-9)
    k2, a = 1 - q, x * q / (1 - q)
    closed = k2 * (a**2 * s0 - 2 * a * x * s1 + x**2 * s2)
    assert ln.nu_gradient_variance(radius, True) == pytest.approx(closed, rel=1e-6)
    assert ln.state_variance(radius, False) == pytest.approx(s0)
    assert ln.state_variance(radius, True) == pytest.approx(1.0)


@pytest.mark.parametrize("normalised", [False, True])
def test_the_nu_derivative_matches_autograd(normalised):
    """d(c λ^k)/dν from the formula in the snippet's docstring, against autograd."""
    nu = torch.tensor(-2.5, dtype=torch.float64, requires_grad=True)
    theta, k = 0.7, torch.arange(400, dtype=torch.float64)
    lam = torch.exp(torch.complex(-torch.exp(nu), torch.tensor(theta, dtype=torch.float64)))
    c = (
        torch.sqrt(-torch.expm1(-2 * torch.exp(nu)))
        if normalised
        else torch.ones((), dtype=torch.float64)
    )
    coefficients = c * lam**k
    grads = torch.stack(
        [
            torch.complex(
                *(torch.autograd.grad(part, nu, retain_graph=True)[0] for part in (z.real, z.imag))
            )
            for z in coefficients
        ]
    )
    radius = math.exp(-math.exp(-2.5))
    expected = sum(abs(g) ** 2 for g in grads.tolist())
    direct = ln.nu_gradient_variance(radius, normalised)
    assert direct == pytest.approx(
        expected, rel=1e-6
    )  # 400 terms: the rest is below |λ|^800 ~ e^-66


@pytest.mark.parametrize("radius", [0.9, 0.99, 0.999])
def test_kappa_does_not_bound_the_phase_gradient(radius):
    """The page: with kappa, E|d(kappa h)/d theta|^2 = r^2 (1 + r^2) / (1 - r^2)^2, unbounded."""
    steps = int(40 / (1 - radius))  # the tail beyond is below e^-80 of the sum
    k = torch.arange(steps, dtype=torch.float64)
    r = torch.tensor(radius, dtype=torch.float64)

    def coefficients(theta: torch.Tensor) -> torch.Tensor:  # kappa lambda^k, as (k, 2) reals
        return torch.view_as_real(ln.kappa(radius) * torch.polar(r, theta) ** k)

    grads = torch.autograd.functional.jacobian(coefficients, torch.tensor(0.7, dtype=torch.float64))
    moment = grads.pow(2).sum().item()  # sum over k of |d c_k / d theta|^2
    q = radius**2
    assert moment == pytest.approx(q * (1 + q) / (1 - q) ** 2, rel=1e-6)


def test_without_kappa_the_state_and_its_nu_gradient_blow_up_and_with_kappa_they_do_not():
    near_one = [ln.state_variance(r, False) for r in ln.RADII]
    assert near_one == sorted(near_one) and near_one[-1] > 1000
    assert all(ln.state_variance(r, True) == pytest.approx(1.0) for r in ln.RADII)
    without = [ln.nu_gradient_variance(r, False) for r in ln.RADII]
    assert without == sorted(without) and without[-1] > 1000
    with_kappa = [ln.nu_gradient_variance(r, True) for r in ln.RADII]
    assert max(with_kappa) < 0.26  # bounded: tends to 1/4 as |λ| -> 1


def test_simulation_agrees_with_the_exact_finite_T_values():
    simulated = ln.simulated_variances(ln.RADII)
    for i, r in enumerate(ln.RADII):
        for normalised, tag in ((False, "without κ"), (True, "with κ")):
            exact = ln.finite_variance(r, normalised)
            # 256 sequences: |h|² is exponential, so the mean has a 1/16 relative std
            assert simulated[tag][i] == pytest.approx(exact, rel=0.3), (r, tag)


def test_bad_radius_is_rejected():
    with pytest.raises(ValueError, match="radius"):
        ln.nu_gradient_variance(1.0, True)
    with pytest.raises(ValueError, match="radius"):
        ln.nu_gradient_variance(0.0, False)


def test_page_output_and_values():
    text = expected_output("linear/lru_normalisation")
    assert " 0.9999  0.0141         5000        1            2500     0.25" in text
    assert generated_values("linear/lru_normalisation") == {
        "no_kappa_9999": 5000,
        "nu_no_kappa_9999": 2500,
        "nu_kappa_9999": 0.25,
    }
