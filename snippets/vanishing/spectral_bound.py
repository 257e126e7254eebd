"""The honest condition for vanishing gradients, and why eigenvalues are the wrong test.

Pascanu, Mikolov & Bengio (2013): if every slope phi'(z) is at most gamma (1/4 for the
sigmoid, 1 for tanh and ReLU), then for k < t

    ||dh_t/dh_k|| = ||J_t ... J_{k+1}|| <= (gamma sigma_max(W_hh))^(t-k),   J_t = diag(phi'(z_t)) W_hh,

because the spectral norm (the largest singular value) is submultiplicative. Eigenvalues
are not: a matrix whose eigenvalues are all zero can still make Jacobian products grow.

Run: python spectral_bound.py   (prints the numbers, writes spectral_bound.svg and
spectral_bound.json)
"""

import json

import matplotlib.pyplot as plt
import numpy as np

from rnnbook.report import scientific

GAMMA = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0}
TRIALS = 40  # random networks in the check of the bound


def slope(z: np.ndarray, activation: str) -> np.ndarray:
    """phi'(z) for the three activations."""
    if activation not in GAMMA:
        raise ValueError(f"activation must be one of {list(GAMMA)}, got {activation!r}")
    if activation == "sigmoid":
        s = 1 / (1 + np.exp(-z))
        return s * (1 - s)
    if activation == "tanh":
        return 1 - np.tanh(z) ** 2
    return (z > 0).astype(float)


def as_square(W: np.ndarray) -> np.ndarray:
    """W as a float array, after checking that it is a finite square matrix."""
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square matrix, got shape {W.shape}")
    if not np.all(np.isfinite(W)):
        raise ValueError("W contains NaN or infinite entries")
    return W


# --8<-- [start:bound]
def jacobian_product(
    W: np.ndarray,
    zs: np.ndarray,
    activation: str,
) -> np.ndarray:
    """dh_n/dh_0 = J_n ... J_1, J_t = diag(phi'(z_t)) W, along z_1..z_n."""
    W = as_square(W)
    zs = np.asarray(zs, dtype=float)
    if zs.ndim != 2 or zs.shape[1] != W.shape[0]:
        raise ValueError(f"zs must have shape (n, {W.shape[0]}), got {zs.shape}")
    P = np.eye(W.shape[0])
    for z in zs:
        P = (slope(z, activation)[:, None] * W) @ P
    return P


def bound(W: np.ndarray, n: int, activation: str) -> float:
    """(gamma sigma_max(W))^n."""
    return float((GAMMA[activation] * np.linalg.norm(as_square(W), 2)) ** n)


# --8<-- [end:bound]


def random_rnn_ratios(trials: int, steps: int, hidden: int, seed: int = 0) -> np.ndarray:
    """||dh_t/dh_k|| / (gamma sigma_max)^(t-k) for every k < t <= steps, over random RNNs."""
    rng = np.random.default_rng(seed)
    ratios = []
    for trial in range(trials):
        activation = ("sigmoid", "tanh")[trial % 2]
        W = rng.standard_normal((hidden, hidden)) * rng.uniform(0.1, 6.0) / np.sqrt(hidden)
        W_x, b = rng.standard_normal((hidden, 3)), rng.standard_normal(hidden)
        phi = np.tanh if activation == "tanh" else (lambda z: 1 / (1 + np.exp(-z)))
        h, zs = np.zeros(hidden), []
        for x in rng.standard_normal((steps, 3)):
            zs.append(W @ h + W_x @ x + b)
            h = phi(zs[-1])
        for k in range(steps):
            P = np.eye(hidden)
            for t in range(k + 1, steps + 1):
                P = (slope(zs[t - 1], activation)[:, None] * W) @ P  # dh_t/dh_k
                ratios.append(np.linalg.norm(P, 2) / bound(W, t - k, activation))
    return np.array(ratios)


# --8<-- [start:nilpotent]
W_NILPOTENT = np.array([[8.0, 8.0], [-8.0, -8.0]])
Z_REST = 3.0  # pre-activation of the second unit at the resting state


def resting_state(W: np.ndarray = W_NILPOTENT, z2: float = Z_REST) -> tuple:
    """A bias b and a state h* = tanh(W h* + b) with pre-activation (0, z2)."""
    h = np.array([0.0, np.tanh(z2)])
    z = np.array([0.0, z2])
    b = z - W @ h  # choose the bias so that z* = W h* + b
    return b, h, z


# --8<-- [end:nilpotent]

W_NONNORMAL = np.array([[0.95, 2.0], [0.0, 0.95]])  # eigenvalues 0.95 and 0.95
W_NORMAL = np.diag([0.95, 0.95])  # the same eigenvalues, a normal matrix


def power_norms(W: np.ndarray, n_max: int) -> np.ndarray:
    """||W^n||_2 for n = 0..n_max."""
    W = as_square(W)
    out, P = [], np.eye(W.shape[0])
    for _ in range(n_max + 1):
        out.append(np.linalg.norm(P, 2))
        P = W @ P
    return np.array(out)


def plot(path: str = "spectral_bound.svg") -> None:
    """Left: all eigenvalues 0, products still grow. Right: radius 0.95, transient growth."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 3.6))
    n = np.arange(1, 11)
    _, _, z = resting_state()
    J_products = [np.linalg.norm(jacobian_product(W_NILPOTENT, [z] * k, "tanh"), 2) for k in n]
    left.plot(n, J_products, "o-", ms=3, label="tanh RNN at rest: ‖Jⁿ‖")
    left.plot([1], [np.linalg.norm(W_NILPOTENT, 2)], "s", ms=6, label="‖Wⁿ‖ (zero for n ≥ 2)")
    left.plot(n, 16.0**n, color="0.5", lw=1, ls="--", label="bound 16ⁿ")
    left.set_yscale("log")
    left.set_xlabel("steps back n")
    left.set_ylabel("norm of the product (log scale)")
    left.set_title("W = [[8, 8], [−8, −8]]: eigenvalues 0, 0")
    left.legend(loc="upper left", fontsize="small")

    m = np.arange(0, 151)
    right.plot(m, power_norms(W_NONNORMAL, 150), label="W = [[0.95, 2], [0, 0.95]]")
    right.plot(m, power_norms(W_NORMAL, 150), label="W = 0.95 I")
    right.axhline(1.0, color="0.5", lw=0.8, ls=":")
    right.set_yscale("log")
    right.set_xlabel("steps back n")
    right.set_ylabel("‖Wⁿ‖ (log scale)")
    right.set_title("Both have spectral radius 0.95")
    right.legend(loc="lower left", fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    ratios = random_rnn_ratios(trials=TRIALS, steps=20, hidden=8)
    print(f"{len(ratios)} pairs k < t in {TRIALS} random sigmoid/tanh RNNs (H = 8, 20 steps):")
    print(
        f"  largest  ||dh_t/dh_k|| / (gamma sigma_max)^(t-k) = {ratios.max():.3f}  (never above 1)"
    )
    print(f"  median   ||dh_t/dh_k|| / (gamma sigma_max)^(t-k) = {np.median(ratios):.1e}")
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((8, 8)))[0]
    tight = np.linalg.norm(jacobian_product(4 * Q, np.zeros((20, 8)), "sigmoid"), 2)
    print(f"  equality: sigmoid at z = 0 with W = 4Q (Q orthogonal): ||product|| = {tight:.6f}")

    print("\nW = [[8, 8], [-8, -8]]")
    print("  eigenvalues:", np.round(np.linalg.eigvals(W_NILPOTENT).real, 12) + 0.0)
    print("  singular values:", np.linalg.svd(W_NILPOTENT, compute_uv=False).round(6) + 0.0)
    print("  W @ W =", (W_NILPOTENT @ W_NILPOTENT).tolist())
    b, h, z = resting_state()
    J = slope(z, "tanh")[:, None] * W_NILPOTENT
    print(f"  bias b = {np.round(b, 4)} makes h* = {np.round(h, 4)} a resting state,")
    print(f"  with pre-activation z* = {z}")
    J_eig = np.sort(np.linalg.eigvals(J).real)
    print(f"  its step Jacobian diag(tanh'(z*)) W has eigenvalues {J_eig.round(4) + 0.0}")
    for n in (1, 2, 5, 10):
        Jn = np.linalg.norm(jacobian_product(W_NILPOTENT, [z] * n, "tanh"), 2)
        Wn = np.linalg.norm(np.linalg.matrix_power(W_NILPOTENT, n), 2)
        print(
            f"  n = {n:2d}: ||J^n|| = {Jn:9.3e}   ||W^n|| = {Wn:4.1f}   bound 16^n = {16.0**n:9.3e}"
        )

    print("\nW = [[0.95, 2], [0, 0.95]]: eigenvalues 0.95, 0.95")
    norms = power_norms(W_NONNORMAL, 2000)
    above = np.nonzero(norms > 1)[0]
    print(f"  sigma_max = {np.linalg.norm(W_NONNORMAL, 2):.3f}")
    print(
        f"  ||W^n|| peaks at {norms.max():.2f} for n = {norms.argmax()}, stays above 1 until n = {above.max()}"
    )
    print(
        f"  ||W^2000||^(1/2000) = {norms[2000] ** (1 / 2000):.4f}  (tends to the spectral radius)"
    )
    print(f"  0.95 I for comparison: ||W^20|| = {power_norms(W_NORMAL, 20)[20]:.3f}")

    print("\nEntries below 1 do not make a matrix small:")
    big = []
    for label, M in [
        ("64 x 64, every entry 0.5", np.full((64, 64), 0.5)),
        (
            "64 x 64, entries in (-0.9, 0.9)",
            np.random.default_rng(1).uniform(-0.9, 0.9, (64, 64)),
        ),
    ]:
        rho = np.max(np.abs(np.linalg.eigvals(M)))
        print(f"  {label}: sigma_max = {np.linalg.norm(M, 2):.1f}, spectral radius = {rho:.1f}")
        big.append(float(np.linalg.norm(M, 2)))
    values = {
        "pairs": len(ratios),
        "largest_ratio": round(float(ratios.max()), 3),
        "median_ratio": scientific(float(np.median(ratios)), 1),
        "nilpotent_eig": round(float(J_eig[-1]), 2),
        "nilpotent_J10": scientific(Jn, 1),
        "nilpotent_J1": round(float(np.linalg.norm(J, 2)), 1),
        "peak": round(float(norms.max()), 1),
        "peak_n": int(norms.argmax()),
        "last_above_one": int(above.max()),
        "gelfand": round(float(norms[2000] ** (1 / 2000)), 4),
        "sigma_half": round(big[0], 1),
        "sigma_random": round(big[1], 1),
    }
    with open("spectral_bound.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    plot()
# --8<-- [end:main]
