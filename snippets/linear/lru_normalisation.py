"""Why the LRU multiplies its input by κ = sqrt(1 - |λ|²): the blow-up near |λ| = 1.

One state unit, h_t = λ h_{t-1} + c v_t, driven by white noise v_t (complex, E|v|² = 1),
with c = 1 (no normalisation) or c = κ. Since h_t = c Σ_n λ^n v_{t-n},

    E|h_t|² = c² Σ_{n<t} |λ|^{2n}  ->  c² / (1 - |λ|²)   (t -> ∞),

which is 1/(1 - |λ|²) without κ (it grows without bound as |λ| -> 1) and exactly 1 in
the limit with κ. The same happens to the gradient with respect to the decay parameter ν
(|λ| = exp(-exp(ν))), which training needs in order to move λ: with x = exp(ν),
dλ^n/dν = -n x λ^n, so

    E|dh_t/dν|² = Σ_n |d(c λ^n)/dν|²,   d(κ λ^n)/dν = κ λ^n (x|λ|²/κ² - n x).

Both sums are computed exactly (float64, to t = ∞), and the variance is also measured on
simulated sequences with the loop of rnnbook.lru.

Run: python lru_normalisation.py   (prints the table, writes lru_normalisation.svg and
lru_normalisation.json; imports rnnbook.lru)
"""

import json
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from rnnbook.lru import sequential

RADII = (0.5, 0.9, 0.99, 0.999, 0.9999)
SIM_STEPS, SIM_BATCH, SEED = 2000, 256, 0


# --8<-- [start:sums]
def kappa(radius: float) -> float:
    """κ = sqrt(1 - |λ|²)."""
    return math.sqrt(1.0 - radius**2)


def state_variance(radius: float, normalised: bool) -> float:
    """E|h|² in the stationary state: c² / (1 - |λ|²), c = κ or 1."""
    c = kappa(radius) if normalised else 1.0
    return c**2 / (1.0 - radius**2)


def nu_gradient_variance(radius: float, normalised: bool) -> float:
    """E|dh/dν|² in the stationary state: Σ_n |d(c λ^n)/dν|², summed in float64 until
    |λ|^(2n) < e^-60 (the rest is negligible)."""
    if not 0.0 < radius < 1.0:
        raise ValueError(f"radius must lie in (0, 1), got {radius}")
    x = -math.log(radius)  # exp(ν)
    n = np.arange(int(30 / x) + 100, dtype=np.float64)  # steps back
    powers = radius ** (2 * n)  # |λ^n|²
    if normalised:
        factor = x * radius**2 / kappa(radius) ** 2 - n * x  # d log(κ λ^n)/dν, real part
        return float(kappa(radius) ** 2 * np.sum(powers * factor**2))
    return float(np.sum(powers * (n * x) ** 2))


# --8<-- [end:sums]


# --8<-- [start:simulate]
def simulated_variances(radii: tuple[float, ...], seed: int = SEED) -> dict[str, list[float]]:
    """Mean |h_T|² over SIM_BATCH simulated sequences of SIM_STEPS white-noise inputs, for
    a unit of each radius without and with κ (2 × len(radii) units, run side by side)."""
    generator = torch.Generator().manual_seed(seed)
    n = len(radii)
    shape = (SIM_BATCH, SIM_STEPS, 2 * n)
    v = torch.complex(*(torch.randn(shape, generator=generator, dtype=torch.float64) for _ in "ri"))
    v = v / math.sqrt(2)  # E|v|² = 1
    radius = torch.tensor(radii * 2, dtype=torch.float64)
    lam = torch.polar(radius, torch.ones_like(radius))  # the phase does not matter
    c = torch.tensor([1.0] * n + [kappa(r) for r in radii], dtype=torch.float64)
    last = sequential(lam, c * v)[-1]  # no gradient needed: the loop is the cheap way here
    second_moment = last.abs().pow(2).mean(dim=0).tolist()
    return {"without κ": second_moment[:n], "with κ": second_moment[n:]}


def finite_variance(radius: float, normalised: bool, steps: int = SIM_STEPS) -> float:
    """The exact E|h_t|² after `steps` steps from h_0 = 0: c² (1 - |λ|^{2t}) / (1 - |λ|²)."""
    c2 = kappa(radius) ** 2 if normalised else 1.0
    return c2 * (1.0 - radius ** (2 * steps)) / (1.0 - radius**2)


# --8<-- [end:simulate]


def plot(path: str = "lru_normalisation.svg") -> None:
    """Both variances against 1 - |λ|, with and without κ, log-log."""
    radii = 1.0 - np.logspace(-4, -0.3, 30)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for normalised, style in ((False, "-"), (True, "--")):
        label = "with κ" if normalised else "without κ"
        ax.loglog(
            1 - radii,
            [state_variance(r, normalised) for r in radii],
            style,
            color="C0",
            label=f"E|h|², {label}",
        )
        ax.loglog(
            1 - radii,
            [nu_gradient_variance(r, normalised) for r in radii],
            style,
            color="C1",
            label=f"E|∂h/∂ν|², {label}",
        )
    ax.invert_xaxis()
    ax.set_xlabel("1 − |λ| (log scale; |λ| → 1 to the right)")
    ax.set_ylabel("stationary second moment (log scale)")
    ax.legend(fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    print("One state unit driven by white noise (E|v|² = 1), stationary second moments")
    print(
        f"{'|λ|':>7s} {'κ':>7s} {'E|h|² no κ':>12s} {'with κ':>8s}"
        f" {'E|dh/dν|² no κ':>15s} {'with κ':>8s}"
    )
    for r in RADII:
        print(
            f"{r:7.4f} {kappa(r):7.4f} {state_variance(r, False):12.4g} "
            f"{state_variance(r, True):8.4g} {nu_gradient_variance(r, False):15.4g} "
            f"{nu_gradient_variance(r, True):8.4g}"
        )
    print(f"\nSimulated: {SIM_BATCH} sequences of {SIM_STEPS} steps, mean |h_T|² against the")
    print("exact finite-T value c² (1 - |λ|^(2T)) / (1 - |λ|²)")
    simulated = simulated_variances(RADII)
    for i, r in enumerate(RADII):
        for normalised, tag in ((False, "without κ"), (True, "with κ")):
            sim, exact = simulated[tag][i], finite_variance(r, normalised)
            print(f"  |λ| = {r:6.4f} {tag:9s}: simulated {sim:10.4g}, exact {exact:10.4g}")
    values = {
        "no_kappa_9999": round(state_variance(0.9999, False)),
        "nu_no_kappa_9999": round(nu_gradient_variance(0.9999, False)),
        "nu_kappa_9999": round(nu_gradient_variance(0.9999, True), 2),
    }
    with open("lru_normalisation.json", "w", encoding="utf-8") as f:
        json.dump(values, f, indent=1)
    plot()
# --8<-- [end:main]
