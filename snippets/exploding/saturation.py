"""Singular values above 1/gamma are necessary for an exploding gradient, not sufficient:
a tanh network can sit far above the threshold and still lose its gradient, because its
units saturate and tanh' collapses.

For a tanh RNN, ||dh_n/dh_0|| <= sigma_max(W)^n, so an explosion needs sigma_max > 1. But
each step multiplies by diag(tanh'(z_t)) W, and tanh'(z) = 1 - tanh(z)^2 is tiny once |z|
is large. Whether the product grows depends on where the state goes, not on W alone.

Run: python saturation.py   (prints the numbers, writes saturation.svg and saturation.json,
the numbers the page quotes)
"""

import json

import matplotlib.pyplot as plt
import numpy as np

HIDDEN, STEPS, INPUT_SCALE = 32, 60, 0.5
LONG = 100  # steps for the 2 x 2 network, which saturates slowly


# --8<-- [start:jacobians]
def state_jacobian_norms(
    W: np.ndarray, h0: np.ndarray, steps: int, inputs: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Run h_t = tanh(W h_{t-1} + u_t); return ||dh_t/dh_0||, t = 1..steps, and h."""
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or not np.all(np.isfinite(W)):
        raise ValueError(f"W must be a finite square matrix, got shape {W.shape}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    h = np.asarray(h0, dtype=float)
    if h.shape != (W.shape[0],):
        raise ValueError(f"h0 must have shape ({W.shape[0]},), got {h.shape}")
    if inputs is None:
        inputs = np.zeros((steps, W.shape[0]))
    inputs = np.asarray(inputs, dtype=float)
    if inputs.shape != (steps, W.shape[0]):
        want = (steps, W.shape[0])
        raise ValueError(f"inputs must have shape {want}, got {inputs.shape}")
    P, norms = np.eye(W.shape[0]), []
    for u in inputs:
        h = np.tanh(W @ h + u)
        # J_t = diag(tanh'(z_t)) W, and tanh'(z_t) = 1 - h_t^2
        P = ((1 - h**2)[:, None] * W) @ P
        norms.append(np.linalg.norm(P, 2))
    return np.array(norms), h


# --8<-- [end:jacobians]


def resting_point(a: float) -> float:
    """The positive solution of h = tanh(a h) for a > 1, by bisection on (0, 1]."""
    if not a > 1:
        raise ValueError(f"a must be greater than 1 for a nonzero resting point, got {a!r}")
    low, high = 1e-12, 1.0  # tanh(a h) - h is positive at low and negative at high
    for _ in range(100):
        mid = (low + high) / 2
        low, high = (mid, high) if np.tanh(a * mid) > mid else (low, mid)
    return float((low + high) / 2)


def random_orthogonal(n: int, seed: int) -> np.ndarray:
    """A uniformly random n x n orthogonal matrix."""
    Q, R = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return Q * np.sign(np.diag(R))


def cases() -> dict[str, tuple[np.ndarray, ...]]:
    """The networks on the page: name -> (W, h0, inputs)."""
    rng = np.random.default_rng(2)
    inputs = INPUT_SCALE * rng.standard_normal((STEPS, HIDDEN))
    h0 = 0.1 * rng.standard_normal(HIDDEN)
    small = np.array([0.01, 0.01])
    return {
        "diag(1.3, 1.1), h0 = (0.01, 0.01)": (np.diag([1.3, 1.1]), small, None),
        "3 Q, Q orthogonal": (3 * random_orthogonal(HIDDEN, 0), h0, inputs),
        "3 I": (3 * np.eye(HIDDEN), h0, inputs),
    }


def plot(path: str = "saturation.svg") -> None:
    """||dh_n/dh_0|| against n for the three networks, with the linear prediction dashed."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 3.6))
    (_name, (W, h0, u)), *others = cases().items()
    n = np.arange(1, LONG + 1)
    left.plot(n, 1.3**n, color="0.5", lw=1, ls="--", label="linear: 1.3ⁿ")
    left.plot(n, state_jacobian_norms(W, h0, LONG, u)[0], color="C0", label="tanh")
    left.set_title("W = diag(1.3, 1.1), no input, start near 0")
    left.set_ylabel("‖∂hₙ/∂h₀‖ (log scale)")
    n = np.arange(1, STEPS + 1)
    right.plot(n, 3.0**n, color="0.5", lw=1, ls="--", label="linear: 3ⁿ (both)")
    for (label, (W, h0, u)), colour in zip(others, ["C1", "C2"], strict=True):
        norms = state_jacobian_norms(W, h0, STEPS, u)[0]
        right.plot(n, norms, color=colour, label=f"tanh, W = {label}")
    right.set_title("Every singular value 3, random input")
    for ax in (left, right):
        ax.set_yscale("log")
        ax.set_xlabel("steps n")
        ax.legend(loc="lower left", fontsize="small")
    right.set_yticks([10.0**k for k in range(-80, 41, 20)])
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    print(
        "One unit, h <- tanh(a h). At its resting point h* = tanh(a h*),\n"
        "each step multiplies the gradient by a (1 - h*^2):"
    )
    for a in (1.1, 1.3, 3.0):
        h = resting_point(a)
        print(f"  a = {a}: h* = {h:.4f}, factor per step = {a * (1 - h**2):.4f}")

    print("\n||dh_n/dh_0|| for tanh networks (the linear network's value in brackets)")
    values = {}
    for key, (name, (W, h0, u)) in zip(("small", "q", "i"), cases().items(), strict=True):
        steps = LONG if u is None else STEPS
        norms, h_last = state_jacobian_norms(W, h0, steps, u)
        sigma = np.linalg.norm(W, 2)
        shown = "  ".join(f"n={n}: {norms[n - 1]:.1e} ({sigma**n:.0e})" for n in (5, 20, steps))
        print(f"{name}  [sigma_max = {sigma:.1f}]\n  {shown}")
        print(f"  largest: {norms.max():.3g} at n = {norms.argmax() + 1}")
        slope = np.mean(1 - h_last**2)
        print(
            f"  after {steps} steps: mean |h| = {np.abs(h_last).mean():.3f}, mean tanh' = {slope:.4f}"
        )
        values |= {
            f"{key}_steps": steps,
            f"{key}_peak": f"{norms.max():.3g}",
            f"{key}_peak_at": int(norms.argmax() + 1),
            f"{key}_end": f"{norms[-1]:.1e}",
            f"{key}_linear_end": f"{sigma**steps:.0e}",
            f"{key}_slope": f"{slope:.4f}",
        }
    with open("saturation.json", "w", encoding="utf-8") as out:
        json.dump(values, out, indent=1)
    plot()
# --8<-- [end:main]
