"""Linear memory capacity is at most H (Jaeger 2001), and only for linear read-outs: one
unit holds dozens of bits for a nonlinear one. The numbers on the page."""

import bottleneck as bn
import numpy as np
import pytest
from support import expected_output


@pytest.fixture(scope="module")
def found():
    return bn.profiles()


def test_capacity_never_exceeds_the_number_of_units(found):
    """Jaeger (2001): for independent inputs the LINEAR memory capacity is at most H."""
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


def test_saturation_caps_capacity_far_below_h(found):
    small, unit = bn.INPUT_SCALES
    for n in (32, 128):
        assert found[unit, n].sum() < 0.35 * found[small, n].sum()
    assert found[unit, 128].sum() < 0.1 * 128  # 128 units, barely a dozen numbers


def test_recall_of_a_copy_of_the_input_is_perfect():
    """Sanity check of the read-out: a 'state' that stores the last 3 inputs recovers d < 3."""
    x = np.random.default_rng(0).uniform(-1, 1, 2000)
    states = np.column_stack([np.roll(x, d) for d in range(3)])
    r2 = bn.recall_profile(states, x, 5)
    assert np.allclose(r2[:3], 1.0) and np.all(r2[3:] < 0.01)


def test_page_output(found):
    text = expected_output("gates/bottleneck")
    for label in bn.INPUT_SCALES:
        block = text.split(f"{label}:")[1]
        for n in bn.SIZES:
            r2 = found[label, n]
            row = "".join(f"  {r2[d]:7.3f}" for d in bn.SHOWN_DELAYS)
            assert f"  {n:4d}{row}  {r2.sum():8.1f}  (at most H = {n})" in block


@pytest.fixture(scope="module")
def bits():
    return np.random.default_rng(2).integers(0, 2, 50_000).astype(float)


def test_one_unit_has_linear_capacity_one_but_holds_dozens_of_bits(bits):
    """The capacity bound is about linear read-outs: h_t = (h_{t-1} + x_t) / 2 stores the
    bits as binary digits, and reading digit d + 1 recovers x_{t-d} exactly."""
    states = bn.binary_memory(bits)
    r2 = bn.recall_profile(states[:, None], bits, bn.LINEAR_DELAYS)
    assert np.allclose(r2, 3 / 4.0 ** (np.arange(bn.LINEAR_DELAYS) + 1), atol=0.01)
    assert r2.sum() == pytest.approx(1.0, abs=0.02)  # the bound, H = 1
    depth = bn.decodable_bits(states, bits)
    assert depth >= 30  # at least 30 times what "one number" suggests
    t = np.arange(bn.BIT_DELAYS, len(bits))
    for d in range(depth):
        assert np.array_equal(bn.read_bit(states[t], d), bits[t - d]), d


def test_noise_not_the_unit_count_limits_the_binary_memory(bits):
    depths = [
        bn.decodable_bits(bn.binary_memory(bits, noise, seed=3), bits, 0.99)
        for noise in (1e-9, 1e-6, 1e-3)
    ]
    assert depths == sorted(depths, reverse=True) and depths[-1] < depths[0]
    # about log2(1 / noise) digits survive
    assert 8 <= depths[1] <= 20 and depths[2] <= 10


def test_page_values():
    text = expected_output("gates/bottleneck")
    assert "capacity = 1.00, exactly 1 = H" in text
    assert "the last 39 bits, all exact" in text


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: bn.random_tanh_states(0, 0.1, np.zeros(10)), ValueError, "n_units must be >= 1"),
        (lambda: bn.random_tanh_states(4.0, 0.1, np.zeros(10)), TypeError, "integer"),
        (lambda: bn.random_tanh_states(4, -1.0, np.zeros(10)), ValueError, "input_scale"),
        (lambda: bn.random_tanh_states(4, 0.1, np.zeros((10, 2))), ValueError, "1-D"),
        (lambda: bn.binary_memory(np.array([0.0, 2.0])), ValueError, "zeros and ones"),
        (lambda: bn.binary_memory(np.array([0.0, 1.0]), noise=-1.0), ValueError, "noise"),
        (lambda: bn.random_tanh_states(4, 0.1, np.array([0.0, np.nan])), ValueError, "finite"),
        (lambda: bn.recall_profile(np.zeros((50, 4)), np.zeros(40), 3), ValueError, "one row per"),
        (lambda: bn.recall_profile(np.zeros((300, 4)), np.zeros(300), 30), ValueError, "too short"),
        (lambda: bn.recall_profile(np.zeros((300, 4)), np.zeros(300), 0), ValueError, ">= 1"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
