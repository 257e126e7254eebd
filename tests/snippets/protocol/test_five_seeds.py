"""What five seeds can decide: the page's numbers, computed again and checked by hand."""

import math

import five_seeds as fs
import pytest
from support import generated_values


def test_only_three_splits_of_five_seeds_decide():
    assert fs.separating_pairs(5) == [(4, 0), (5, 0), (5, 1)]


def test_more_seeds_separate_more_splits():
    # With ten a side, 5/10 against 0/10 already decides (p = 0.033).
    assert (5, 0) in fs.separating_pairs(10) and (4, 0) not in fs.separating_pairs(10)


def test_power_by_hand_for_one_seed_a_side():
    # One seed a side: no split reaches p < 0.05, so power is zero whatever the rates.
    assert fs.power(1, 1.0, 0.0) == 0.0


def test_power_equals_the_chance_of_a_separating_split():
    # Five a side: power = sum over the three separating splits (and their mirror images).
    p1, p2 = 0.8, 0.3
    pmf = [[math.comb(5, k) * p**k * (1 - p) ** (5 - k) for k in range(6)] for p in (p1, p2)]
    splits = fs.separating_pairs(5) + [(b, a) for a, b in fs.separating_pairs(5)]
    by_hand = sum(pmf[0][a] * pmf[1][b] for a, b in splits)
    assert fs.power(5, p1, p2) == pytest.approx(by_hand, rel=1e-12)


def test_power_grows_with_seeds():
    v = generated_values("protocol/five_seeds")
    assert [float(v[f"power_08_03_{n}"]) for n in fs.POWER_SEEDS] == sorted(
        float(v[f"power_08_03_{n}"]) for n in fs.POWER_SEEDS
    )
    assert float(v["power_08_03_5"]) < 0.5 < float(v["power_08_03_20"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: fs.power(0, 0.5, 0.5), "n must be at least 1"),
        (lambda: fs.power(5, 1.5, 0.5), "p1 must be a probability"),
        (lambda: fs.power(5, 0.5, -0.1), "p2 must be a probability"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_test_is_conservative_and_its_power_saw_toothed():
    v = generated_values("protocol/five_seeds")
    # The null rejection rate peaks near p = 1/2 (by symmetry of the two arms' margins).
    assert fs.power(5, 0.5, 0.5) == pytest.approx(float(v["null_max"]), abs=5e-4)
    assert 0.0 < float(v["null_max"]) < 0.05
    assert float(v["power_08_03_6"]) < float(v["power_08_03_5"])
