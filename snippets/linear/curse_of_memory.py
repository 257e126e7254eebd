"""The curse of memory: the output's sensitivity to λ explodes while gradients through time do not.

One real state unit, h_t = λ h_{t-1} + c x_t, driven by white noise x_t ~ N(0, 1), 0 < λ < 1
(Zucchet & Orvieto, 2024). The gradient through time is harmless: dh_T/dh_t = λ^(T-t) is at
most 1. What grows as λ -> 1 is the sensitivity of the state to λ itself, the quantity
training needs in order to move λ. With c = 1, s_t = dh_t/dλ obeys s_t = λ s_{t-1} + h_{t-1},
and in the stationary state

    E[h²] = 1 / (1 - λ²),        E[(dh/dλ)²] = (1 + λ²) / (1 - λ²)³.

The LRU's normalisation c = κ = sqrt(1 - λ²) makes E[h²] = 1 but leaves
E[(dh/dλ)²] = 1 / (1 - λ²)², still unbounded; only with the exponential parametrisation
λ = exp(-exp(ν)) as well, dλ/dν = λ log λ, does the sensitivity stay bounded:
E[(dh/dν)²] = (λ log λ)² / (1 - λ²)² -> 1/4. Each formula is checked on simulated sequences.

Run: python curse_of_memory.py   (prints the table, writes curse_of_memory.svg and .json)
"""

import json
import math

import matplotlib.pyplot as plt
import numpy as np

from rnnbook.report import scientific

LAMBDAS = (0.5, 0.9, 0.99, 0.999)
BATCH, SEED = 20_000, 0


# --8<-- [start:theory]
def theory(lam: float) -> dict[str, float]:
    """Stationary second moments: the state, and its sensitivity to λ (c = 1 and c = κ) and
    to ν (c = κ, λ = exp(-exp ν))."""
    if not 0.0 < lam < 1.0:
        raise ValueError(f"lam must lie in (0, 1), got {lam!r}")
    q = 1.0 - lam**2
    return {
        "state": 1.0 / q,
        "lambda": (1.0 + lam**2) / q**3,
        "lambda_kappa": 1.0 / q**2,
        "nu_kappa": (lam * math.log(lam)) ** 2 / q**2,
    }


# --8<-- [end:theory]


# --8<-- [start:simulate]
def simulate(lam: float, batch: int = BATCH, seed: int = SEED) -> dict[str, float]:
    """The same moments measured on `batch` sequences run for 20/(1 - λ) steps from rest
    (the start is forgotten to within e^-20), with s_t = dh_t/dλ by its own recursion."""
    if not 0.0 < lam < 1.0:
        raise ValueError(f"lam must lie in (0, 1), got {lam!r}")
    rng = np.random.default_rng(seed)
    h, s = np.zeros(batch), np.zeros(batch)
    for _ in range(math.ceil(20 / (1 - lam))):
        h, s = lam * h + rng.standard_normal(batch), lam * s + h  # s uses the old h
    kappa = math.sqrt(1 - lam**2)
    d_kappa = -lam / kappa  # dκ/dλ
    with_kappa = d_kappa * h + kappa * s  # d(κ h)/dλ
    return {
        "state": float(np.mean(h**2)),
        "lambda": float(np.mean(s**2)),
        "lambda_kappa": float(np.mean(with_kappa**2)),
        "nu_kappa": float(np.mean((lam * math.log(lam) * with_kappa) ** 2)),
    }


# --8<-- [end:simulate]

LABELS = {
    "state": "E[h²], c = 1",
    "lambda": "E[(dh/dλ)²], c = 1",
    "lambda_kappa": "E[(dh/dλ)²], c = κ",
    "nu_kappa": "E[(dh/dν)²], c = κ",
}


def plot(rows: dict[float, tuple[dict, dict]], path: str = "curse_of_memory.svg") -> None:
    """Each moment against 1 - λ, log-log: the formulas as lines, the simulation as dots."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    grid = np.geomspace(1e-3, 0.5, 60)
    for key, label in LABELS.items():
        (line,) = ax.plot(grid, [theory(1 - g)[key] for g in grid], label=label)
        ax.plot(
            [1 - lam for lam in rows],
            [sim[key] for _, sim in rows.values()],
            "o",
            color=line.get_color(),
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("1 − λ (λ closer to 1 to the right)")
    ax.set_ylabel("stationary second moment")
    ax.legend(fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    rows = {lam: (theory(lam), simulate(lam)) for lam in LAMBDAS}
    print(f"h_t = λ h_(t-1) + c x_t, white noise; {BATCH:,} simulated sequences per λ")
    print("λ       " + "  ".join(f"{label:>28s}" for label in LABELS.values()))
    print("        " + "  ".join(f"{'formula':>13s} {'simulated':>14s}" for _ in LABELS))
    worst = 0.0
    for lam, (exact, sim) in rows.items():
        cells = []
        for key in LABELS:
            cells.append(f"{exact[key]:13.4g} {sim[key]:14.4g}")
            worst = max(worst, abs(sim[key] / exact[key] - 1))
        print(f"{lam:<7g} " + "  ".join(cells))
    print(f"largest relative gap between formula and simulation: {100 * worst:.1f}%")
    plot(rows)
    near = theory(0.999)
    values = {
        "batch": BATCH,
        "lambda_999": scientific(near["lambda"], 1),
        "lambda_kappa_999": scientific(near["lambda_kappa"], 1),
        "nu_kappa_999": f"{near['nu_kappa']:.3f}",
        "state_999": f"{near['state']:.0f}",
        "worst_percent": f"{100 * worst:.1f}",
    }
    with open("curse_of_memory.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
# --8<-- [end:main]
