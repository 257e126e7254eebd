"""A fixed-size state is a lossy memory: how much of an input d steps back can be read out?

A random tanh network with H units reads a stream of independent numbers x_t, uniform in
[-1, 1]. For each delay d we fit the best linear read-out of x_{t-d} from the state h_t
(least squares on one stretch of the stream) and score it on a later stretch by the squared
correlation r_d^2: 1 means the input d steps back is still fully in the state, 0 means it
is gone. Their sum over d is the network's LINEAR memory capacity, which Jaeger (2001)
proved can never exceed H for independent inputs, whatever the weights.

That bound is about linear read-outs. The last part shows its limit: one linear unit,
h_t = (h_{t-1} + x_t) / 2, fed random bits, has linear capacity 1 (the bound, H = 1), yet
a nonlinear read-out recovers dozens of past bits exactly from that one number. What
limits it is precision and noise, not the count of units.

Run: python bottleneck.py   (prints the table, writes bottleneck.svg and bottleneck.json)
"""

import json

import matplotlib.pyplot as plt
import numpy as np

SIZES = (8, 32, 128)  # hidden units H
RADIUS = 0.95  # W_hh = RADIUS x a random orthogonal matrix
INPUT_SCALES = {"small inputs (tanh almost linear)": 0.1, "unit inputs (tanh saturates)": 1.0}
STREAM, WASHOUT = 12_000, 200  # steps read; the first WASHOUT forget the zero start
MAX_DELAY = 300  # delays d = 0..MAX_DELAY - 1 (far enough for every r_d^2 to reach 0)
PLOTTED_DELAYS = 120
SHOWN_DELAYS = (1, 10, 30, 100)
BITS, BIT_DELAYS = 100_000, 64  # the one-unit binary memory: stream length, delays tried
LINEAR_DELAYS = 20  # its linear read-outs: r_d^2 = 3 / 4^(d+1) is below 1e-11 beyond
STATE_NOISE = (1e-6, 1e-3)  # noise added to that unit's state at every step


def check_size(n: int, name: str) -> int:
    """Return n after checking it is a positive whole number."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{name} must be >= 1, got {n}")
    return int(n)


# --8<-- [start:states]
def random_tanh_states(
    n_units: int, input_scale: float, x: np.ndarray, seed: int = 0
) -> np.ndarray:
    """h_t = tanh(W_hh h_{t-1} + w_x x_t) of a random network, one row per step."""
    n_units = check_size(n_units, "n_units")
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or not np.all(np.isfinite(x)):
        raise ValueError("x must be a finite 1-D array of scalar inputs")
    if not (np.isfinite(input_scale) and input_scale > 0):
        raise ValueError(f"input_scale must be positive, got {input_scale!r}")
    rng = np.random.default_rng(seed)
    Q, R = np.linalg.qr(rng.standard_normal((n_units, n_units)))
    W_hh = RADIUS * Q * np.sign(np.diag(R))  # every singular value is RADIUS
    w_x = input_scale * rng.standard_normal(n_units)
    h, states = np.zeros(n_units), np.empty((len(x), n_units))
    for t, x_t in enumerate(x):
        h = np.tanh(W_hh @ h + w_x * x_t)
        states[t] = h
    return states


# --8<-- [end:states]


# --8<-- [start:recall]
def recall_profile(states: np.ndarray, x: np.ndarray, max_delay: int) -> np.ndarray:
    """r_d^2 for d = 0..max_delay-1: how well a linear read-out finds x_{t-d}."""
    max_delay = check_size(max_delay, "max_delay")
    if states.ndim != 2 or len(states) != len(x):
        raise ValueError("states must be (steps, units), one row per input in x")
    if len(x) < WASHOUT + 4 * max_delay:
        raise ValueError(f"the stream is too short for max_delay = {max_delay}")
    t = np.arange(WASHOUT + max_delay, len(x))  # steps with max_delay of past
    X = np.column_stack([states[t], np.ones(len(t))])  # state and a constant
    Y = np.column_stack([x[t - d] for d in range(max_delay)])  # one per delay
    fit, score = slice(0, len(t) * 3 // 4), slice(len(t) * 3 // 4, None)
    weights, *_ = np.linalg.lstsq(X[fit], Y[fit], rcond=None)  # every k at once
    predicted, actual = X[score] @ weights, Y[score]  # scored on unseen steps
    p, a = predicted - predicted.mean(0), actual - actual.mean(0)
    return (p * a).sum(0) ** 2 / ((p * p).sum(0) * (a * a).sum(0))  # corr^2


# --8<-- [end:recall]


def profiles(seed: int = 0) -> dict[tuple[str, int], np.ndarray]:
    """r_d^2 against d for every input scale and network size, on one shared stream."""
    x = np.random.default_rng(seed + 1).uniform(-1.0, 1.0, STREAM)
    return {
        (label, n): recall_profile(random_tanh_states(n, scale, x, seed), x, MAX_DELAY)
        for label, scale in INPUT_SCALES.items()
        for n in SIZES
    }


# --8<-- [start:one_unit]
def binary_memory(bits: np.ndarray, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """States of ONE linear unit h_t = (h_{t-1} + x_t) / 2 fed bits x_t in {0, 1}, with
    N(0, noise^2) added to the state at every step: h_t = sum_d 2^-(d+1) x_{t-d} + noise."""
    bits = np.asarray(bits, dtype=float)
    if bits.ndim != 1 or not np.all((bits == 0) | (bits == 1)):
        raise ValueError("bits must be a 1-D array of zeros and ones")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    jitter = noise * np.random.default_rng(seed).standard_normal(len(bits))
    h, states = 0.0, np.empty(len(bits))
    for t, x_t in enumerate(bits):
        h = 0.5 * h + 0.5 * x_t + jitter[t]
        states[t] = h
    return states


def read_bit(states: np.ndarray, d: int) -> np.ndarray:
    """The nonlinear read-out of x_{t-d}: digit d + 1 of h_t in binary."""
    return np.floor(states * 2.0 ** (d + 1)) % 2


def decodable_bits(states: np.ndarray, bits: np.ndarray, accuracy: float = 1.0) -> int:
    """How many of the latest bits read_bit recovers, each at least `accuracy` of the time."""
    depth = 0
    for d in range(BIT_DELAYS):
        t = np.arange(BIT_DELAYS, len(bits))
        if np.mean(read_bit(states[t], d) == bits[t - d]) < accuracy:
            break
        depth = d + 1
    return depth


# --8<-- [end:one_unit]


def plot(found: dict[tuple[str, int], np.ndarray], path: str = "bottleneck.svg") -> None:
    """r_d^2 against the delay d: one panel per input scale, one line per size H."""
    fig, axes = plt.subplots(1, 2, sharey=True, figsize=(8.0, 3.4))
    d = np.arange(MAX_DELAY)
    for ax, label in zip(axes, INPUT_SCALES, strict=True):
        for n in SIZES:
            r2 = found[label, n]
            ax.plot(d, r2, label=f"H = {n}   (capacity {r2.sum():.1f})")
        ax.set_xlim(0, PLOTTED_DELAYS)
        ax.set_title(label)
        ax.legend(loc="upper right")
    axes[0].set_ylabel("r²: share of xₜ₋d still readable")
    fig.supxlabel("delay d (steps since the input arrived)", fontsize="medium")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    found = profiles()
    print(f"Random tanh networks, W_hh = {RADIUS} x orthogonal, inputs uniform in [-1, 1]")
    print("r_d^2 = how much of the input d steps back a linear read-out of h_t recovers")
    values = {}
    for label, scale in INPUT_SCALES.items():
        print(f"\n{label}:")
        header = "".join(f"{f'd = {d}':>9s}" for d in SHOWN_DELAYS)
        print(f"     H{header}  capacity (sum over d)")
        for n in SIZES:
            r2 = found[label, n]
            row = "".join(f"  {r2[d]:7.3f}" for d in SHOWN_DELAYS)
            print(f"  {n:4d}{row}  {r2.sum():8.1f}  (at most H = {n})")
            values[f"capacity_{'small' if scale < 1 else 'unit'}_{n}"] = round(float(r2.sum()), 1)

    bits = np.random.default_rng(2).integers(0, 2, BITS).astype(float)
    exact = binary_memory(bits)
    linear = recall_profile(exact[:, None], bits, LINEAR_DELAYS)
    exact_r2 = 3 / 4.0 ** (np.arange(LINEAR_DELAYS) + 1)  # Cov(h_t, x_t-d)^2 / (Var h Var x)
    print("\nOne linear unit, h_t = (h_(t-1) + x_t) / 2, fed random bits x_t in {0, 1}:")
    print(f"  linear read-outs: r_d^2 for d = 0, 1, 2 = {np.round(linear[:3], 3)}")
    print(f"  (exactly 3 / 4^(d+1)); capacity = {linear.sum():.2f}, exactly 1 = H")
    depth = decodable_bits(exact, bits)
    print(f"  nonlinear read-out, digit d + 1 of h_t in binary: the last {depth} bits, all exact")
    values |= {"unit_linear_capacity": f"{linear.sum():.2f}", "unit_bits": depth}
    assert np.allclose(linear, exact_r2, atol=0.01)
    for noise in STATE_NOISE:
        noisy = decodable_bits(binary_memory(bits, noise, seed=3), bits, accuracy=0.99)
        print(f"  with N(0, {noise:g}^2) added to the state at every step: {noisy} bits at 99%")
        values[f"unit_bits_noise_{-round(np.log10(noise))}"] = noisy
    with open("bottleneck.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1)
        handle.write("\n")
    plot(found)
# --8<-- [end:main]
