"""The hand-written LSTM and GRU equal PyTorch's, and the layout the page describes is PyTorch's."""

import pytest
import torch
from support import expected_output
from torch import nn

from rnnbook import cells as gc
from rnnbook import gradients as step_grads

TIGHT = {"rtol": 0.0, "atol": 1e-12}


def layers(kind, input_size=3, hidden=5, seed=0):
    torch.manual_seed(seed)
    return kind(input_size, hidden, batch_first=True).double()


@pytest.mark.parametrize(("seed", "input_size", "hidden", "steps"), [(0, 3, 5, 9), (1, 1, 7, 20)])
def test_hand_lstm_equals_nn_lstm_from_any_start(seed, input_size, hidden, steps):
    lstm = layers(nn.LSTM, input_size, hidden, seed)
    if seed:
        gc.set_forget_bias(lstm, 1.0)  # also after changing the bias
    x = torch.randn(4, steps, input_size, dtype=torch.float64)
    h0, c0 = torch.randn(2, 4, hidden, dtype=torch.float64)
    output, (h_T, c_T) = lstm(x, (h0[None], c0[None]))
    h, c = h0, c0
    for t in range(steps):
        h, c, gates = gc.lstm_step(lstm, x[:, t], h, c)
        assert torch.allclose(h, output[:, t], **TIGHT)
        assert all(((g > 0) & (g < 1)).all() for name, g in gates.items() if name != "g")
    assert torch.allclose(c, c_T[0], **TIGHT) and torch.allclose(h, h_T[0], **TIGHT)


@pytest.mark.parametrize(("seed", "input_size", "hidden", "steps"), [(0, 3, 5, 9), (2, 2, 6, 25)])
def test_hand_gru_equals_nn_gru_and_chos_form_does_not(seed, input_size, hidden, steps):
    gru = layers(nn.GRU, input_size, hidden, seed)
    x = torch.randn(4, steps, input_size, dtype=torch.float64)
    h0 = torch.randn(4, hidden, dtype=torch.float64)
    output, _ = gru(x, h0[None])
    states = step_grads.unroll(gc.GRUByHand(gru), x, h0)  # the cell works with unroll
    assert torch.allclose(torch.stack(states, 1), output, **TIGHT)
    cho = gc.gru_step_reset_before(gru, x[:, 0], h0)
    assert (cho - output[:, 0]).abs().max() > 1e-3  # a different model, not rounding


def test_the_layout_is_pytorchs_own():
    """Open the f block fully and shut the i block: nn.LSTM itself keeps c unchanged."""
    lstm = layers(nn.LSTM)
    H = lstm.hidden_size
    with torch.no_grad():
        lstm.bias_ih_l0[H : 2 * H] = 60.0  # f = 1
        lstm.bias_ih_l0[0:H] = -60.0  # i = 0
    x = torch.randn(2, 30, 3, dtype=torch.float64)
    c0 = torch.randn(1, 2, H, dtype=torch.float64)
    _, (_, c_T) = lstm(x, (torch.zeros_like(c0), c0))
    assert torch.allclose(c_T, c0, **TIGHT)
    # GRU: the second block is z, and z = 1 keeps the old state: h_t = (1 - z) n + z h.
    gru = layers(nn.GRU)
    with torch.no_grad():
        gru.bias_ih_l0[H : 2 * H] = 60.0
    h0 = torch.randn(1, 2, H, dtype=torch.float64)
    _, h_T = gru(x, h0)
    assert torch.allclose(h_T, h0, **TIGHT)


def test_slices_are_views_and_gradients_reach_the_layer():
    lstm = layers(nn.LSTM)
    x = torch.randn(3, 6, 3, dtype=torch.float64)
    hs, cs = gc.unroll_lstm(gc.LSTMByHand(lstm), x)
    (hs[-1].sum() + cs[-1].sum()).backward()
    by_hand = lstm.weight_hh_l0.grad.clone()
    lstm.zero_grad()
    _, (h_T, c_T) = lstm(x)
    (h_T.sum() + c_T.sum()).backward()
    assert torch.allclose(by_hand, lstm.weight_hh_l0.grad, rtol=1e-10, atol=1e-12)
    slices = gc.gate_slices(lstm)
    assert slices["o"]["W_h"].data_ptr() == lstm.weight_hh_l0[15:].data_ptr()
    assert torch.equal(slices["f"]["b"], lstm.bias_ih_l0[5:10] + lstm.bias_hh_l0[5:10])


def test_forget_bias_sets_the_effective_bias_and_nothing_else():
    lstm = layers(nn.LSTM)
    before = {n: p.detach().clone() for n, p in lstm.named_parameters()}
    gc.set_forget_bias(lstm, 1.0)
    slices = gc.gate_slices(lstm)
    assert torch.equal(slices["f"]["b"], torch.ones(5, dtype=torch.float64))
    for name in ("weight_ih_l0", "weight_hh_l0"):
        assert torch.equal(before[name], getattr(lstm, name))
    untouched = torch.cat([torch.arange(0, 5), torch.arange(10, 20)])
    assert torch.equal(lstm.bias_ih_l0[untouched], before["bias_ih_l0"][untouched])
    assert torch.equal(lstm.bias_hh_l0[untouched], before["bias_hh_l0"][untouched])
    # With zero input and state, every forget gate is sigmoid(1).
    _, _, gates = gc.lstm_step(lstm, torch.zeros(1, 3).double(), *torch.zeros(2, 1, 5).double())
    assert torch.allclose(gates["f"], torch.sigmoid(torch.tensor(1.0)).double().expand(1, 5))


def test_default_forget_gate_is_about_one_half():
    """PyTorch draws both biases from U(-1/sqrt(H), 1/sqrt(H)): f starts near sigmoid(0)."""
    lstm = nn.LSTM(1, 64, batch_first=True)
    b = gc.gate_slices(lstm)["f"]["b"]
    assert b.abs().max() <= 2 / 64**0.5 and abs(b.mean().item()) < 0.05


def test_parameter_counts():
    counts = {
        k: gc.parameter_count(m(1, 32))
        for k, m in (("RNN", nn.RNN), ("GRU", nn.GRU), ("LSTM", nn.LSTM))
    }
    assert counts == {"RNN": 1120, "GRU": 3 * 1120, "LSTM": 4 * 1120}


def test_page_output():
    text = expected_output("gates/gate_cells")
    assert "nn.LSTM: (20, 3), i = rows 0:5, f = rows 5:10, g = rows 10:15, o = rows 15:20" in text
    assert "nn.GRU: (15, 3), r = rows 0:5, u = rows 5:10, h_hat = rows 10:15" in text
    assert "calls the GRU's u and h_hat z and n" in text
    assert "every h_t equal to 1e-12: True; c_T equal to 1e-12: True" in text
    assert "reset after the product W_h h (PyTorch's form): equal to 1e-12: True" in text
    assert "reset before it (Cho et al. 2014):               differs by up to 0.16" in text
    assert f"f = sigmoid(1) = {torch.sigmoid(torch.tensor(1.0)).item():.4f}" in text
    assert "after set_forget_bias(lstm, 1.0): [1.0, 1.0, 1.0, 1.0, 1.0]" in text
    assert "RNN 1120, GRU 3360, LSTM 4480" in text


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: gc.gate_slices(nn.RNN(2, 3, batch_first=True)), TypeError, "nn.LSTM or an nn.GRU"),
        (lambda: gc.LSTMByHand(nn.GRU(2, 3, batch_first=True)), TypeError, "expected an nn.LSTM"),
        (
            lambda: gc.LSTMByHand(nn.LSTM(2, 3, num_layers=2, batch_first=True)),
            ValueError,
            "num_layers=1",
        ),
        (lambda: gc.LSTMByHand(nn.LSTM(2, 3)), ValueError, "batch_first=True"),
        (
            lambda: gc.GRUByHand(nn.GRU(2, 3, batch_first=True, bidirectional=True)),
            ValueError,
            "one direction",
        ),
        (
            lambda: gc.LSTMByHand(nn.LSTM(2, 3, batch_first=True, proj_size=2)),
            ValueError,
            "proj_size",
        ),
        (
            lambda: gc.lstm_step(
                nn.LSTM(2, 3, batch_first=True),
                torch.zeros(4, 5),
                torch.zeros(4, 3),
                torch.zeros(4, 3),
            ),
            ValueError,
            r"x_t must have shape \(batch, 2\)",
        ),
        (
            lambda: gc.lstm_step(
                nn.LSTM(2, 3, batch_first=True),
                torch.zeros(4, 2),
                torch.zeros(4, 4),
                torch.zeros(4, 3),
            ),
            ValueError,
            r"state must have shape \(4, 3\)",
        ),
        (
            lambda: gc.gru_step(
                nn.GRU(2, 3, batch_first=True), torch.full((1, 2), float("nan")), torch.zeros(1, 3)
            ),
            ValueError,
            "NaN",
        ),
        (
            lambda: gc.unroll_lstm(nn.LSTM(2, 3, batch_first=True), torch.zeros(1, 4, 2)),
            TypeError,
            "LSTMByHand",
        ),
        (
            lambda: gc.unroll_lstm(
                gc.LSTMByHand(nn.LSTM(2, 3, batch_first=True)), torch.zeros(4, 2)
            ),
            ValueError,
            r"\(batch, T, input\)",
        ),
        (
            lambda: gc.set_forget_bias(nn.LSTM(2, 3, batch_first=True), float("nan")),
            ValueError,
            "finite",
        ),
        (lambda: gc.set_forget_bias(nn.LSTM(2, 3, batch_first=True), "1"), TypeError, "number"),
        (lambda: gc.set_forget_bias(nn.LSTM(2, 3, batch_first=True), True), TypeError, "number"),
        (lambda: gc.set_forget_bias(nn.GRU(2, 3, batch_first=True), 1.0), TypeError, "nn.LSTM"),
        (
            lambda: gc.gru_step_reset_before(
                nn.GRU(2, 3, batch_first=True), torch.zeros(1, 2), torch.zeros(2, 3)
            ),
            ValueError,
            r"state must have shape \(1, 3\)",
        ),
        (lambda: gc.parameter_count("lstm"), TypeError, "nn.Module"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
