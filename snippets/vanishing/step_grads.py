"""`python step_grads.py`: what docs/vanishing.md prints from the book's library module rnnbook.gradients.

rnnbook/gradients.py: Every per-timestep gradient norm ||dL/dh_t|| from ONE backward pass, in PyTorch.
"""

import json

import torch
from torch import nn

from rnnbook.gradients import cell_from_rnn, per_step_grad_norms, per_step_grad_norms_loop, unroll

# --8<-- [start:main]
if __name__ == "__main__":
    torch.manual_seed(0)
    BATCH, T, INPUT, HIDDEN = 8, 12, 3, 16
    # tanh, PyTorch's default initialisation, float64 so that the digits are stable
    rnn = nn.RNN(INPUT, HIDDEN, batch_first=True).double()
    readout = nn.Linear(HIDDEN, 1).double()
    x, y = torch.randn(BATCH, T, INPUT).double(), torch.randn(BATCH, 1).double()

    states = unroll(cell_from_rnn(rnn), x)
    loss = nn.functional.mse_loss(readout(states[-1]), y)  # last step only
    one_pass = per_step_grad_norms(loss, states)
    t_passes = per_step_grad_norms_loop(loss, states)

    # The fused nn.RNN computes the same states...
    output, _ = rnn(x)
    same = torch.allclose(output, torch.stack(states, dim=1), atol=1e-6)
    # ...but the gradient w.r.t. its output holds only the direct part of dL/dh_t.
    fused_loss = nn.functional.mse_loss(readout(output[:, -1]), y)
    (direct,) = torch.autograd.grad(fused_loss, output)

    print(f"tanh RNN, default init, batch {BATCH}, T = {T}, loss at the last step")
    print(f"cell states equal nn.RNN's output: {same}")
    print(" t   one pass   T passes   grad of nn.RNN output")
    for t in range(T):
        fused = direct[:, t].norm()
        print(f"{t + 1:2d}  {one_pass[t]:9.2e}  {t_passes[t]:9.2e}  {fused:9.2e}")
    with open("step_grads.json", "w", encoding="utf-8") as handle:
        shrink = (one_pass[-1] / one_pass[0]).item()  # ||dL/dh_T|| / ||dL/dh_1||
        json.dump({"T": T, "shrink": int(round(shrink, -2))}, handle, indent=1)
        handle.write("\n")
# --8<-- [end:main]
