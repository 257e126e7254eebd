"""Recurrent initialisation: PyTorch's default against orthogonal and identity (IRNN).

- default: nn.RNN draws every weight from U(-1/sqrt(H), 1/sqrt(H)); tanh.
- orthogonal: W_hh = a random orthogonal matrix (torch.nn.init.orthogonal_): every singular
  value is 1, every eigenvalue on the unit circle; the rest as default; tanh.
- identity (IRNN, Le, Jaitly & Hinton 2015): ReLU, W_hh = I, zero biases, small input
  weights (normal, standard deviation 0.01).

For each: the spectrum of W_hh at initialisation, the per-timestep gradient norms
||dL/dh_t|| at initialisation (one backward pass, step_grads.py), and training on the
vanishing chapter's recall task with the bit 40 steps back (SGD, seed 0, 300 steps), with
clip_grad_norm_ at 1, and once without it.

Run: python recurrent_init.py   (prints the table, writes recurrent_init.svg and
recurrent_init_table.md; needs long_range_training.py and step_grads.py beside it)
"""

import math
import statistics

import long_range_training as lrt
import matplotlib.pyplot as plt
import torch
from step_grads import cell_from_rnn, per_step_grad_norms, unroll
from torch import nn

DISTANCE = 40
SCHEMES = ("default", "orthogonal", "identity")
INPUT_STD = 0.01  # input weights of the identity scheme
CLIP = 1.0
# (learning rate, clip_grad_norm_ threshold or None) for the training columns
RECIPES = ((0.01, CLIP), (0.1, CLIP))


# --8<-- [start:init]
def make_model(scheme: str, seed: int = 0) -> tuple[nn.RNN, nn.Linear]:
    """The recall task's RNN and read-out, with the recurrent initialisation `scheme`."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    torch.manual_seed(seed)
    nonlinearity = "relu" if scheme == "identity" else "tanh"
    rnn = nn.RNN(2, lrt.HIDDEN, nonlinearity=nonlinearity, batch_first=True)
    readout = nn.Linear(lrt.HIDDEN, 1)
    with torch.no_grad():
        if scheme == "orthogonal":
            nn.init.orthogonal_(rnn.weight_hh_l0)
        if scheme == "identity":
            nn.init.eye_(rnn.weight_hh_l0)
            nn.init.zeros_(rnn.bias_hh_l0)
            nn.init.zeros_(rnn.bias_ih_l0)
            nn.init.normal_(rnn.weight_ih_l0, std=INPUT_STD)
    return rnn, readout


# --8<-- [end:init]


def spectrum(W: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (complex) and singular values (descending) of a square matrix."""
    W = W.detach().double()
    return torch.linalg.eigvals(W), torch.linalg.svdvals(W)


def step_norms(scheme: str, seed: int = 0) -> torch.Tensor:
    """||dL/dh_t|| / ||dL/dh_T|| for t = 1..T at initialisation, on one batch of the task."""
    rnn, readout = make_model(scheme, seed)
    x, y = lrt.remember_first_bit(lrt.BATCH, DISTANCE, torch.Generator().manual_seed(seed))
    states = unroll(cell_from_rnn(rnn), x)
    norms = per_step_grad_norms(nn.functional.mse_loss(readout(states[-1]), y), states)
    return norms / norms[-1]


# --8<-- [start:train]
def train(scheme: str, lr: float, clip: float | None, steps: int = lrt.STEPS, seed: int = 0):
    """SGD on the recall task; returns the losses, stopping at the first NaN/Inf."""
    rnn, readout = make_model(scheme, seed)
    params = [*rnn.parameters(), *readout.parameters()]
    optimizer = torch.optim.SGD(params, lr=lr)
    data = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        x, y = lrt.remember_first_bit(lrt.BATCH, DISTANCE, data)
        states, _ = rnn(x)
        loss = nn.functional.mse_loss(readout(states[:, -1]), y)
        optimizer.zero_grad()
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(params, clip)
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            break
        optimizer.step()
    return losses


# --8<-- [end:train]


def outcome(losses: list[float]) -> str:
    """Mean loss of the last 50 steps, or the step of the first NaN/Inf."""
    if not math.isfinite(losses[-1]):
        return f"NaN at {len(losses) - 1}"
    return f"{statistics.fmean(losses[-50:]):.3f}"


def recipe_name(lr: float, clip: float | None) -> str:
    """Column title for one training recipe."""
    return f"lr {lr:g}, " + ("no clipping" if clip is None else f"clip {clip:g}")


HEADER = [
    "W_hh at init",
    "σ_max",
    "spectral radius",
    "‖∂L/∂h₁‖ / ‖∂L/∂h₄₀‖ at init",
    *(recipe_name(lr, clip) for lr, clip in RECIPES),
]
LABELS = {
    "default": "default (tanh)",
    "orthogonal": "orthogonal (tanh)",
    "identity": "identity (ReLU)",
}


def plot(path: str = "recurrent_init.svg") -> None:
    """Eigenvalues, singular values and per-timestep gradient norms at initialisation."""
    fig, axes = plt.subplot_mosaic([["eig", "sv"], ["grad", "grad"]], figsize=(6.8, 6.0))
    eig_ax, sv_ax, grad_ax = axes["eig"], axes["sv"], axes["grad"]
    circle = torch.linspace(0, 2 * math.pi, 200)
    eig_ax.plot(torch.cos(circle), torch.sin(circle), color="0.6", lw=0.8, ls=":")
    markers = {"default": "o", "orthogonal": "s", "identity": "D"}
    for scheme in SCHEMES:
        rnn, _ = make_model(scheme)
        eigenvalues, singular = spectrum(rnn.weight_hh_l0)
        eig_ax.plot(
            eigenvalues.real,
            eigenvalues.imag,
            markers[scheme],
            ms=4,
            ls="none",
            mfc="none",
            label=LABELS[scheme],
        )
        sv_ax.plot(
            range(1, len(singular) + 1),
            singular,
            marker=markers[scheme],
            ms=3,
            label=LABELS[scheme],
        )
        grad_ax.plot(range(1, DISTANCE + 1), step_norms(scheme), label=LABELS[scheme])
    eig_ax.annotate(
        "identity: all at 1",
        (1, 0),
        xytext=(0.1, 1.25),
        fontsize="small",
        arrowprops={"arrowstyle": "-", "color": "0.4", "lw": 0.6},
    )
    eig_ax.set_ylim(-1.2, 1.45)
    eig_ax.set_aspect("equal")
    eig_ax.set_xlabel("Re λ")
    eig_ax.set_ylabel("Im λ")
    eig_ax.set_title("eigenvalues of W_hh")
    sv_ax.set_xlabel("index")
    sv_ax.set_ylabel("singular value")
    sv_ax.set_title("singular values of W_hh")
    grad_ax.set_yscale("log")
    grad_ax.set_xlabel("time step t")
    grad_ax.set_ylabel("‖∂L/∂h_t‖ / ‖∂L/∂h_T‖")
    grad_ax.set_title("gradient reaching step t, at init")
    grad_ax.legend(loc="lower right", fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    rows = []
    for scheme in SCHEMES:
        rnn, _ = make_model(scheme)
        eigenvalues, singular = spectrum(rnn.weight_hh_l0)
        ratio = step_norms(scheme)[0].item()
        runs = [outcome(train(scheme, lr, clip)) for lr, clip in RECIPES]
        rows.append(
            [
                LABELS[scheme],
                f"{singular[0]:.2f}",
                f"{eigenvalues.abs().max():.2f}",
                f"{ratio:.1e}",
                *runs,
            ]
        )
    print(f"recall a bit {DISTANCE} steps back; last-50 loss (answering 0 scores 1), seed 0")
    for r in rows:
        print(" | ".join(f"{h}: {v}" for h, v in zip(HEADER, r, strict=True)))
    unclipped = outcome(train("orthogonal", 0.1, None))
    print(f"orthogonal (tanh), lr 0.1 without clipping: {unclipped}")
    with open("recurrent_init_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
        table.write(f"\nThe orthogonal start at lr 0.1 without clipping: {unclipped}.\n")
    plot()
# --8<-- [end:main]
