"""A vanilla RNN CAN keep a bit on purpose; what it cannot do is keep it robustly AND pass
a gradient back through the time it kept it (Bengio, Simard & Frasconi, 1994).

One tanh unit, h_t = tanh(w h_{t-1} + x_t), the smallest vanilla RNN. A bit b = +-1 is
written at t = 1 by a strong input x_1 = 4b; after that the input is noise, N(0, 0.2^2).
For w > 1 the unit has two stable states +-h* (h* = tanh(w h*)): it latches the bit and
keeps it for T = 1000 steps, and a strong input of the other sign overwrites it. Which of
the two happens is decided by the input's size, through the nonlinearity: keeping and
overwriting with one fixed weight.

The price: a state is robust to noise only where the dynamics contract, |w tanh'(z)| < 1
around the stored value, and the gradient dh_T/dh_1 is the product of exactly those
factors, so it vanishes. Where the gradient survives longest (w = 1), nothing is stored.
A limit on learning the latch by gradient descent, not on representing it.

Run: python latch_tradeoff.py   (prints the table, writes latch_tradeoff.json)
"""

import json
import math

import numpy as np

WEIGHTS = (0.5, 1.0, 1.5, 2.0, 3.0)  # the unit's recurrent weight w
T, SEQUENCES = 1000, 1000
WRITE, NOISE = 4.0, 0.2  # the write pulse x_1 = WRITE * b, then N(0, NOISE^2) inputs
OVERWRITE_AT = 500  # a second pulse, of the other sign, in the "overwrite" runs


def stable_state(w: float) -> float:
    """The positive stable state h* = tanh(w h*) of one tanh unit (0 if w <= 1)."""
    if not (math.isfinite(w) and w > 0):
        raise ValueError(f"w must be a positive number, got {w!r}")
    if w <= 1:
        return 0.0
    h = 1.0
    for _ in range(10_000):  # a contraction for w > 1, from h = 1 downwards
        h_next = math.tanh(w * h)
        if h_next == h:
            break
        h = h_next
    return h


# --8<-- [start:latch]
def run_latch(
    w: float, overwrite: bool = False, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SEQUENCES runs of h_t = tanh(w h_{t-1} + x_t) for T steps: the bits written, the last
    states, and log10 |dh_T/dh_1| = sum over t = 2..T of log10 |w tanh'(z_t)|."""
    if not (math.isfinite(w) and w > 0):
        raise ValueError(f"w must be a positive number, got {w!r}")
    rng = np.random.default_rng(seed)
    bits = rng.choice([-1.0, 1.0], size=SEQUENCES)
    x = NOISE * rng.standard_normal((T, SEQUENCES))
    x[0] = WRITE * bits  # write the bit at t = 1
    if overwrite:
        x[OVERWRITE_AT - 1] = -WRITE * bits  # and write its opposite at t = OVERWRITE_AT
    h = np.zeros(SEQUENCES)
    log10_grad = np.zeros(SEQUENCES)
    for t in range(T):
        z = w * h + x[t]
        h = np.tanh(z)
        if t > 0:  # dh_t/dh_{t-1} = w tanh'(z_t), for t = 2..T
            log10_grad += np.log10(np.abs(w * (1 - h**2)))
    return bits, h, log10_grad


# --8<-- [end:latch]


def kept_fraction(bits: np.ndarray, h: np.ndarray) -> float:
    """Share of runs whose last state has the sign of the bit."""
    return float(np.mean(np.sign(h) == bits))


# --8<-- [start:main]
if __name__ == "__main__":
    print(f"One tanh unit, h_t = tanh(w h_(t-1) + x_t), {SEQUENCES} runs of T = {T} steps:")
    print(f"x_1 = {WRITE:g} b writes a bit b = +-1, then x_t ~ N(0, {NOISE:g}^2);")
    print(f"'overwrite' runs also get x_{OVERWRITE_AT} = -{WRITE:g} b")
    print()
    print("        stable   slope w(1-h*^2)   bit kept   overwritten   |dh_T/dh_1|,   per step")
    print("  w     state h*   at h*           at T       at T          median         (geo. mean)")
    values = {"T": T, "write": WRITE, "noise": NOISE}
    for w in WEIGHTS:
        h_star = stable_state(w)
        slope = w * (1 - h_star**2)
        bits, h, log10_grad = run_latch(w)
        kept = kept_fraction(bits, h)
        flipped = kept_fraction(-bits, run_latch(w, overwrite=True)[1])
        median = float(np.median(log10_grad))
        per_step = 10 ** (median / (T - 1))
        print(
            f"{w:4.1f}   {h_star:8.3f}   {slope:8.3f}         {100 * kept:6.1f}%   "
            f"{100 * flipped:8.1f}%      10^{median:<6.0f}     {per_step:.3f}"
        )
        key = f"{w:g}".replace(".", "_")
        values |= {
            f"kept_{key}": f"{100 * kept:.1f}%",
            f"overwritten_{key}": f"{100 * flipped:.1f}%",
            f"slope_{key}": round(slope, 3),
            f"per_step_{key}": round(per_step, 3),
            f"log10_grad_{key}": round(median),
        }
    values["state_2"] = round(stable_state(2.0), 3)
    with open("latch_tradeoff.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1)
        handle.write("\n")
# --8<-- [end:main]
