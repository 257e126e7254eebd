"""One tanh unit keeps a bit on purpose, and robust keeping makes its gradient vanish
(Bengio, Simard & Frasconi, 1994): the claims of the gates page."""

import json
import math

import latch_tradeoff as lt
import numpy as np
import pytest
from support import ROOT, expected_output


@pytest.fixture(scope="module")
def runs():
    found = {}
    for w in lt.WEIGHTS:
        bits, h, log10_grad = lt.run_latch(w)
        flipped_bits, flipped_h, _ = lt.run_latch(w, overwrite=True)
        found[w] = {
            "kept": lt.kept_fraction(bits, h),
            "overwritten": lt.kept_fraction(-flipped_bits, flipped_h),
            "log10_grad": float(np.median(log10_grad)),
        }
    return found


def test_stable_states_and_their_slopes():
    for w in lt.WEIGHTS:
        h = lt.stable_state(w)
        assert h == pytest.approx(math.tanh(w * h), abs=1e-15)
        slope = w * (1 - h**2)
        assert slope < 1 if w > 1 else h == 0.0  # w > 1: a contracting (stable) state
    assert lt.stable_state(2.0) == pytest.approx(0.9575, abs=1e-4)


def test_a_vanilla_unit_keeps_and_overwrites_a_bit_on_purpose(runs):
    """The same fixed weight keeps the bit through 999 noisy steps and lets a strong input
    overwrite it: which happens is decided by the input's size."""
    for w in (2.0, 3.0):
        assert runs[w]["kept"] == 1.0 and runs[w]["overwritten"] == 1.0
    for w in (0.5, 1.0):  # no stable state but 0: the bit is lost (chance is 50%)
        assert abs(runs[w]["kept"] - 0.5) < 0.05


def test_robust_keeping_comes_with_a_vanishing_gradient(runs):
    """Where the bit is kept, |dh_T/dh_1| is below 10^-300; the gradient survives best
    where nothing is kept (w = 1), and even there it is tiny after 999 steps."""
    for w in (2.0, 3.0):
        assert runs[w]["log10_grad"] < -300
    keepers = [w for w in lt.WEIGHTS if runs[w]["kept"] > 0.95]
    best = max(lt.WEIGHTS, key=lambda w: runs[w]["log10_grad"])
    assert best not in keepers
    assert all(runs[w]["log10_grad"] < runs[best]["log10_grad"] - 100 for w in keepers)
    # the stronger the latch (smaller slope at its stable state), the faster the decay
    assert runs[3.0]["log10_grad"] < runs[2.0]["log10_grad"] < runs[1.5]["log10_grad"]


def test_page_output_and_values(runs):
    text = expected_output("gates/latch_tradeoff")
    assert " 2.0      0.958      0.166          100.0%      100.0%" in text
    values = json.loads((ROOT / "tests/expected/gates/latch_tradeoff.json").read_text())
    assert values["kept_2"] == "100.0%" and values["overwritten_2"] == "100.0%"
    assert values["log10_grad_2"] == round(runs[2.0]["log10_grad"])
    assert values["per_step_1"] > values["per_step_2"]


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_weight_gets_a_clear_error(bad):
    with pytest.raises(ValueError, match="w must be a positive number"):
        lt.stable_state(bad)
    with pytest.raises(ValueError, match="w must be a positive number"):
        lt.run_latch(bad)
