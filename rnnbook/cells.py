"""LSTM and GRU written out equation by equation, reading PyTorch's own parameters.

PyTorch stores all the gates of a layer in two matrices and two bias vectors, stacked by
rows. For nn.LSTM the row blocks are, in this order, the input gate i, the forget gate f,
the candidate g and the output gate o:

    weight_ih_l0 (4H, D) = [W_xi; W_xf; W_xg; W_xo]     bias_ih_l0 (4H,)
    weight_hh_l0 (4H, H) = [W_hi; W_hf; W_hg; W_ho]     bias_hh_l0 (4H,)

For nn.GRU there are three blocks: the reset gate r, the update gate u and the candidate
h_hat (PyTorch's documentation calls the last two z and n). Each gate adds BOTH biases, so the bias a gate really has is bias_ih + bias_hh in its
slice. The cells below compute every equation by hand from those slices; the test checks
them against nn.LSTM and nn.GRU in float64.

A batch is a matrix whose rows are samples, so "W x" for every sample is `x @ W.T`.

Use it:

    cell = LSTMByHand(lstm)             # shares lstm's Parameters (not a copy)
    hs, cs = unroll_lstm(cell, x)       # [h_1..h_T], [c_1..c_T], all in the graph
    gru_cell = GRUByHand(gru)           # cell(x_t, h) -> h: works with step_grads.unroll

Run: python gate_cells.py

Taught in docs/gates.md; run by snippets/gates/gate_cells.py.
"""

import torch
from torch import nn

TOLERANCE = 1e-12  # float64: the hand-written cells agree with PyTorch's to rounding
LSTM_GATES = ("i", "f", "g", "o")  # PyTorch's row order in weight_ih_l0 / weight_hh_l0
GRU_GATES = ("r", "u", "h_hat")  # PyTorch's documentation: r, z, n


def check_layer(layer: nn.Module, kind: type) -> None:
    """Raise unless layer is a one-layer, one-direction, batch-first kind with biases."""
    if not isinstance(layer, kind):
        raise TypeError(f"expected an nn.{kind.__name__}, got {type(layer).__name__}")
    if layer.num_layers != 1 or layer.bidirectional or not layer.batch_first or not layer.bias:
        raise ValueError(
            f"need {kind.__name__}(..., num_layers=1, batch_first=True, bias=True), "
            "one direction, no projection"
        )
    if getattr(layer, "proj_size", 0):
        raise ValueError("an LSTM with proj_size > 0 has another layout; not supported")


# --8<-- [start:layout]
def gate_slices(layer: nn.LSTM | nn.GRU) -> dict[str, dict[str, torch.Tensor]]:
    """Per gate: input matrix W_x, recurrent W_h, EFFECTIVE bias b (views)."""
    if not isinstance(layer, nn.LSTM | nn.GRU):
        kind = type(layer).__name__
        raise TypeError(f"expected an nn.LSTM or an nn.GRU, got {kind}")
    check_layer(layer, type(layer))
    names = LSTM_GATES if isinstance(layer, nn.LSTM) else GRU_GATES
    H = layer.hidden_size
    W_x, W_h, b_ih, b_hh = (
        layer.get_parameter(name)
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    )
    gates = {}
    for k, name in enumerate(names):
        rows = slice(k * H, (k + 1) * H)  # the k-th block of H rows
        gates[name] = {
            "W_x": W_x[rows],
            "W_h": W_h[rows],
            "b_ih": b_ih[rows],
            "b_hh": b_hh[rows],
            "b": b_ih[rows] + b_hh[rows],  # both are added
        }
    return gates


# --8<-- [end:layout]


def check_step_inputs(x: torch.Tensor, h: torch.Tensor, layer: nn.Module) -> None:
    """Raise a clear error unless x is (batch, input) and h is (batch, hidden), finite."""
    if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != layer.input_size:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x_t must have shape (batch, {layer.input_size}), got {got}")
    if not isinstance(h, torch.Tensor) or h.shape != (x.shape[0], layer.hidden_size):
        got = tuple(h.shape) if isinstance(h, torch.Tensor) else type(h).__name__
        raise ValueError(f"state must have shape ({x.shape[0]}, {layer.hidden_size}), got {got}")
    if not torch.isfinite(x).all():
        raise ValueError("x_t contains NaN or infinite values")


# --8<-- [start:lstm]
def lstm_step(
    layer: nn.LSTM, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
    """One LSTM step with a forget gate: h_t, c_t and the gates i, f, g, o."""
    check_step_inputs(x, h, layer)
    check_step_inputs(x, c, layer)
    p = gate_slices(layer)

    def pre(gate: str) -> torch.Tensor:  # W_x x_t + W_h h_{t-1} + b
        return x @ p[gate]["W_x"].T + h @ p[gate]["W_h"].T + p[gate]["b"]

    i = torch.sigmoid(pre("i"))  # input gate: how much of g to write
    f = torch.sigmoid(pre("f"))  # forget gate: how much of c to keep
    g = torch.tanh(pre("g"))  # candidate values
    o = torch.sigmoid(pre("o"))  # output gate: how much of c to expose
    c_new = f * c + i * g  # the additive path through time
    h_new = o * torch.tanh(c_new)  # what the next step and the readout see
    return h_new, c_new, {"i": i, "f": f, "g": g, "o": o}


# --8<-- [end:lstm]


# --8<-- [start:gru]
def gru_step(layer: nn.GRU, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """One GRU step as nn.GRU computes it: reset AFTER the product with W_h(h_hat)."""
    check_step_inputs(x, h, layer)
    p = gate_slices(layer)
    r = torch.sigmoid(x @ p["r"]["W_x"].T + h @ p["r"]["W_h"].T + p["r"]["b"])
    u = torch.sigmoid(x @ p["u"]["W_x"].T + h @ p["u"]["W_h"].T + p["u"]["b"])
    # The candidate keeps its two biases apart: the recurrent one sits inside the reset.
    from_x = x @ p["h_hat"]["W_x"].T + p["h_hat"]["b_ih"]
    from_h = h @ p["h_hat"]["W_h"].T + p["h_hat"]["b_hh"]
    h_hat = torch.tanh(from_x + r * from_h)
    return (1 - u) * h_hat + u * h  # u = 1 keeps the old state: the additive path


# --8<-- [end:gru]


def gru_step_reset_before(layer: nn.GRU, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Cho et al.'s (2014) candidate, reset BEFORE the product: tanh(W x + W_h (r*h) + b)."""
    check_step_inputs(x, h, layer)
    p = gate_slices(layer)
    r = torch.sigmoid(x @ p["r"]["W_x"].T + h @ p["r"]["W_h"].T + p["r"]["b"])
    u = torch.sigmoid(x @ p["u"]["W_x"].T + h @ p["u"]["W_h"].T + p["u"]["b"])
    h_hat = torch.tanh(x @ p["h_hat"]["W_x"].T + (r * h) @ p["h_hat"]["W_h"].T + p["h_hat"]["b"])
    return (1 - u) * h_hat + u * h


class LSTMByHand(nn.Module):
    """An LSTM cell, (x_t, (h, c)) -> (h, c), that computes with nn.LSTM's own Parameters."""

    def __init__(self, lstm: nn.LSTM):
        super().__init__()
        check_layer(lstm, nn.LSTM)
        self.lstm = lstm  # registered as a submodule: the same Parameter objects
        self.input_size, self.hidden_size = lstm.input_size, lstm.hidden_size

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        h, c, _ = lstm_step(self.lstm, x, *state)
        return h, c


class GRUByHand(nn.Module):
    """A GRU cell, (x_t, h) -> h, that computes with nn.GRU's own Parameters."""

    def __init__(self, gru: nn.GRU):
        super().__init__()
        check_layer(gru, nn.GRU)
        self.gru = gru
        self.input_size, self.hidden_size = gru.input_size, gru.hidden_size

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return gru_step(self.gru, x, h)


# --8<-- [start:unroll]
def unroll_lstm(
    cell: LSTMByHand,
    x: torch.Tensor,
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Run cell over x (batch, T, input) from zeros: [h_1..h_T], [c_1..c_T]."""
    if not isinstance(cell, LSTMByHand):
        raise TypeError(f"cell must be an LSTMByHand, got {type(cell).__name__}")
    if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[1] == 0:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must have shape (batch, T, input), T >= 1; got {got}")
    h = c = x.new_zeros(x.shape[0], cell.hidden_size)
    hs, cs = [], []
    for t in range(x.shape[1]):
        h, c = cell(x[:, t], (h, c))
        hs.append(h)
        cs.append(c)
    return hs, cs


# --8<-- [end:unroll]


# --8<-- [start:forget_bias]
def set_forget_bias(lstm: nn.LSTM, value: float) -> None:
    """Set the forget gate's effective bias (f slice of bias_ih + bias_hh)."""
    check_layer(lstm, nn.LSTM)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"value must be a number, got {type(value).__name__}")
    if value != value or abs(value) == float("inf"):
        raise ValueError(f"value must be finite, got {value}")
    H = lstm.hidden_size
    with torch.no_grad():
        lstm.get_parameter("bias_ih_l0")[H : 2 * H] = value  # the two are added: all in one
        lstm.get_parameter("bias_hh_l0")[H : 2 * H] = 0.0


# --8<-- [end:forget_bias]


def parameter_count(module: nn.Module) -> int:
    """Number of trainable numbers in module."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"expected an nn.Module, got {type(module).__name__}")
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
