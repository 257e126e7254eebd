"""Latching: the contraction that stores a bit robustly is what makes its gradient vanish.

Bengio, Simard & Frasconi (1994) asked what it takes for a recurrent network to hold one
bit of information for a long time when its inputs are noisy. Their answer, here with one
tanh unit h_t = tanh(w h_{t-1} + noise_t):

* For w <= 1 the only resting state is h = 0: nothing is stored, noise or not.
* For w > 1 there are two attractors +-h*, with h* = tanh(w h*). Near them the map
  contracts: its slope there is c = w (1 - h*^2) < 1, so a noise kick is forgotten at a
  rate c per step, and the bit survives. The larger w, the smaller c and the more robust
  the memory.
* But dh_T/dh_0 = prod_t w tanh'(z_t), which near an attractor is about c^T: the same
  contraction that forgets the noise forgets the stored bit's *gradient*. A gradient-
  trained network cannot learn what to store where the storage is robust.

The experiment: write the bit as h_0 = +1, run T = 50 noisy steps, and count how often
h_T still has the right sign; along the way, multiply out dh_T/dh_0 (in logs, since it
falls far below the smallest double).

Run: python latching.py   (prints the table, writes latching.svg and latching.json)
"""

import json

import matplotlib.pyplot as plt
import numpy as np

STEPS, TRIALS = 50, 10_000
SWEEP_TRIALS = 2_000  # per w on the fine grid of the figure
NOISES = (0.25, 0.5, 1.0)  # standard deviation of the noise added to z_t at every step
TABLE_NOISE = 0.5
TABLE_WEIGHTS = (0.5, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)
FINE_WEIGHTS = np.round(np.arange(0.5, 4.001, 0.05), 2)
KEPT = 0.99  # "robust": the bit survives in at least 99% of trials


# --8<-- [start:latch]
def attractor(w: float) -> float:
    """h* > 0 with h* = tanh(w h*) for w > 1 (bisection); 0 for w <= 1 (no memory)."""
    if not (isinstance(w, int | float | np.floating) and np.isfinite(w) and w > 0):
        raise ValueError(f"w must be a positive number, got {w!r}")
    if w <= 1:
        return 0.0
    lo, hi = 1e-12, 1.0  # tanh(w h) - h is > 0 at lo and < 0 at hi
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if np.tanh(w * mid) > mid else (lo, mid)
    return 0.5 * (lo + hi)


def contraction(w: float) -> float:
    """The map's slope at its attractor, w tanh'(w h*) = w (1 - h*^2): below 1 for w > 1."""
    h = attractor(w)
    return w * (1.0 - h * h)


def latch(
    w: float, noise: float, steps: int = STEPS, trials: int = TRIALS, seed: int = 0
) -> tuple[float, np.ndarray]:
    """Share of trials in which h_T > 0 after h_0 = +1, and log10 |dh_T/dh_0| per trial."""
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    attractor(w)  # checks w
    rng = np.random.default_rng(seed)
    h, log_grad = np.ones(trials), np.zeros(trials)
    for _ in range(steps):
        h = np.tanh(w * h + noise * rng.standard_normal(trials))
        log_grad += np.log10(w * (1.0 - h * h))  # one factor dh_t/dh_{t-1} per step
    return float(np.mean(h > 0)), log_grad


# --8<-- [end:latch]


def power_of_ten(log10: float) -> str:
    """10**log10 as '3e-37', even far below the smallest double."""
    exponent = int(np.floor(log10))
    mantissa = round(10 ** (log10 - exponent))
    if mantissa == 10:
        mantissa, exponent = 1, exponent + 1
    return f"{mantissa}e{exponent:+03d}"


def superscript(log10: float) -> str:
    """10**log10 as '1 × 10⁻⁴⁵' for the page."""
    mantissa, exponent = power_of_ten(log10).split("e")
    digits = str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mantissa} × 10{digits}"


def sweep(weights, noise: float, trials: int = SWEEP_TRIALS) -> tuple[np.ndarray, np.ndarray]:
    """Kept share and median log10 |dh_T/dh_0| for every w."""
    results = [latch(float(w), noise, trials=trials) for w in weights]
    return np.array([k for k, _ in results]), np.array([np.median(g) for _, g in results])


def plot(found: dict, path: str = "latching.svg") -> None:
    """Left: how often the bit survives. Right: the median gradient. Both against w."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9.6, 3.6))
    for noise, (kept, grad) in found.items():
        ax.plot(FINE_WEIGHTS, 100 * kept, label=f"noise σ = {noise}")
        bx.plot(FINE_WEIGHTS, grad, label=f"noise σ = {noise}")
    clean = [STEPS * np.log10(contraction(float(w))) for w in FINE_WEIGHTS]
    bx.plot(FINE_WEIGHTS, clean, color="0.4", lw=1.0, ls=(0, (1, 1)), label="no noise: c(w)^T")
    ax.axhline(50, color="0.5", lw=0.8, ls=":")
    ax.text(0.5, 51, "chance", color="0.4", fontsize="small", ha="left", va="bottom")
    for a in (ax, bx):
        a.axvline(1.0, color="0.6", lw=0.8)
        a.set_xlabel("recurrent weight w")
    ax.set_ylabel(f"bit still stored after T = {STEPS} (%)")
    ax.set_title("Robust storage needs a large w")
    ax.legend(loc="center right")
    bx.set_ylabel("median log₁₀ |∂h_T/∂h_0|")
    bx.set_title("… and the same w kills the gradient")
    bx.legend(loc="lower left")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    print(f"One tanh unit, h_t = tanh(w h_{{t-1}} + noise), h_0 = +1, T = {STEPS}, {TRIALS} trials")
    print(f"noise standard deviation {TABLE_NOISE}\n")
    print("    w     h*   c = w(1-h*^2)   c^T      bit kept   median |dh_T/dh_0| (10%-90%)")
    for w in TABLE_WEIGHTS:
        kept, log_grad = latch(w, TABLE_NOISE)
        lo, mid, hi = np.percentile(log_grad, [10, 50, 90])
        c = contraction(w)
        print(
            f"  {w:4.2f}  {attractor(w):.3f}  {c:13.3f}   {power_of_ten(STEPS * np.log10(c)):>6}   "
            f"{kept:8.1%}   {power_of_ten(mid):>6} ({power_of_ten(lo)} to {power_of_ten(hi)})"
        )

    found = {noise: sweep(FINE_WEIGHTS, noise) for noise in NOISES}
    print(
        f"\nw from {FINE_WEIGHTS[0]} to {FINE_WEIGHTS[-1]} in steps of 0.05, {SWEEP_TRIALS} trials each:"
    )
    values = {}
    for noise, (kept, grad) in found.items():
        robust = kept >= KEPT
        w_min, best = FINE_WEIGHTS[robust][0], grad[robust].max()
        w_alive = FINE_WEIGHTS[np.argmax(grad)]
        print(f"  noise {noise}: kept in >= {KEPT:.0%} of trials from w = {w_min:.2f}, where the")
        print(f"    median gradient is at most {power_of_ten(best)}; the largest median gradient,")
        print(
            f"    {power_of_ten(grad.max())} at w = {w_alive:.2f}, comes with the bit kept in {kept[np.argmax(grad)]:.1%}"
        )
        key = str(noise).replace(".", "")
        values[f"w_robust_{key}"] = f"{w_min:.2f}"
        values[f"grad_robust_{key}"] = superscript(best)
        values[f"w_alive_{key}"] = f"{w_alive:.2f}"
        values[f"grad_alive_{key}"] = superscript(grad.max())
        values[f"kept_alive_{key}"] = f"{100 * kept[np.argmax(grad)]:.1f}"
    with open("latching.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    plot(found)
# --8<-- [end:main]
