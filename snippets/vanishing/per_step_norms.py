"""How much gradient reaches each time step: ||dL/dh_t|| for a loss at the last step only,
for sigmoid, tanh and ReLU RNNs whose recurrent matrix is s times a random orthogonal matrix.

Every singular value of W_hh = s Q is exactly s, so s is the quantity the bound
||dh_t/dh_k|| <= (gamma s)^(t-k) is about (gamma = 1/4 for sigmoid, 1 for tanh and ReLU).
All T norms of one network come from ONE backward pass (step_grads.per_step_grad_norms).

Run: python per_step_norms.py   (prints the table, writes per_step_norms.svg and
per_step_norms.json)
"""

import json

import matplotlib.pyplot as plt
import torch
from torch import nn

from rnnbook.gradients import per_step_grad_norms, unroll

ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
GAMMA = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0}  # the largest slope of each activation
SCALES = (0.5, 1.0, 2.0, 4.0)
T, BATCH, INPUT, HIDDEN = 50, 16, 4, 32


# --8<-- [start:cell]
class ElmanCell(nn.Module):
    """h_t = phi(W_hh h_{t-1} + W_xh x_t + b_h), with W_hh = scale x a random orthogonal matrix."""

    def __init__(self, activation: str, scale: float, seed: int = 0):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
        if not scale > 0:
            raise ValueError(f"scale must be a positive number, got {scale!r}")
        g = torch.Generator().manual_seed(seed)
        Q, R = torch.linalg.qr(torch.randn(HIDDEN, HIDDEN, generator=g, dtype=torch.float64))
        Q = Q * torch.sign(torch.diagonal(R))  # uniformly random orthogonal
        self.W_hh = nn.Parameter(scale * Q)
        self.W_xh = nn.Parameter(torch.randn(HIDDEN, INPUT, generator=g, dtype=torch.float64) / 2)
        self.b_h = nn.Parameter(torch.zeros(HIDDEN, dtype=torch.float64))
        self.phi = ACTIVATIONS[activation]
        self.hidden_size = HIDDEN

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return self.phi(h @ self.W_hh.T + x @ self.W_xh.T + self.b_h)


# --8<-- [end:cell]


# --8<-- [start:measure]
def gradient_profile(
    activation: str,
    scale: float,
    seed: int = 0,
) -> torch.Tensor:
    """||dL/dh_t|| / ||dL/dh_T||, t = 1..T, for a loss on h_T: one backward pass."""
    cell = ElmanCell(activation, scale, seed)
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(BATCH, T, INPUT, generator=g, dtype=torch.float64)
    readout = torch.randn(HIDDEN, generator=g, dtype=torch.float64) / HIDDEN**0.5
    target = torch.randn(BATCH, generator=g, dtype=torch.float64)
    states = unroll(cell, x)
    loss = 0.5 * ((states[-1] @ readout - target) ** 2).mean()
    norms = per_step_grad_norms(loss, states)  # all T of them, one pass
    return norms / norms[-1]


# --8<-- [end:measure]


def plot(profiles: dict[tuple[str, float], torch.Tensor], path: str = "per_step_norms.svg") -> None:
    """One panel per activation, one line per scale, log scale, loss at the right edge."""
    fig, axes = plt.subplots(1, 3, sharey=True, figsize=(8.0, 3.6))
    t = range(1, T + 1)
    for ax, activation in zip(axes, ACTIVATIONS, strict=True):
        for scale in SCALES:
            ax.plot(t, profiles[activation, scale].numpy(), label=f"s = {scale:g}")
        gamma = "1/4" if GAMMA[activation] == 0.25 else "1"
        ax.set_title(f"{activation}  (γ = {gamma})")
        ax.set_yscale("log")
    fig.supxlabel("time step t   (the loss looks at the last state, t = 50)", fontsize="medium")
    axes[0].set_ylabel("‖∂L/∂hₜ‖ / ‖∂L/∂h₅₀‖   (log scale)")
    axes[0].set_yticks([10.0**k for k in range(-50, 21, 10)])
    axes[0].set_ylim(1e-52, 1e25)
    axes[0].legend(loc="upper left", title="W_hh = s·Q", fontsize="small", title_fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    profiles = {(a, s): gradient_profile(a, s) for a in ACTIVATIONS for s in SCALES}
    print(f"T = {T}, loss at the last step; ratio = ||dL/dh_1|| / ||dL/dh_T||")
    print("activation  scale s  gamma*s      ratio  factor per step")
    values = {}
    for (activation, scale), profile in profiles.items():
        ratio = profile[0].item()
        per_step = ratio ** (1 / (T - 1))
        print(
            f"{activation:10s}  {scale:7g}  {GAMMA[activation] * scale:7g}  {ratio:9.1e}  {per_step:15.3f}"
        )
        values[f"factor_{activation}_{scale:g}"] = round(per_step, 2)
    with open("per_step_norms.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1)
        handle.write("\n")
    plot(profiles)
# --8<-- [end:main]
