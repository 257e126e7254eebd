"""The LeakyReLU cell, and what ReLU and LeakyReLU trade against tanh."""

import activations as ac
import pytest
import torch
from step_grads import cell_from_rnn, unroll
from support import expected_output
from torch import nn


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
    assert tanh_state < 4 < ac.lrt.HIDDEN**0.5  # tanh saturates: every unit below 1


@pytest.fixture(scope="module")
def runs():
    torch.set_num_threads(1)
    return {a: ac.train(a, ac.CLIP) for a in ac.CELLS}


def test_page_output(runs):
    text = expected_output("fixes/activations")
    for activation, r in runs.items():
        cells = ac.row(activation, r)
        assert " | ".join(f"{h}: {v}" for h, v in zip(ac.HEADER, cells, strict=True)) in text
    assert "activation: tanh | ‖∂L/∂h₁‖ / ‖∂L/∂h₄₀‖, W_hh = I: 0.95 |" in text
    assert "activation: ReLU | ‖∂L/∂h₁‖ / ‖∂L/∂h₄₀‖, W_hh = I: 0.45 |" in text
    assert (
        "‖h₄₀‖, W_hh = 1.2 I: 111 | steps clipped in training: 100% | last-50 loss: 0.054" in text
    )


def test_plot_is_byte_stable(tmp_path, runs):
    ac.plot(runs, str(tmp_path / "a.svg"))
    ac.plot(runs, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
