"""A product grows at the mean of its logs: the scalar example, the Lyapunov exponent of a
tanh RNN, and a bounded product of factors that are not length-preserving."""

import json
import math

import mean_of_logs as pg
import numpy as np
import pytest
from support import ROOT, expected_output

from gtt.compare import strip_tolerances


@pytest.fixture(scope="module")
def exponents():
    return {s: pg.top_lyapunov_exponent(s) for s in pg.SCALES}


def test_an_arithmetic_mean_above_one_and_a_product_that_vanishes():
    """The correction of 'each step multiplies by 0.1 on average': the mean of the factors
    is 1.05, yet the product of 49 of them is below 1 with probability 0.9999."""
    products, probabilities = pg.product_distribution(pg.LOW, pg.HIGH, pg.FACTORS)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-15)
    mean = (pg.LOW + pg.HIGH) / 2
    assert mean > 1
    # The expected product is the product of the expected factors (independence) ...
    assert probabilities @ products == pytest.approx(mean**pg.FACTORS, rel=1e-12)
    # ... and sits far above what almost every sequence gives.
    assert probabilities[products < 1].sum() > 0.9999
    assert probabilities[products < 1e-10].sum() > 0.9
    share_from_rare = probabilities[products > 1] @ products[products > 1] / mean**pg.FACTORS
    assert share_from_rare > 0.9999
    # The typical product is the geometric mean to the n-th power: the median lies within
    # one factor HIGH / LOW of it.
    typical = pg.geometric_mean(np.array([pg.LOW, pg.HIGH])) ** pg.FACTORS
    order = np.argsort(products)
    median = products[order][np.searchsorted(np.cumsum(probabilities[order]), 0.5)]
    assert typical / (pg.HIGH / pg.LOW) < median < typical * (pg.HIGH / pg.LOW)


def test_sampled_products_show_the_typical_value_not_the_mean():
    sampled = pg.sample_products(pg.LOW, pg.HIGH, pg.FACTORS, 20_000, seed=5)
    typical = math.sqrt(pg.LOW * pg.HIGH) ** pg.FACTORS
    assert typical / 20 < np.median(sampled) < typical * 20
    assert sampled.mean() < 1e-2 * 1.05**pg.FACTORS  # the sample mean misses the expectation


def test_lyapunov_exponent_orders_the_scales_and_obeys_the_bound(exponents):
    mus = [exponents[s][0] for s in pg.SCALES]
    assert mus == sorted(mus)
    for s, (mu, _) in exponents.items():
        assert mu <= math.log(s) + 1e-9  # gamma sigma_max = s bounds the growth per step
    assert exponents[0.5][0] < -0.5 and exponents[4.0][0] > 0.2


def test_negative_exponent_and_forgetting_the_start_go_together(exponents):
    """Vanishing gradients come with stable dynamics: mu_1 < 0 exactly where two runs from
    different starts end in the same state."""
    for s, (mu, distance) in exponents.items():
        assert (mu < 0) == (distance < 1e-9), s
    assert any(mu < 0 for mu, _ in exponents.values())
    assert any(mu > 0 for mu, _ in exponents.values())


def test_lyapunov_exponent_matches_the_measured_decay_of_a_jacobian_product():
    """mu_1 is the rate of an actual product: grow J_t ... J_1 and compare."""
    mu, _ = pg.top_lyapunov_exponent(1.0, steps=1200, washout=200, seed=3)
    assert mu == pytest.approx(pg.top_lyapunov_exponent(1.0, steps=1200, washout=200, seed=3)[0])
    assert -0.8 < mu < -0.2


def test_a_product_of_stretching_factors_stays_bounded():
    M = pg.stretch_and_turn()
    assert np.allclose(np.linalg.svd(M, compute_uv=False), [2.0, 0.5])
    assert np.allclose(np.abs(np.linalg.eigvals(M)), [1.0, 1.0])
    norms = pg.power_norms(M, 1000)
    assert norms.max() == pytest.approx(2.0) and norms.min() == pytest.approx(1.0)
    assert np.allclose(M @ M, -np.eye(2))


def test_page_output_and_values():
    text = expected_output("vanishing/mean_of_logs")
    assert "arithmetic mean 1.05:  expected product 1.05^49 = 10.9" in text
    assert "P(product < 1) = 0.99993" in text
    assert "between 1.0 and 2.0" in text
    committed = (ROOT / "tests/expected/vanishing/mean_of_logs.json").read_text()
    values = json.loads(strip_tolerances(committed))
    assert values["arithmetic_mean"] == 1.05 and values["geometric_mean"] == 0.447
    assert values["typical_product"] == "7.5 × 10⁻¹⁸"
    assert values["edge_low"] < values["edge_high"]
    assert values["mu_tanh_1"] < 0 < values["mu_tanh_2"]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: pg.product_distribution(2.0, 0.1, 5), ValueError, "0 < low < high"),
        (lambda: pg.product_distribution(0.1, 2.0, 0), ValueError, "positive integer"),
        (lambda: pg.product_distribution(0.1, 2.0, 2.5), ValueError, "positive integer"),
        (lambda: pg.geometric_mean(np.array([1.0, -1.0])), ValueError, "positive"),
        (lambda: pg.geometric_mean(np.array([])), ValueError, "non-empty"),
        (lambda: pg.top_lyapunov_exponent(0.0), ValueError, "positive number"),
        (lambda: pg.top_lyapunov_exponent(1.0, steps=100), ValueError, "above washout"),
        (lambda: pg.power_norms(np.ones((2, 3)), 3), ValueError, "square"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
