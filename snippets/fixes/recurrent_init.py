"""Recurrent initialisation: PyTorch's default against orthogonal and identity (IRNN).

- default: nn.RNN draws every weight from U(-1/sqrt(H), 1/sqrt(H)); tanh.
- orthogonal: W_hh = a random orthogonal matrix (torch.nn.init.orthogonal_): every singular
  value is 1, every eigenvalue on the unit circle; the rest as default; tanh.
- identity (IRNN, Le, Jaitly & Hinton 2015): ReLU, W_hh = I, zero biases, small input
  weights (normal, standard deviation 0.01).

For each: the spectrum of W_hh at initialisation, the per-timestep gradient norms
||dL/dh_t|| at initialisation (one backward pass, step_grads.py), and training on the
vanishing chapter's recall task with the bit 40 steps back (recall_runs.py: SGD, five
seeds, at most 300 steps), with clip_grad_norm_ at 1 at two learning rates, and the
orthogonal start once more without clipping.

Run: python recurrent_init.py   (prints the table; writes recurrent_init.svg,
recurrent_init_table.md and recurrent_init.json, the numbers the page quotes)
"""

import json
import math
import statistics

import matplotlib.pyplot as plt
import torch
from torch import nn

from rnnbook import recall, recall_runs
from rnnbook.gradients import cell_from_rnn, per_step_grad_norms, unroll

DISTANCE = recall_runs.DISTANCE
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
    rnn = nn.RNN(2, recall.HIDDEN, nonlinearity=nonlinearity, batch_first=True)
    readout = nn.Linear(recall.HIDDEN, 1)
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
    x, y = recall.remember_first_bit(recall.BATCH, DISTANCE, torch.Generator().manual_seed(seed))
    states = unroll(cell_from_rnn(rnn), x)
    norms = per_step_grad_norms(nn.functional.mse_loss(readout(states[-1]), y), states)
    return norms / norms[-1]


# --8<-- [start:train]
def runs(scheme: str, lr: float, clip: float | None) -> list[recall_runs.Run]:
    """The recall task on every seed, from a fresh `scheme` start (recall_runs.train)."""
    return recall_runs.over_seeds(
        lambda seed: recall_runs.LastState(*make_model(scheme, seed)), lr=lr, clip=clip
    )


# --8<-- [end:train]


def recipe_name(lr: float, clip: float | None) -> str:
    """Column title for one training recipe."""
    return f"lr {lr:g}, " + ("no clipping" if clip is None else f"clip {clip:g}")


HEADER = [
    "W_hh at init",
    "σ_max",
    "ρ (spectral radius)",
    "R = ‖∂L/∂h₁‖ / ‖∂L/∂h₄₀‖ at init",
    *(f"{recipe_name(lr, clip)}: solved" for lr, clip in RECIPES),
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


def solved(found: list[recall_runs.Run]) -> str:
    """'k of n' solved, with the median final loss (mean of the last 20 steps)."""
    k = sum(r.solved_at is not None for r in found)
    finals = [r.final for r in found if r.diverged_at is None]
    loss = f"{statistics.median(finals):.2f}" if finals else "NaN"
    return f"{k} of {len(found)} (median loss {loss})"


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    rows, values = [], {"seeds": len(recall_runs.SEEDS)}
    for scheme in SCHEMES:
        spectra = [spectrum(make_model(scheme, seed)[0].weight_hh_l0) for seed in recall_runs.SEEDS]
        ratios = [step_norms(scheme, seed)[0].item() for seed in recall_runs.SEEDS]
        found = {recipe: runs(scheme, *recipe) for recipe in RECIPES}
        rows.append(
            [
                LABELS[scheme],
                f"{statistics.median(sv[0].item() for _, sv in spectra):.2f}",
                f"{statistics.median(ev.abs().max().item() for ev, _ in spectra):.2f}",
                f"{statistics.median(ratios):.0e}",
                *(solved(found[recipe]) for recipe in RECIPES),
            ]
        )
        values[f"{scheme}_ratio"] = f"{statistics.median(ratios):.0e}"
        for (lr, _), found_runs in found.items():
            values[f"{scheme}_lr{lr:g}_solved".replace(".", "")] = sum(
                r.solved_at is not None for r in found_runs
            )
    unclipped = runs("orthogonal", 0.1, None)
    overflow = sum(r.diverged_at is not None for r in unclipped)
    values["unclipped_nonfinite"] = overflow
    print(
        f"recall a bit {recall_runs.DISTANCE} steps back; seeds 0-{len(recall_runs.SEEDS) - 1}; at most "
        f"{recall_runs.STEPS} SGD steps; solved: mean loss of the last {recall_runs.WINDOW} steps < {recall_runs.SOLVED}"
    )
    print("(σ_max, ρ and R: medians over the seeds)")
    print(" | ".join(HEADER))
    for r in rows:
        print(" | ".join(r))
    print(
        f"orthogonal (tanh), lr 0.1 without clipping: non-finite in {overflow} of {len(unclipped)}"
    )
    with open("recurrent_init_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    with open("recurrent_init.json", "w", encoding="utf-8") as out:
        json.dump(values, out, indent=1)
    plot()
# --8<-- [end:main]
