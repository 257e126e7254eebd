"""`python gate_cells.py`: what docs/gates.md prints from the book's library module rnnbook.cells.

rnnbook/cells.py: LSTM and GRU written out equation by equation, reading PyTorch's own parameters.
"""

import json

import torch
from torch import nn

from rnnbook.cells import (
    GRU_GATES,
    LSTM_GATES,
    TOLERANCE,
    LSTMByHand,
    gate_slices,
    gru_step,
    gru_step_reset_before,
    parameter_count,
    set_forget_bias,
    unroll_lstm,
)

# --8<-- [start:main]
if __name__ == "__main__":
    torch.manual_seed(0)
    BATCH, T, INPUT, HIDDEN = 4, 9, 3, 5
    lstm = nn.LSTM(INPUT, HIDDEN, batch_first=True).double()
    gru = nn.GRU(INPUT, HIDDEN, batch_first=True).double()
    x = torch.randn(BATCH, T, INPUT, dtype=torch.float64)

    print("Row blocks of weight_ih_l0 / weight_hh_l0 / bias_*_l0 (H = 5):")
    for name, layer, gates in (("nn.LSTM", lstm, LSTM_GATES), ("nn.GRU", gru, GRU_GATES)):
        blocks = ", ".join(
            f"{g} = rows {k * HIDDEN}:{(k + 1) * HIDDEN}" for k, g in enumerate(gates)
        )
        print(f"  {name}: {tuple(layer.weight_ih_l0.shape)}, {blocks}")
    print("  (PyTorch's documentation calls the GRU's u and h_hat z and n)")

    hs, cs = unroll_lstm(LSTMByHand(lstm), x)
    output, (h_T, c_T) = lstm(x)
    print("\nLSTM by hand against nn.LSTM, float64, batch 4, T = 9:")
    same_h = torch.allclose(torch.stack(hs, 1), output, rtol=0, atol=TOLERANCE)
    same_c = torch.allclose(cs[-1], c_T[0], rtol=0, atol=TOLERANCE)
    print(f"  every h_t equal to 1e-12: {same_h}; c_T equal to 1e-12: {same_c}")

    output, _ = gru(x)
    h = h_cho = x.new_zeros(BATCH, HIDDEN)
    gap_torch = gap_cho = 0.0
    for t in range(T):
        h = gru_step(gru, x[:, t], h)
        h_cho = gru_step_reset_before(gru, x[:, t], h_cho)
        gap_torch = max(gap_torch, (h - output[:, t]).abs().max().item())
        gap_cho = max(gap_cho, (h_cho - output[:, t]).abs().max().item())
    print("\nGRU by hand against nn.GRU, float64, every h_t:")
    print(
        f"  reset after the product W_h h (PyTorch's form): equal to 1e-12: {gap_torch < TOLERANCE}"
    )
    print(f"  reset before it (Cho et al. 2014):               differs by up to {gap_cho:.2f}")

    f_bias = gate_slices(lstm)["f"]["b"]
    print("\nForget-gate bias, effective = bias_ih + bias_hh in the f slice:")
    print(f"  PyTorch's default init: {[round(b, 3) for b in f_bias.tolist()]}")
    set_forget_bias(lstm, 1.0)
    f_bias = gate_slices(lstm)["f"]["b"]
    print(f"  after set_forget_bias(lstm, 1.0): {[round(b, 3) for b in f_bias.tolist()]}")
    print(f"  so with zero input and state, f = sigmoid(1) = {torch.sigmoid(f_bias[0]):.4f}")

    sizes = {"RNN": nn.RNN(1, 32), "GRU": nn.GRU(1, 32), "LSTM": nn.LSTM(1, 32)}
    print(
        "\nParameters for input 1, hidden 32: "
        + ", ".join(f"{name} {parameter_count(m)}" for name, m in sizes.items())
    )
    values = {name: parameter_count(m) for name, m in sizes.items()}
    values["cho_gap"] = round(gap_cho, 2)
    with open("gate_cells.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1)
        handle.write("\n")
# --8<-- [end:main]
