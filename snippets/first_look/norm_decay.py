"""Push a state forward and a gradient backward through the same matrix, many times over.

A first look at vanishing and exploding gradients, before any training: the size of a
vector sent back through n copies of a recurrent matrix is set by that matrix's
eigenvalues (here the matrices are diagonal, so eigenvalues and singular values agree).

Run: python norm_decay.py   (prints the numbers, writes norm_decay.svg and norm_decay.json)
"""

import json

import matplotlib.pyplot as plt
import numpy as np

from rnnbook.report import scientific


def as_square_matrix(W: np.ndarray) -> np.ndarray:
    """Return W as a float array after checking it is a finite, square matrix."""
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"recurrent matrix must be square (n, n), got shape {W.shape}")
    if not np.all(np.isfinite(W)):
        raise ValueError("recurrent matrix contains NaN or infinite entries")
    return W


def check_steps(steps: int) -> int:
    """Return steps after checking it is a non-negative whole number."""
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer):
        raise TypeError(f"steps must be an integer, got {type(steps).__name__}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    return int(steps)


# --8<-- [start:forward]
W_STATE = np.array([[0.7, 0.2], [0.1, 0.6]])
H0 = np.array([1.0, 0.0])
STATE_STEPS = 20


def tanh_state(W: np.ndarray, h0: np.ndarray, steps: int) -> np.ndarray:
    """Run h <- tanh(W h) for `steps` steps with no input; return the last state."""
    W, steps = as_square_matrix(W), check_steps(steps)
    h = np.asarray(h0, dtype=float)
    if h.shape != (W.shape[0],) or not np.all(np.isfinite(h)):
        raise ValueError(f"h0 must be a finite vector of length {W.shape[0]}, got {h0!r}")
    for _ in range(steps):
        h = np.tanh(W @ h)
    return h


# --8<-- [end:forward]


# --8<-- [start:backward]
W_VANISH = np.diag([0.5, 0.4])
W_EXPLODE = np.diag([1.3, 1.1])


def propagated_norms(W: np.ndarray, steps: int) -> np.ndarray:
    """Norms of (W^T)^n 1 for n = 1..steps: a gradient of ones sent back n steps."""
    W, steps = as_square_matrix(W), check_steps(steps)
    v = np.ones(W.shape[0])
    norms = np.empty(steps)
    for n in range(steps):
        v = W.T @ v
        norms[n] = np.linalg.norm(v)
    return norms


# --8<-- [end:backward]


def spectral_radius(W: np.ndarray) -> float:
    """Largest eigenvalue magnitude of W."""
    return float(np.max(np.abs(np.linalg.eigvals(as_square_matrix(W)))))


def scaled_rotation(rho: float, angle: float = 0.7) -> np.ndarray:
    """rho times a rotation: every eigenvalue has magnitude rho, every singular value is rho."""
    c, s = np.cos(angle), np.sin(angle)
    return rho * np.array([[c, -s], [s, c]])


def plot(path: str = "norm_decay.svg", steps: int = 30) -> None:
    """Norm against step, log scale: the two demo matrices and three radii around 1."""
    cases = [
        ("diag(0.5, 0.4)", W_VANISH),
        ("diag(1.3, 1.1)", W_EXPLODE),
        *[(f"{rho} × rotation", scaled_rotation(rho)) for rho in (0.9, 1.0, 1.1)],
    ]
    fig, ax = plt.subplots()
    n = np.arange(steps + 1)
    for label, W in cases:
        norms = np.concatenate([[np.sqrt(2.0)], propagated_norms(W, steps)])
        ax.plot(n, norms, label=f"{label}   (ρ = {spectral_radius(W):.1f})")
    ax.set_yscale("log")
    ax.set_xlabel("steps back in time, n")
    ax.set_ylabel("‖(Wᵀ)ⁿ 1‖  (log scale)")
    ax.set_title("A vector sent back through W shrinks or grows like ρⁿ")
    ax.legend(loc="lower left")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    h = tanh_state(W_STATE, H0, STATE_STEPS)
    print("Forward: h <- tanh(W h), W = [[0.7, 0.2], [0.1, 0.6]], h0 = [1, 0]")
    print(f"Hidden state after {STATE_STEPS} steps: {h}")
    eig = sorted(np.linalg.eigvals(W_STATE).real, reverse=True)
    print(f"Eigenvalues of W: {eig[0]:.1f} and {eig[1]:.1f}; 0.8^20 = {eig[0] ** 20:.4f}")
    print(f"State ratio h[0]/h[1] = {h[0] / h[1]:.4f} (eigenvector of 0.8 is [2, 1])")

    print("\nBackward: v <- W^T v from v = [1, 1]")
    vanish = propagated_norms(W_VANISH, 30)
    for t in range(5, 31, 5):
        print(f"Norm after {t} steps (vanishing case): {vanish[t - 1]:.6f}  ({vanish[t - 1]:.2e})")
    explode = propagated_norms(W_EXPLODE, 10)
    for t in range(2, 11, 2):
        print(f"Norm after {t} steps (exploding case): {explode[t - 1]:.2f}")

    long_vanish, long_explode = propagated_norms(W_VANISH, 30), propagated_norms(W_EXPLODE, 30)
    print("\nFactor per step, norm(n) / norm(n-1):")
    print(f"  vanishing case at n = 30: {long_vanish[-1] / long_vanish[-2]:.4f}  (ρ = 0.5)")
    print(f"  exploding case at n = 10: {explode[-1] / explode[-2]:.4f}")
    print(f"  exploding case at n = 30: {long_explode[-1] / long_explode[-2]:.4f}  (ρ = 1.3)")
    tenfold = {rho: np.log(10) / abs(np.log(rho)) for rho in (0.9, 1.1)}
    for rho, steps in tenfold.items():
        print(f"  ρ = {rho}: a factor of 10 every {steps:.1f} steps")
    values = {
        "eig_large": round(float(eig[0]), 1),
        "eig_small": round(float(eig[1]), 1),
        "state_ratio": round(float(h[0] / h[1]), 4),
        "decay_20": round(float(eig[0] ** 20), 4),
        "norm_25": scientific(vanish[24]),
        "norm_30": scientific(vanish[29]),
        "tenfold_09": round(float(tenfold[0.9]), 1),
        "tenfold_11": round(float(tenfold[1.1]), 1),
    }
    with open("norm_decay.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    plot()
# --8<-- [end:main]
