"""A fixed-size state is a lossy memory: how much of an input k steps back can be read out?

A random tanh network with N units reads a stream of independent numbers u_t, uniform in
[-1, 1]. For each delay k we fit the best linear read-out of u_{t-k} from the state h_t
(least squares on one stretch of the stream) and score it on a later stretch by the squared
correlation r_k^2: 1 means the input k steps back is still fully in the state, 0 means it
is gone. Their sum over k is the network's (linear) memory capacity, which Jaeger (2001)
proved can never exceed N for independent inputs, whatever the weights. Training cannot
raise it; it can only choose WHICH inputs use the N slots.

Run: python bottleneck.py   (prints the table, writes bottleneck.svg)
"""

import matplotlib.pyplot as plt
import numpy as np

SIZES = (8, 32, 128)  # hidden units N
RADIUS = 0.95  # W_hh = RADIUS x a random orthogonal matrix
INPUT_SCALES = {"small inputs (tanh almost linear)": 0.1, "unit inputs (tanh saturates)": 1.0}
STREAM, WASHOUT = 12_000, 200  # steps read; the first WASHOUT forget the zero start
MAX_DELAY = 300  # delays k = 0..MAX_DELAY - 1 (far enough for every r_k^2 to reach 0)
PLOTTED_DELAYS = 120
SHOWN_DELAYS = (1, 10, 30, 100)


def check_size(n: int, name: str) -> int:
    """Return n after checking it is a positive whole number."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{name} must be >= 1, got {n}")
    return int(n)


# --8<-- [start:states]
def random_tanh_states(
    n_units: int, input_scale: float, u: np.ndarray, seed: int = 0
) -> np.ndarray:
    """h_t = tanh(W_hh h_{t-1} + w_x u_t) of a random network, one row per step."""
    n_units = check_size(n_units, "n_units")
    u = np.asarray(u, dtype=float)
    if u.ndim != 1 or not np.all(np.isfinite(u)):
        raise ValueError("u must be a finite 1-D array of scalar inputs")
    if not (np.isfinite(input_scale) and input_scale > 0):
        raise ValueError(f"input_scale must be positive, got {input_scale!r}")
    rng = np.random.default_rng(seed)
    Q, R = np.linalg.qr(rng.standard_normal((n_units, n_units)))
    W_hh = RADIUS * Q * np.sign(np.diag(R))  # every singular value is RADIUS
    w_x = input_scale * rng.standard_normal(n_units)
    h, states = np.zeros(n_units), np.empty((len(u), n_units))
    for t, u_t in enumerate(u):
        h = np.tanh(W_hh @ h + w_x * u_t)
        states[t] = h
    return states


# --8<-- [end:states]


# --8<-- [start:recall]
def recall_profile(states: np.ndarray, u: np.ndarray, max_delay: int) -> np.ndarray:
    """r_k^2 for k = 0..max_delay-1: how well a linear read-out finds u_{t-k}."""
    max_delay = check_size(max_delay, "max_delay")
    if states.ndim != 2 or len(states) != len(u):
        raise ValueError("states must be (steps, units), one row per input in u")
    if len(u) < WASHOUT + 4 * max_delay:
        raise ValueError(f"the stream is too short for max_delay = {max_delay}")
    t = np.arange(WASHOUT + max_delay, len(u))  # steps with max_delay of past
    X = np.column_stack([states[t], np.ones(len(t))])  # state and a constant
    Y = np.column_stack([u[t - k] for k in range(max_delay)])  # one per delay
    fit, score = slice(0, len(t) * 3 // 4), slice(len(t) * 3 // 4, None)
    weights, *_ = np.linalg.lstsq(X[fit], Y[fit], rcond=None)  # every k at once
    predicted, actual = X[score] @ weights, Y[score]  # scored on unseen steps
    p, a = predicted - predicted.mean(0), actual - actual.mean(0)
    return (p * a).sum(0) ** 2 / ((p * p).sum(0) * (a * a).sum(0))  # corr^2


# --8<-- [end:recall]


def profiles(seed: int = 0) -> dict[tuple[str, int], np.ndarray]:
    """r_k^2 against k for every input scale and network size, on one shared stream."""
    u = np.random.default_rng(seed + 1).uniform(-1.0, 1.0, STREAM)
    return {
        (label, n): recall_profile(random_tanh_states(n, scale, u, seed), u, MAX_DELAY)
        for label, scale in INPUT_SCALES.items()
        for n in SIZES
    }


def plot(found: dict[tuple[str, int], np.ndarray], path: str = "bottleneck.svg") -> None:
    """r_k^2 against the delay k: one panel per input scale, one line per size N."""
    fig, axes = plt.subplots(1, 2, sharey=True, figsize=(8.0, 3.4))
    k = np.arange(MAX_DELAY)
    for ax, label in zip(axes, INPUT_SCALES, strict=True):
        for n in SIZES:
            r2 = found[label, n]
            ax.plot(k, r2, label=f"N = {n}   (capacity {r2.sum():.1f})")
        ax.set_xlim(0, PLOTTED_DELAYS)
        ax.set_title(label)
        ax.legend(loc="upper right")
    axes[0].set_ylabel("r²: share of uₜ₋ₖ still readable")
    fig.supxlabel("delay k (steps since the input arrived)", fontsize="medium")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    found = profiles()
    print(f"Random tanh networks, W_hh = {RADIUS} x orthogonal, inputs uniform in [-1, 1]")
    print("r_k^2 = how much of the input k steps back a linear read-out of h_t recovers")
    for label in INPUT_SCALES:
        print(f"\n{label}:")
        header = "".join(f"{f'k = {k}':>9s}" for k in SHOWN_DELAYS)
        print(f"     N{header}  capacity (sum over k)")
        for n in SIZES:
            r2 = found[label, n]
            row = "".join(f"  {r2[k]:7.3f}" for k in SHOWN_DELAYS)
            print(f"  {n:4d}{row}  {r2.sum():8.1f}  (at most N = {n})")
    plot(found)
# --8<-- [end:main]
