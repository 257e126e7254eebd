"""The bias toward recent inputs: how strongly h_T depends on the first input x_1 and on the
latest input x_T, as the sequence gets longer.

    dh_T/dx_T = diag(phi'(z_T)) W_xh                              (one factor, any T)
    dh_T/dx_1 = J_T J_{T-1} ... J_2 diag(phi'(z_1)) W_xh,   J_t = diag(phi'(z_t)) W_hh

A tanh RNN with PyTorch's default initialisation (every weight uniform in +-1/sqrt(H)), in
NumPy with the site's reference model (snippets/bptt/rnn_numpy.py).

Run: python recency.py   (prints the table, writes recency.svg and recency.json)
"""

import json

import matplotlib.pyplot as plt
import numpy as np

from rnnbook.bptt_numpy import Params, derivative, forward, step_jacobian
from rnnbook.report import SUPERSCRIPT, scientific

INPUT, HIDDEN, T_MAX = 4, 32, 60
SHOWN = (1, 2, 5, 10, 20, 30, 40, 50, 60)


def default_init(input_size: int, hidden_size: int, seed: int = 0) -> Params:
    """Every weight and bias uniform in [-1/sqrt(H), 1/sqrt(H)], as torch.nn.RNN does."""
    rng = np.random.default_rng(seed)
    k = 1 / np.sqrt(hidden_size)
    return Params(
        W_xh=rng.uniform(-k, k, (hidden_size, input_size)),
        W_hh=rng.uniform(-k, k, (hidden_size, hidden_size)),
        b_h=rng.uniform(-k, k, hidden_size),  # nn.RNN has two biases; one plays their sum
        W_hy=rng.uniform(-k, k, (1, hidden_size)),
        b_y=np.zeros(1),
    )


# --8<-- [start:influence]
def input_influence(
    params: Params,
    xs: np.ndarray,
    activation: str = "tanh",
) -> tuple[np.ndarray, np.ndarray]:
    """For T = 1..len(xs): ||dh_T/dx_1|| and ||dh_T/dx_T|| (spectral norms)."""
    trace = forward(params, xs, activation=activation)
    first, latest = [], []
    M = None  # dh_T/dx_1, built up one Jacobian at a time
    for t in range(1, len(xs) + 1):
        slopes = derivative(trace.zs[t - 1], activation)
        direct = slopes[:, None] * params.W_xh  # dh_t/dx_t
        J_t = step_jacobian(params, trace.zs[t - 1], activation)
        M = direct if t == 1 else J_t @ M  # dh_t/dx_1
        first.append(np.linalg.norm(M, 2))
        latest.append(np.linalg.norm(direct, 2))
    return np.array(first), np.array(latest)


# --8<-- [end:influence]


def plot(first: np.ndarray, latest: np.ndarray, path: str = "recency.svg") -> None:
    """Both influences against the sequence length T, log scale."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    T = np.arange(1, len(first) + 1)
    ax.plot(T, latest, label=r"$\|\partial h_T/\partial x_T\|$   the latest input")
    ax.plot(T, first, label=r"$\|\partial h_T/\partial x_1\|$   the first input")
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel(r"influence on $h_T$ (log scale)")
    ax.set_title("A tanh RNN at PyTorch's default initialisation")
    ax.legend(loc="lower left")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    params = default_init(INPUT, HIDDEN)
    xs = np.random.default_rng(1).standard_normal((T_MAX, INPUT))
    first, latest = input_influence(params, xs)
    rho = np.max(np.abs(np.linalg.eigvals(params.W_hh)))
    sigma = np.linalg.norm(params.W_hh, 2)
    print(
        f"tanh RNN, H = {HIDDEN}: W_hh has spectral radius {rho:.2f}, largest singular value {sigma:.2f}"
    )
    print("   T   ||dh_T/dx_1||   ||dh_T/dx_T||")
    for T in SHOWN:
        print(f"{T:4d}   {first[T - 1]:13.2e}   {latest[T - 1]:13.2f}")
    x_other = xs.copy()
    x_other[0] += 1.0  # the same sequence, except that x_1 moved by 1 in every coordinate
    moved = {}
    for T in (10, 30):
        h_a = forward(params, xs[:T]).hs[-1]
        h_b = forward(params, x_other[:T]).hs[-1]
        moved[T] = np.linalg.norm(h_a - h_b)
        print(f"Changing x_1 by 1 moves h_{T} by {moved[T]:.1e}")
    values = {
        "rho": round(float(rho), 2),
        "sigma_max": round(float(sigma), 2),
        "moved_30_below": "10" + str(-int(np.floor(-np.log10(moved[30])))).translate(SUPERSCRIPT),
        "first_60": scientific(first[-1]),
        "latest_min": round(float(latest.min()), 2),
        "latest_max": round(float(latest.max()), 2),
    }
    with open("recency.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    plot(first, latest)
# --8<-- [end:main]
