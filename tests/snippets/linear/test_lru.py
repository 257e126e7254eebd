"""The LRU: its recurrence, parametrisation, scan, model shapes and parameter counts."""

import math

import pytest
import torch
from support import expected_output

from rnnbook import lru


def test_eigenvalues_start_in_the_ring_and_kappa_completes_them_to_one():
    torch.manual_seed(0)
    layer = lru.LRU(d_model=4, d_state=500, r_min=0.4, r_max=0.7, max_phase=1.0)
    lam = layer.eigenvalues()
    assert lam.dtype == torch.complex64
    assert lam.abs().min() >= 0.4 - 1e-6 and lam.abs().max() <= 0.7 + 1e-6
    assert lam.angle().min() >= 0 and lam.angle().max() <= 1.0 + 1e-6
    kappa = layer.normalisation()
    assert torch.allclose(kappa**2 + lam.abs() ** 2, torch.ones(500), atol=1e-6)
    # |λ|² uniform on [r_min², r_max²]: its mean is the midpoint (ring area evenly covered)
    assert (lam.abs() ** 2).mean().item() == pytest.approx((0.16 + 0.49) / 2, abs=0.01)


def test_any_real_nu_gives_a_stable_eigenvalue_and_kappa_is_exact_near_one():
    layer = lru.LRU(2, 5).double()
    with torch.no_grad():
        layer.nu.copy_(torch.tensor([-40.0, -10.0, 0.0, 3.0, 10.0]))
    radius = layer.eigenvalues().abs()
    assert torch.all(radius <= 1) and torch.all(radius >= 0)
    # |λ| = exp(-exp(-40)) rounds to exactly 1, so sqrt(1 - |λ|²) would be 0; the form
    # sqrt(-expm1(-2 exp(ν))) keeps κ right
    assert radius[0].item() == 1.0
    assert torch.sqrt(1 - radius[0] ** 2).item() == 0.0
    assert layer.normalisation()[0].item() == pytest.approx(math.sqrt(2 * math.exp(-40)), rel=1e-9)


def test_layer_is_the_recurrence_it_claims_to_be():
    torch.manual_seed(1)
    layer = lru.LRU(3, 6).double()
    u = torch.randn(2, 9, 3, dtype=torch.float64)
    lam, kappa = layer.eigenvalues(), layer.normalisation()
    B = torch.complex(layer.B_re, layer.B_im)
    C = torch.complex(layer.C_re, layer.C_im)
    h = torch.zeros(2, 6, dtype=torch.complex128)
    for t in range(9):
        h = lam * h + kappa * (u[:, t].to(torch.complex128) @ B.T)
        y = (h @ C.T).real + layer.D * u[:, t]
        assert torch.allclose(layer(u)[:, t], y, atol=1e-12)
        assert torch.allclose(layer.states(u)[t], h, atol=1e-12)


@pytest.mark.parametrize("T", [1, 2, 3, 8, 13, 64, 100])
@pytest.mark.parametrize("varying", [False, True])
def test_parallel_scan_equals_the_loop(T, varying):
    generator = torch.Generator().manual_seed(T)
    v = torch.randn(3, T, 5, dtype=torch.complex128, generator=generator)
    if varying:
        a = torch.randn(3, T, 5, dtype=torch.complex128, generator=generator) * 0.6
    else:
        a = torch.polar(torch.rand(5, dtype=torch.float64), torch.ones(5, dtype=torch.float64))
    assert torch.allclose(
        lru.parallel_scan(a, v), torch.stack(lru.sequential(a, v), dim=1), atol=1e-12
    )


def test_model_maps_every_step_and_scan_matches_loop_in_outputs_and_gradients():
    torch.manual_seed(2)
    model = lru.LRUModel(3, 2, d_model=6, d_state=7, layers=3).double()
    x = torch.randn(4, 33, 3, dtype=torch.float64)
    assert model(x).shape == (4, 33, 2)
    grads = []
    for scan in (True, False):
        model.zero_grad()
        model(x, scan=scan).pow(2).sum().backward()
        grads.append([p.grad.clone() for p in model.parameters()])
    for a, b in zip(*grads, strict=True):
        assert torch.allclose(a, b, rtol=1e-10, atol=1e-12)


def test_model_is_causal():
    torch.manual_seed(3)
    model = lru.LRUModel(2, 1).double()
    x = torch.randn(2, 20, 2, dtype=torch.float64)
    changed = x.clone()
    changed[:, 12:] += 1.0
    assert torch.equal(model(x)[:, :12], model(changed)[:, :12])
    assert not torch.allclose(model(x)[:, 12:], model(changed)[:, 12:])


@pytest.mark.parametrize(
    ("n_in", "n_out", "H", "N", "layers"),
    [(2, 1, 19, 19, 2), (10, 9, 5, 30, 1), (1, 10, 14, 14, 3)],
)
def test_parameter_formula_matches_the_model(n_in, n_out, H, N, layers):
    model = lru.LRUModel(n_in, n_out, H, N, layers)
    assert lru.count_parameters(model) == lru.parameter_count(n_in, n_out, H, N, layers)


@pytest.mark.parametrize("target", [500, 1500, 4700, 6000, 20000])
@pytest.mark.parametrize(("n_in", "n_out"), [(2, 1), (10, 9), (1, 10)])
def test_size_for_parameters_is_the_closest(target, n_in, n_out):
    H, N = lru.size_for_parameters(target, n_in, n_out)
    assert N == H
    gap = abs(lru.parameter_count(n_in, n_out, H, N, 2) - target)
    for other in (H - 1, H + 1):
        if other >= 1:
            assert gap <= abs(lru.parameter_count(n_in, n_out, other, other, 2) - target)
    H2, N2 = lru.size_for_parameters(target, n_in, n_out, layers=1, state_ratio=2.0)
    assert round(2 * H2) == N2


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: lru.LRU(0, 4), ValueError, "d_model"),
        (lambda: lru.LRU(4, 2.5), ValueError, "d_state"),
        (lambda: lru.LRU(4, 4, r_min=0.9, r_max=0.5), ValueError, "r_min < r_max < 1"),
        (lambda: lru.LRU(4, 4, r_min=0.5, r_max=1.0), ValueError, "r_min < r_max < 1"),
        (lambda: lru.LRU(4, 4, r_min=-0.1), ValueError, "r_min < r_max < 1"),
        (lambda: lru.LRU(4, 4, max_phase=7.0), ValueError, "max_phase"),
        (lambda: lru.LRU(4, 4, r_min="0.5"), TypeError, "real numbers"),
        (lambda: lru.LRU(4, 4)(torch.randn(2, 5, 3)), ValueError, r"\(batch, T, 4\)"),
        (lambda: lru.LRUModel(2, 1)(torch.randn(5, 2)), ValueError, r"\(batch, T, 2\)"),
        (lambda: lru.LRUModel(2, 1)([[1.0]]), ValueError, "got list"),
        (lambda: lru.LRUModel(2, 1, layers=0), ValueError, "layers"),
        (lambda: lru.LRUModel(2, 0), ValueError, "n_out"),
        (lambda: lru.parallel_scan(torch.ones(3), torch.ones(2, 4, 5)), ValueError, "shape"),
        (lambda: lru.parallel_scan(torch.ones(5), torch.ones(2, 0, 5)), ValueError, "T >= 1"),
        (lambda: lru.sequential([1.0], torch.ones(2, 4, 1)), TypeError, "tensors"),
        (lambda: lru.size_for_parameters(0, 2, 1), ValueError, "target"),
        (lambda: lru.size_for_parameters(100, 2, 1, state_ratio=0), ValueError, "state_ratio"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_page_output():
    text = expected_output("linear/lru")
    assert "adding d_model = 19, d_state = 19: 4,675 parameters" in text
    assert "|λ| from 0.9000 to 0.9990" in text
    assert "κ² + |λ|² = 1 within 1e-6: True" in text
    assert "equal within 1e-12: True" in text
