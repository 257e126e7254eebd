"""A product grows at its geometric mean: the numbers the dynamics chapter quotes."""

import math
from fractions import Fraction

import numpy as np
import product_growth as pg
import pytest
from support import expected_output, generated_values


def test_the_hand_computed_means_are_right():
    rng = np.random.default_rng(1)
    for sampler, mean, mean_log in pg.CASES.values():
        a = sampler(rng, (2_000_000,))
        assert abs(a.mean() - mean) < 2e-3 * max(mean, 1)
        assert abs(np.log(a).mean() - mean_log) < 5e-3
    # the two exact values the page relies on
    assert pg.CASES["uniform on [0, 0.2]"][2] == pytest.approx(math.log(0.2) - 1, abs=1e-15)
    assert math.exp(pg.CASES["2 or 0.05, equally likely"][2]) == pytest.approx(math.sqrt(0.1))


def test_jensen_the_geometric_mean_is_below_the_arithmetic_one():
    for _, mean, mean_log in pg.CASES.values():
        assert math.exp(mean_log) < mean


def test_typical_product_is_the_geometric_mean_to_the_49th():
    for sampler, mean, mean_log in pg.CASES.values():
        logs = pg.log10_products(sampler)
        typical = pg.STEPS * mean_log / math.log(10)
        assert abs(np.median(logs) - typical) < 1.0  # within a factor of 10
        assert np.median(logs) < pg.STEPS * math.log10(mean) - 5  # far below (E a)^49


def test_an_average_factor_above_one_and_a_vanishing_product():
    chance = pg.exact_chance_above_one()
    # a product is >= 1 exactly when 40 or more of its 49 factors are 2
    assert 2**40 * Fraction(1, 20) ** 9 >= 1 > 2**39 * Fraction(1, 20) ** 10
    assert chance == Fraction(sum(math.comb(49, k) for k in range(40, 50)), 2**49)
    assert float(chance) < 1e-5  # products >= 1 are rarer than 1 in 100,000
    assert 1.025**pg.STEPS > 3  # while the MEAN product is above 3
    logs = pg.log10_products(pg.CASES["2 or 0.05, equally likely"][0])
    assert np.sum(logs >= 0) <= 5


def test_the_page_values_are_the_printed_ones():
    values = generated_values("dynamics/product_growth")
    text = expected_output("dynamics/product_growth")
    assert values["uniform_geometric"] == 0.0736 and "= 0.0736;" in text
    assert values["two_point_geometric"] == 0.3162 and "= 0.3162;" in text
    assert values["two_point_mean_product"] == 3.35 and "= 3.35 is the MEAN" in text
    assert values["two_point_chance"] == "4.6 × 10⁻⁶" and "= 4.63e-06 exactly" in text


def test_superscript_formatting():
    assert pg.superscript(-55.53) == "3 × 10⁻⁵⁶"
    assert pg.superscript(-5.335) == "4.6 × 10⁻⁶"
    assert pg.superscript(2.0) == "1 × 10²"


@pytest.mark.parametrize(("samples", "steps"), [(0, 49), (10, 0), (2.5, 49), (True, 49)])
def test_bad_sizes_are_refused(samples, steps):
    with pytest.raises(ValueError, match="must be a positive integer"):
        pg.log10_products(pg.uniform_factors, samples=samples, steps=steps)
