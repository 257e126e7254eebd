"""Latching: robust storage and a living gradient do not come together (Bengio et al. 1994)."""

import latching as la
import numpy as np
import pytest
from support import expected_output, generated_values


def test_attractor_is_a_fixed_point_and_exists_only_above_one():
    for w in (0.5, 1.0):
        assert la.attractor(w) == 0.0
    for w in (1.1, 2.0, 4.0):
        h = la.attractor(w)
        assert 0 < h < 1 and np.tanh(w * h) == pytest.approx(h, abs=1e-12)


def test_contraction_is_below_one_and_falls_as_w_grows():
    c = [la.contraction(w) for w in np.arange(1.05, 4.01, 0.05)]
    assert all(0 < x < 1 for x in c) and np.all(np.diff(c) < 0)


def test_the_gradient_product_is_the_derivative():
    """log10 |dh_T/dh_0| from latch() against a central difference, for one noisy trial."""
    w, noise, steps = 1.5, 0.3, 12
    _, log_grad = la.latch(w, noise, steps=steps, trials=1, seed=4)

    def final(h0: float) -> float:
        rng, h = np.random.default_rng(4), np.array([h0])
        for _ in range(steps):
            h = np.tanh(w * h + noise * rng.standard_normal(1))
        return float(h[0])

    eps = 1e-6
    numeric = (final(1 + eps) - final(1 - eps)) / (2 * eps)
    assert np.log10(abs(numeric)) == pytest.approx(log_grad[0], abs=1e-4)


def test_robust_storage_comes_with_a_vanished_gradient():
    values = generated_values("dynamics/latching")
    for key in ("025", "05", "10"):
        assert float(values[f"w_robust_{key}"]) > 1.4
        mantissa, power = values[f"grad_robust_{key}"].split(" × 10")
        exponent = int(power.translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")))
        assert float(mantissa) * 10.0**exponent < 1e-20  # where the bit is safe
        assert float(values[f"kept_alive_{key}"]) < 60  # where the gradient is largest
        assert float(values[f"w_alive_{key}"]) < float(values[f"w_robust_{key}"])


def test_table_rows_show_the_trade_off():
    rows = [ln.split() for ln in expected_output("dynamics/latching").splitlines()]
    table = {float(r[0]): r for r in rows if r and r[0].replace(".", "").isdigit() and len(r) > 6}
    kept = {w: float(r[4].rstrip("%")) for w, r in table.items()}
    grad = {w: float(r[5]) for w, r in table.items()}
    assert all(kept[w] < 55 for w in (0.5, 0.9, 1.0, 1.1, 1.25))  # no attractor, or too shallow
    assert kept[2.5] == kept[3.0] == kept[4.0] == 100.0
    assert max(grad[w] for w in (2.5, 3.0, 4.0)) < 1e-50


def test_superscript():
    assert la.superscript(-44.6) == "3 × 10⁻⁴⁵"
    assert la.superscript(0.0) == "1 × 10⁰"


@pytest.mark.parametrize("w", [0.0, -1.0, float("nan")])
def test_bad_weights_are_refused(w):
    with pytest.raises(ValueError, match="w must be a positive number"):
        la.attractor(w)


def test_bad_noise_and_steps_are_refused():
    with pytest.raises(ValueError, match="noise must be"):
        la.latch(2.0, -0.1)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        la.latch(2.0, 0.1, steps=0)
