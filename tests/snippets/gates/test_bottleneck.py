"""A fixed-size state holds at most N numbers' worth of its past: the numbers on the page."""

import bottleneck as bn
import numpy as np
import pytest
from support import expected_output


@pytest.fixture(scope="module")
def found():
    return bn.profiles()


def test_capacity_never_exceeds_the_number_of_units(found):
    """Jaeger (2001): for independent inputs the linear memory capacity is at most N."""
    for (_, n), r2 in found.items():
        assert np.all((r2 >= 0) & (r2 <= 1))
        assert r2.sum() <= n


def test_nearly_linear_small_network_comes_close_to_the_bound(found):
    small = found["small inputs (tanh almost linear)", 8]
    assert small.sum() > 0.95 * 8


def test_old_inputs_are_gone_whatever_the_size(found):
    for r2 in found.values():
        assert r2[100] < 0.01 and r2[bn.MAX_DELAY - 1] < 0.01
    # a bigger state remembers longer, in both regimes
    for label in bn.INPUT_SCALES:
        capacities = [found[label, n].sum() for n in bn.SIZES]
        assert capacities == sorted(capacities)


def test_saturation_caps_capacity_far_below_n(found):
    small, unit = bn.INPUT_SCALES
    for n in (32, 128):
        assert found[unit, n].sum() < 0.35 * found[small, n].sum()
    assert found[unit, 128].sum() < 0.1 * 128  # 128 units, barely a dozen numbers


def test_recall_of_a_copy_of_the_input_is_perfect():
    """Sanity check of the read-out: a 'state' that stores the last 3 inputs recovers k < 3."""
    u = np.random.default_rng(0).uniform(-1, 1, 2000)
    states = np.column_stack([np.roll(u, k) for k in range(3)])
    r2 = bn.recall_profile(states, u, 5)
    assert np.allclose(r2[:3], 1.0) and np.all(r2[3:] < 0.01)


def test_page_output(found):
    text = expected_output("gates/bottleneck")
    for label in bn.INPUT_SCALES:
        block = text.split(f"{label}:")[1]
        for n in bn.SIZES:
            r2 = found[label, n]
            row = "".join(f"  {r2[k]:7.3f}" for k in bn.SHOWN_DELAYS)
            assert f"  {n:4d}{row}  {r2.sum():8.1f}  (at most N = {n})" in block


def test_plot_is_byte_stable(tmp_path, found):
    bn.plot(found, str(tmp_path / "a.svg"))
    bn.plot(found, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: bn.random_tanh_states(0, 0.1, np.zeros(10)), ValueError, "n_units must be >= 1"),
        (lambda: bn.random_tanh_states(4.0, 0.1, np.zeros(10)), TypeError, "integer"),
        (lambda: bn.random_tanh_states(4, -1.0, np.zeros(10)), ValueError, "input_scale"),
        (lambda: bn.random_tanh_states(4, 0.1, np.zeros((10, 2))), ValueError, "1-D"),
        (lambda: bn.random_tanh_states(4, 0.1, np.array([0.0, np.nan])), ValueError, "finite"),
        (lambda: bn.recall_profile(np.zeros((50, 4)), np.zeros(40), 3), ValueError, "one row per"),
        (lambda: bn.recall_profile(np.zeros((300, 4)), np.zeros(300), 30), ValueError, "too short"),
        (lambda: bn.recall_profile(np.zeros((300, 4)), np.zeros(300), 0), ValueError, ">= 1"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
