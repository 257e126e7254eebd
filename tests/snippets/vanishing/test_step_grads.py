"""One backward pass gives the same per-step norms as the NumPy reference and as T passes."""

import numpy as np
import pytest
import torch
from support import expected_output
from torch import nn

from rnnbook import bptt_numpy as rn
from rnnbook import gradients as sg


class NumpyCell(nn.Module):
    """A torch cell with the NumPy reference's parameters and any of its activations."""

    def __init__(self, params: rn.Params, activation: str):
        super().__init__()
        self.W_xh = nn.Parameter(torch.tensor(params.W_xh))
        self.W_hh = nn.Parameter(torch.tensor(params.W_hh))
        self.b_h = nn.Parameter(torch.tensor(params.b_h))
        self.phi = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[activation]
        self.hidden_size = params.sizes[1]

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return self.phi(h @ self.W_hh.T + x @ self.W_xh.T + self.b_h)


@pytest.mark.parametrize("activation", rn.ACTIVATIONS)
@pytest.mark.parametrize("loss_at", rn.LOSS_AT)
def test_one_pass_matches_the_numpy_bptt_reference(activation, loss_at):
    params = rn.init_params(3, 6, 2, recurrent_scale=1.1, seed=4)
    rng = np.random.default_rng(4)
    xs = rng.standard_normal((9, 3))
    targets = rng.standard_normal(2) if loss_at == "last" else rng.standard_normal((9, 2))
    _, ref = rn.backward(params, rn.forward(params, xs, activation=activation), targets, loss_at)

    states = sg.unroll(NumpyCell(params, activation), torch.tensor(xs)[None])
    y = torch.stack(states, dim=1)[0] @ torch.tensor(params.W_hy).T + torch.tensor(params.b_y)
    err = y[-1] - torch.tensor(targets) if loss_at == "last" else y - torch.tensor(targets)
    norms = sg.per_step_grad_norms(0.5 * (err**2).sum(), states)
    assert norms.shape == (9,)
    assert np.allclose(norms.numpy(), ref, rtol=1e-10, atol=1e-14)


def rnn_case(nonlinearity: str, seed: int = 0, T: int = 15):
    torch.manual_seed(seed)
    rnn = nn.RNN(4, 10, batch_first=True, nonlinearity=nonlinearity).double()
    readout = nn.Linear(10, 1).double()
    x = torch.randn(5, T, 4, dtype=torch.float64)
    return rnn, readout, x


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_one_pass_equals_T_separate_passes(nonlinearity):
    rnn, readout, x = rnn_case(nonlinearity)
    states = sg.unroll(sg.cell_from_rnn(rnn), x)
    loss = readout(states[-1]).pow(2).mean() + 0.1 * readout(states[5]).sum()
    one = sg.per_step_grad_norms(loss, states)
    many = sg.per_step_grad_norms_loop(loss, states)
    assert torch.allclose(one, many, rtol=1e-12, atol=0)
    assert not one.requires_grad
    # Parameters' .grad untouched and the graph still usable afterwards.
    assert all(p.grad is None for p in rnn.parameters())
    loss.backward()  # through the shared cell, into the RNN's own parameters
    assert rnn.weight_hh_l0.grad is not None and rnn.bias_ih_l0.grad is not None


def test_cell_shares_the_rnn_parameters():
    rnn, _, x = rnn_case("relu")
    cell = sg.cell_from_rnn(rnn)
    assert cell.nonlinearity == "relu"
    assert {id(p) for p in cell.parameters()} == {id(p) for p in rnn.parameters()}
    with torch.no_grad():
        rnn.weight_hh_l0.mul_(0.5)  # an optimizer step, say
    assert torch.allclose(rnn(x)[0], torch.stack(sg.unroll(cell, x), dim=1), atol=1e-12)


def test_cell_copy_reproduces_nn_rnn_and_the_fused_output_gives_only_direct_gradients():
    rnn, readout, x = rnn_case("tanh")
    states = sg.unroll(sg.cell_from_rnn(rnn), x)
    output, h_n = rnn(x)
    assert torch.allclose(output, torch.stack(states, dim=1), atol=1e-12)
    assert torch.allclose(h_n[0], states[-1], atol=1e-12)
    (direct,) = torch.autograd.grad(readout(output[:, -1]).sum(), output)
    total = sg.per_step_grad_norms(readout(states[-1]).sum(), states)
    assert torch.all(direct[:, :-1] == 0)  # the fused output misses the path through time
    assert torch.all(total[:-1] > 0)
    assert direct[:, -1].norm() == pytest.approx(float(total[-1]), rel=1e-12)


def test_page_output():
    text = expected_output("vanishing/step_grads")
    assert "cell states equal nn.RNN's output: True" in text
    rows = [line.split() for line in text.splitlines() if line[:2].strip().isdigit()]
    assert len(rows) == 12
    for row in rows[:-1]:
        assert row[1] == row[2] and row[3] == "0.00e+00"
    assert rows[-1][1] == rows[-1][2] == rows[-1][3]
    ones = [float(r[1]) for r in rows]
    assert ones == sorted(ones) and ones[0] < ones[-1] / 1000  # falls by > 1000x over 11 steps


def test_uses_no_hidden_size_only_if_h0_given():
    cell = lambda x, h: torch.tanh(x + h)  # noqa: E731
    x = torch.randn(2, 3, 4, requires_grad=True)
    assert len(sg.unroll(cell, x, h0=torch.zeros(2, 4))) == 3
    with pytest.raises(TypeError, match="hidden_size"):
        sg.unroll(cell, x)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda c, s: sg.unroll(c, torch.randn(3, 4)), ValueError, r"\(batch, T, input\)"),
        (lambda c, s: sg.unroll(c, torch.randn(2, 0, 4)), ValueError, "T >= 1"),
        (lambda c, s: sg.unroll(c, [[1.0]]), ValueError, "got list"),
        (lambda c, s: sg.unroll(c, torch.full((1, 2, 4), float("nan"))), ValueError, "NaN"),
        (lambda c, s: sg.per_step_grad_norms(s[-1].sum(), []), ValueError, "non-empty"),
        (lambda c, s: sg.per_step_grad_norms(s[-1], s), ValueError, "scalar"),
        (lambda c, s: sg.per_step_grad_norms(1.0, s), ValueError, "scalar"),
        (
            lambda c, s: sg.per_step_grad_norms(s[-1].sum(), [h.detach() for h in s]),
            ValueError,
            "requires grad",
        ),
        (lambda c, s: sg.per_step_grad_norms_loop(s[-1], s), ValueError, "scalar"),
        (lambda c, s: sg.cell_from_rnn(nn.LSTM(4, 5)), TypeError, "nn.RNN"),
        (
            lambda c, s: sg.cell_from_rnn(nn.RNN(4, 5, num_layers=2, batch_first=True)),
            ValueError,
            "num_layers=1",
        ),
        (lambda c, s: sg.cell_from_rnn(nn.RNN(4, 5)), ValueError, "batch_first"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    cell = nn.RNNCell(4, 5)
    states = sg.unroll(cell, torch.randn(2, 3, 4))
    with pytest.raises(error, match=message):
        call(cell, states)


def test_states_built_without_grad_are_rejected():
    cell = nn.RNNCell(4, 5)
    with torch.no_grad():
        states = sg.unroll(cell, torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match="no_grad"):
        sg.per_step_grad_norms(torch.tensor(1.0, requires_grad=True), states)
