"""The cell path multiplies by f_t at every step: its numbers, as the page states them."""

import math

import forget_gate as fg
import pytest
import torch
from support import expected_output


@pytest.fixture(scope="module")
def found():
    return fg.measure()


def test_cell_path_is_exactly_the_product_of_forget_gates(found):
    """With the h paths cut, dL/dc_t = (f_{t+1} * ... * f_T) * dL/dc_T, to rounding."""
    for row in found.values():
        by_hand = fg.cell_path_by_hand(row["forget"], row["grad_c_T"])
        assert torch.allclose(by_hand / by_hand[-1], row["cell path only"], rtol=1e-10, atol=0)


def test_cell_path_lies_between_the_smallest_and_largest_product(found):
    for row in found.values():
        products = row["forget"][1:].prod(dim=0)  # f_2 * ... * f_T, per sequence and unit
        ratio = row["cell path only"][0].item()
        assert products.min().item() <= ratio <= products.max().item()


def test_a_forget_gate_below_one_still_decays_geometrically(found):
    """The correction of note 003: even b_f = 5 loses on the cell path, and default init vanishes."""
    for name, row in found.items():
        assert row["cell path only"][0] < 1, name
    assert found["PyTorch default"]["all paths"][0] < 1e-20  # over twenty orders of magnitude
    assert found["b_f = 1"]["all paths"][0] < 1e-6
    assert found["b_f = 1"]["cell path only"][0] < 1e-10


def test_a_larger_bias_keeps_more_and_the_other_paths_add(found):
    ratios = [row["cell path only"][0].item() for row in found.values()]
    assert ratios == sorted(ratios)  # default < 1 < 3 < 5
    assert ratios[1] > 1e6 * ratios[0]  # b_f = 1 gains many orders of magnitude
    for row in found.values():
        assert row["all paths"][0] > row["cell path only"][0]
    assert found["b_f = 3"]["all paths"][0] > 1 and found["b_f = 5"]["all paths"][0] > 10


def test_saturated_forget_gate_learns_slowly(found):
    slopes = {
        name: (row["forget"] * (1 - row["forget"])).mean().item() for name, row in found.items()
    }
    assert slopes["PyTorch default"] == pytest.approx(0.25, abs=0.005)
    assert slopes["b_f = 5"] < 0.01 < slopes["b_f = 1"]


def test_page_output(found):
    text = expected_output("gates/forget_gate")
    for name, row in found.items():
        f = row["forget"]
        f_bar, f_j = fg.geometric_mean(f), fg.most_open_unit(f)
        assert (
            f"{name:16s}  {f_bar:5.3f}  {f_bar ** (fg.T - 1):7.1e}  {f_j ** (fg.T - 1):16.1e}"
            f"  {row['cell path only'][0]:10.1e}  {row['all paths'][0]:10.1e}\n"
        ) in text
        slope = (f * (1 - f)).mean().item()
        assert f"  {name:16s}  {slope:.4f}\n" in text
    for bias, steps in ((1, "3.2"), (3, "20.6"), (5, "148.9")):
        f = 1 / (1 + math.exp(-bias))
        assert -1 / math.log(f) == pytest.approx(float(steps), abs=0.05)
        assert f"sigmoid({bias}) = {f:.4f}: a factor e lost every {steps} steps" in text


def test_bad_input_gets_a_clear_error():
    lstm, readout = fg.make_lstm(None)
    x, y = fg.adding_inputs()
    with pytest.raises(ValueError, match=r"need x \(batch, T, input\) and y \(batch,\)"):
        fg.cell_gradients(lstm, readout, x, y[:3], cell_path_only=True)
    with pytest.raises(ValueError, match="need f"):
        fg.cell_path_by_hand(torch.ones(5, 2, 3), torch.ones(2, 4))
    with pytest.raises(TypeError, match="must be a number"):
        fg.make_lstm("1")
    with pytest.raises(ValueError, match=r"need gradients \(T, batch, H\)"):
        fg.relative_norms(torch.ones(5, 3))
    with pytest.raises(ValueError, match="positive values"):
        fg.geometric_mean(torch.tensor([0.5, 0.0]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fg.cell_path_by_hand(torch.full((5, 2, 3), 1.5), torch.ones(2, 3))
