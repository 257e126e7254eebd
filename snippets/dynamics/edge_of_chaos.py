"""The edge of chaos: where mu_1 crosses 0 is not s = 1 once the network has inputs.

For the tanh network of lyapunov.py (W_hh = s Q, every unit driven by an input of standard
deviation sigma_x) this file measures the largest Lyapunov exponent mu_1 on a grid of
weight scales s and input scales sigma_x, for five random networks, and finds the critical
scale s_c where mu_1 changes sign: below it products of Jacobians shrink (the ordered
phase, vanishing gradients), above it they grow (the chaotic phase, exploding gradients).

Mean field (Molgedey, Schuchhardt & Schuster, 1992; Poole et al., 2016): with many units the
pre-activations are roughly Gaussian with a variance q that solves
    q = s^2 E[tanh(sqrt(q) xi)^2] + sigma_x^2,    xi ~ N(0, 1),
and a perturbation grows per step by about s * sqrt(E[tanh'(sqrt(q) xi)^2]); so
mu_1 ~ log(s sqrt(<phi'^2>)). Inputs push the units away from 0, where tanh' < 1, so s
must be larger before the product grows. Without inputs the state can rest at 0, where
tanh' = 1, and the crossing is exactly s = 1.

Run: python edge_of_chaos.py   (prints the table, writes edge_of_chaos.svg,
edge_of_chaos_table.md and edge_of_chaos.json)
"""

import json

import matplotlib.pyplot as plt
import numpy as np

from rnnbook.explorer import SCAN
from rnnbook.explorer import run as explorer_run
from rnnbook.lyapunov import check_count, network, start_vector

SCALES = np.round(np.arange(0.5, 3.001, 0.1), 2)  # s
INPUT_SCALES = (0.0, 1 / 3, 1.0, 2.0)  # sigma_x; 1/3 is the explorer's input drive
HIDDEN, STEPS, BURN_IN = 128, 1000, 200
SEEDS = (0, 1, 2, 3, 4)  # five random networks per setting
EXPLORER_SEED = 1  # the seed of the explorer page's links and scan
NODES, WEIGHTS = np.polynomial.hermite_e.hermegauss(101)  # E[f(xi)] = sum(WEIGHTS * f(NODES))
WEIGHTS = WEIGHTS / WEIGHTS.sum()


# --8<-- [start:grid]
def mu1_grid(
    scales: np.ndarray, input_scales, hidden: int = HIDDEN, steps: int = STEPS, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """mu_1 and the mean of tanh'(z)^2 for every (s, sigma_x), all networks run side by side.

    Setting (s, sigma_x) is lyapunov.network(s, sigma_x, hidden, BURN_IN + steps, seed): the
    same Q, h_0 and inputs for every setting, only scaled. QR with one vector: multiply by
    J_t, record the stretch, normalise."""
    hidden, steps = check_count(hidden, "hidden", 1), check_count(steps, "steps", 1)
    s, sx = (np.asarray(a, float).ravel() for a in np.meshgrid(scales, input_scales, indexing="ij"))
    W1, drive1, h0 = network(1.0, 1.0, hidden, BURN_IN + steps, seed)  # Q and x_t
    h = np.tile(h0, (len(s), 1))
    v = np.tile(start_vector(hidden), (len(s), 1))
    log_stretch, slope2 = np.zeros(len(s)), np.zeros(len(s))
    for t, x_t in enumerate(drive1):
        h = np.tanh(s[:, None] * (h @ W1.T) + sx[:, None] * x_t)
        d = 1.0 - h * h  # tanh'(z_t), one row per setting
        v = d * (s[:, None] * (v @ W1.T))  # J_t v
        r = np.linalg.norm(v, axis=1)
        v /= r[:, None]
        if t >= BURN_IN:
            log_stretch += np.log(r)
            slope2 += np.mean(d * d, axis=1)
    shape = (len(scales), len(input_scales))
    return (log_stretch / steps).reshape(shape), (slope2 / steps).reshape(shape)


# --8<-- [end:grid]


def crossing(scales: np.ndarray, mu: np.ndarray) -> float | None:
    """The s where mu_1 first turns from negative to >= 0, by linear interpolation."""
    for i in range(1, len(scales)):
        if mu[i - 1] < 0 <= mu[i]:
            return float(
                scales[i - 1] + (scales[i] - scales[i - 1]) * -mu[i - 1] / (mu[i] - mu[i - 1])
            )
    return None


# --8<-- [start:mean_field]
def gauss_mean(f, q: np.ndarray) -> np.ndarray:
    """E[f(sqrt(q) xi)] for xi ~ N(0, 1), elementwise in q (Gauss-Hermite quadrature)."""
    return np.sum(WEIGHTS * f(np.sqrt(q)[..., None] * NODES), axis=-1)


def mean_field_variance(scale, input_scale) -> np.ndarray:
    """The stable solution q of q = s^2 E[tanh(sqrt(q) xi)^2] + sigma_x^2 (bisection)."""
    s, sx = np.broadcast_arrays(np.asarray(scale, float), np.asarray(input_scale, float))

    def excess(q: np.ndarray) -> np.ndarray:
        return s**2 * gauss_mean(lambda z: np.tanh(z) ** 2, q) + sx**2 - q

    lo, hi = np.maximum(sx**2, 1e-12), s**2 + sx**2
    rests = excess(lo) <= 0  # no input and s <= 1: the state rests at 0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        up = excess(mid) > 0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    return np.where(rests, sx**2, 0.5 * (lo + hi))


def mean_field_rate(scale, input_scale) -> np.ndarray:
    """log(s sqrt(E[tanh'(z)^2])) with z ~ N(0, q): the mean-field growth rate per step."""
    q = mean_field_variance(scale, input_scale)
    slope2 = gauss_mean(lambda z: (1.0 - np.tanh(z) ** 2) ** 2, q)
    return np.log(scale) + 0.5 * np.log(slope2)


def mean_field_critical_scale(input_scale) -> np.ndarray:
    """The s where the mean-field rate crosses 0 (bisection between 0.5 and 10)."""
    lo = np.full(np.shape(input_scale), 0.5)
    hi = np.full(np.shape(input_scale), 10.0)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        below = mean_field_rate(mid, input_scale) < 0
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


# --8<-- [end:mean_field]


def explorer_crossing(seed: int = EXPLORER_SEED, hidden: int = 32, steps: int = 100) -> float:
    """Where the explorer's tanh gradient stops vanishing: the s on its slider (1.00, 1.01,
    ...) at which ||dL/dh_1|| reaches ||dL/dh_T||, by bisection (its test checks that this
    is the smallest such s, as explorer_reference.crossing finds by scanning)."""
    lo, hi = 0, len(SCAN) - 1  # the growth is below 1 at SCAN[lo] and reaches 1 at SCAN[hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        g = explorer_run("tanh", SCAN[mid], hidden, steps, seed)["grad_log10"]
        lo, hi = (lo, mid) if g[0] >= g[-1] else (mid, hi)
    return SCAN[hi]


def measure() -> dict:
    """mu_1 and <phi'^2> on the grid for every seed, crossings, mean field, explorer."""
    runs = [mu1_grid(SCALES, INPUT_SCALES, seed=seed) for seed in SEEDS]
    mu = np.array([m for m, _ in runs])  # (seed, s, sigma_x)
    slope2 = np.array([p for _, p in runs])
    cross = np.array(
        [
            [crossing(SCALES, mu[k, :, j]) for j in range(len(INPUT_SCALES))]
            for k in range(len(SEEDS))
        ]
    )
    return {
        "mu": mu,
        "slope2": slope2,
        "crossings": cross,
        "mean_field": mean_field_critical_scale(np.array(INPUT_SCALES)),
        "explorer": explorer_crossing(),
    }


def label(input_scale: float) -> str:
    """sigma_x as the table shows it."""
    return "1/3" if abs(input_scale - 1 / 3) < 1e-12 else f"{input_scale:g}"


def plot(found: dict, path: str = "edge_of_chaos.svg") -> None:
    """Left: mu_1 against s (band: five networks; dashed: mean field). Right: s_c against sigma_x."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9.6, 3.9), width_ratios=(1.5, 1))
    fine = np.linspace(SCALES[0], SCALES[-1], 126)
    for j, sx in enumerate(INPUT_SCALES):
        mu = found["mu"][:, :, j]
        (line,) = ax.plot(SCALES, np.median(mu, axis=0), label=f"σ_x = {label(sx)}")
        colour = line.get_color()
        ax.fill_between(SCALES, mu.min(axis=0), mu.max(axis=0), color=colour, alpha=0.25, lw=0)
        ax.plot(fine, mean_field_rate(fine, sx), color=colour, lw=1.0, ls=":")
        ax.plot(np.median(found["crossings"][:, j]), 0, "o", color=colour, ms=5)
    ax.plot(fine, np.log(fine), color="0.5", lw=1.0, ls="--", label="log s (bound)")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_ylim(-1.5, 1.0)
    ax.set_xlabel("weight scale s (every singular value of W_hh)")
    ax.set_ylabel("largest Lyapunov exponent μ₁ (per step)")
    ax.set_title("μ₁ of tanh networks, H = 128 (dotted: mean field)")
    ax.legend(loc="lower right", fontsize="small")

    sx_fine = np.linspace(0, 2.2, 45)
    bx.plot(mean_field_critical_scale(sx_fine), sx_fine, color="0.3", lw=1.2, label="mean field")
    med = np.median(found["crossings"], axis=0)
    err = [med - found["crossings"].min(axis=0), found["crossings"].max(axis=0) - med]
    bx.errorbar(med, INPUT_SCALES, xerr=err, fmt="o", ms=5, capsize=3, label="measured, 5 networks")
    bx.plot(found["explorer"], 1 / 3, "s", ms=6, mfc="none", label="explorer, seed 1 (T = 100)")
    bx.text(1.0, 1.75, "ordered:\ngradients vanish", fontsize="small", color="0.3")
    bx.text(2.45, 0.7, "chaotic:\ngradients explode", fontsize="small", color="0.3")
    bx.set_xlim(0.9, 3.1)
    bx.set_xlabel("critical weight scale s_c")
    bx.set_ylabel("input scale σ_x")
    bx.set_title("The edge of chaos")
    bx.legend(loc="lower right", fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def table(found: dict) -> str:
    """The critical line as a Markdown table."""
    rows = [
        "| input scale σ_x | s_c measured, median (range over 5 networks) | s_c mean field | μ₁ at s = 1 |",
        "|---:|---:|---:|---:|",
    ]
    one = list(SCALES).index(1.0)
    for j, sx in enumerate(INPUT_SCALES):
        c = found["crossings"][:, j]
        rows.append(
            f"| {label(sx)} | {np.median(c):.2f} ({c.min():.2f}–{c.max():.2f}) | "
            f"{found['mean_field'][j]:.2f} | {np.median(found['mu'][:, one, j]):+.3f} |"
        )
    return "\n".join(rows) + "\n"


# --8<-- [start:main]
if __name__ == "__main__":
    found = measure()
    mu, slope2 = found["mu"], found["slope2"]
    print(
        f"tanh RNN, H = {HIDDEN}, W_hh = s Q; mu_1 over {STEPS} steps after {BURN_IN}; networks (seeds) {SEEDS}"
    )
    print("\nmu_1 (median of the 5 networks) at some weight scales s")
    shown = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
    print("sigma_x  " + "".join(f"  s = {s:<4}" for s in shown))
    for j, sx in enumerate(INPUT_SCALES):
        values = [np.median(mu[:, list(SCALES).index(s), j]) for s in shown]
        print(f"{label(sx):>7}  " + "".join(f"  {m:+7.3f} " for m in values))

    print("\nCritical scale s_c where mu_1 crosses 0")
    print("sigma_x   measured: median (range)   mean field")
    for j, sx in enumerate(INPUT_SCALES):
        c = found["crossings"][:, j]
        print(
            f"{label(sx):>7}   {np.median(c):.2f} ({c.min():.2f} to {c.max():.2f})        {found['mean_field'][j]:.2f}"
        )

    growth = np.log(SCALES[None, :, None] * np.sqrt(slope2))
    print("\nmu_1 against log(s sqrt(<tanh'(z)^2>)) measured on the same runs, all settings:")
    print(f"  largest difference {np.abs(mu - growth).max():.3f}")
    print(
        f"  mu_1 <= log s everywhere: {bool(np.all(mu <= np.log(SCALES)[None, :, None] + 1e-12))}"
    )

    print(f"\nThe explorer (tanh, H = 32, T = 100, seed {EXPLORER_SEED}): its gradient stops")
    print(f"  vanishing at s = {found['explorer']:.2f}; its inputs drive each unit with")
    print("  standard deviation 1/3 (4 inputs uniform on [-1, 1), weights uniform on [-1/2, 1/2))")

    with open("edge_of_chaos_table.md", "w", encoding="utf-8") as handle:
        handle.write(table(found))
    c = np.median(found["crossings"], axis=0)
    values = {
        "sc_none": round(float(c[0]), 2),
        "sc_third": round(float(c[1]), 2),
        "sc_one": round(float(c[2]), 2),
        "sc_two": round(float(c[3]), 2),
        "mf_third": round(float(found["mean_field"][1]), 2),
        "mf_two": round(float(found["mean_field"][3]), 2),
        "explorer": round(found["explorer"], 2),
        "growth_gap": round(float(np.abs(mu - growth).max()), 3),
    }
    with open("edge_of_chaos.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    plot(found)
# --8<-- [end:main]
