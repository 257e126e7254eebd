"""The LeakyReLU cell, and what ReLU and LeakyReLU trade against tanh."""

import activations as ac
import pytest
import torch
from support import generated_output, generated_values
from torch import nn

from rnnbook import recall
from rnnbook.gradients import cell_from_rnn, unroll


def test_leaky_cell_at_slope_zero_is_nn_rnn_with_relu():
    torch.manual_seed(0)
    rnn = nn.RNN(3, 8, nonlinearity="relu", batch_first=True)
    cell = ac.LeakyRNNCell(3, 8, negative_slope=0.0)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(rnn, f"{name}_l0"))
    x = torch.randn(5, 7, 3)
    output, _ = rnn(x)
    assert torch.allclose(torch.stack(unroll(cell, x), dim=1), output, atol=1e-6)
    assert torch.allclose(torch.stack(unroll(cell_from_rnn(rnn), x), dim=1), output, atol=1e-6)


def test_leaky_cell_slopes():
    torch.manual_seed(0)
    cell = ac.LeakyRNNCell(2, 4, negative_slope=0.1)
    x, h = torch.randn(3, 2), torch.randn(3, 4)
    z = x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
    assert torch.allclose(cell(x, h), torch.where(z > 0, z, 0.1 * z))
    linear = ac.LeakyRNNCell(2, 4, negative_slope=1.0)
    with torch.no_grad():
        linear.load_state_dict(cell.state_dict())
    assert torch.allclose(linear(x, h), z)  # slope 1: no nonlinearity at all


@pytest.mark.parametrize("slope", [-0.1, 1.5])
def test_bad_slope(slope):
    with pytest.raises(ValueError, match=r"negative_slope must be in \[0, 1\]"):
        ac.LeakyRNNCell(2, 4, negative_slope=slope)


def test_explosion_risk_at_a_recurrence_above_one():
    reach = {a: ac.at_init(a, ac.DRIFT) for a in ac.CELLS}
    tanh_reach, tanh_state = reach["tanh"]
    for activation in ("ReLU", f"LeakyReLU({ac.LEAKY_SLOPE:g})"):
        grad_reach, state = reach[activation]
        assert state > 25 * tanh_state  # unbounded: the state grows like 1.2^t
        assert grad_reach > 5 * tanh_reach
    assert tanh_state < 4 < recall.HIDDEN**0.5  # tanh saturates: every unit below 1


@pytest.fixture(scope="module")
def table() -> dict[str, list[str]]:
    lines = generated_output("fixes/activations").splitlines()
    assert lines[1] == " | ".join(ac.HEADER)
    return {line.split(" | ")[0]: line.split(" | ")[1:] for line in lines[2:]}


def test_at_the_identity_start_tanh_passes_the_most_gradient(table):
    reach = {a: float(cells[0]) for a, cells in table.items()}
    assert reach["tanh"] > 0.8  # near z = 0 tanh is almost linear
    assert reach["ReLU"] < 0.8 * reach["tanh"]  # inactive units cut their row


def test_in_training_tanh_solves_and_the_unbounded_ones_only_partly(table):
    values = generated_values("fixes/activations")
    assert values["seeds"] == 5
    assert values["tanh_solved"] >= 4
    assert values["relu_solved"] <= 1 and values["leaky_solved"] <= 1
    for activation in ("ReLU", f"LeakyReLU({ac.LEAKY_SLOPE:g})"):
        assert float(table[activation][3].rstrip("%")) >= 90  # nearly every step clipped
        median = float(table[activation][4].split("median loss ")[1].rstrip(")"))
        assert median < 0.5  # partly learned, far below the baseline of 1
