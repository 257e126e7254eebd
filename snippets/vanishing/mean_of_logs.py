"""How fast does a long product grow or shrink? At the mean of its logs, not its mean.

Three computations, NumPy only:

1. Scalar factors that are 0.1 or 2.0 with probability 1/2 each. Their arithmetic mean is
   1.05, above one; their geometric mean exp(E log a) = sqrt(0.2) = 0.447 is below one. The
   product of 49 of them vanishes with probability 0.9999, and its expected value, 1.05^49,
   comes from sequences too rare to ever see. Exact (binomial) and sampled.
2. The same law for matrices: the Jacobian products J_t ... J_1 of a tanh RNN grow like
   exp(n mu_1), where mu_1, the top Lyapunov exponent, is the long-run mean of the log of
   the growth per step. In these runs mu_1 < 0 goes with two different starting states
   ending in the same state (and mu_1 > 0 with their staying apart, scrambled: chaos, not
   memory): vanishing gradients come with stable, contracting dynamics.
3. A product of factors that are not length-preserving can stay bounded: M = diag(2, 1/2)
   times a rotation by 90 degrees stretches one direction by 2 and shrinks another by 2, yet
   every power of it has norm 1 or 2.

Run: python mean_of_logs.py   (prints the numbers, writes mean_of_logs.svg and
mean_of_logs.json, the values the page quotes)
"""

import json
import math

import matplotlib.pyplot as plt
import numpy as np

from rnnbook.report import scientific

LOW, HIGH, FACTORS = 0.1, 2.0, 49  # each factor is LOW or HIGH, with probability 1/2
SAMPLES = 100_000
SCALES = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)  # W_hh = s Q for the tanh RNN
HIDDEN, INPUT, STEPS, WASHOUT = 32, 4, 2000, 200
POWERS = 1000


# --8<-- [start:scalar]
def product_distribution(low: float, high: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """All possible products of n factors, each low or high with probability 1/2, and their
    probabilities: with j high factors the product is high^j low^(n-j), P = C(n, j) / 2^n."""
    if not (0 < low < high) or not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"need 0 < low < high, finite; got low={low!r}, high={high!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    j = np.arange(n + 1)
    products = high**j * low ** (n - j)
    probabilities = np.array([math.comb(n, k) for k in j], dtype=float) / 2.0**n
    return products, probabilities


def geometric_mean(factors: np.ndarray) -> float:
    """exp(mean(log a)): the factor whose n-th power a product of n of them typically is."""
    factors = np.asarray(factors, dtype=float)
    if factors.size == 0 or not np.all(factors > 0) or not np.all(np.isfinite(factors)):
        raise ValueError("a geometric mean needs a non-empty array of positive, finite numbers")
    return float(np.exp(np.mean(np.log(factors))))


# --8<-- [end:scalar]


def check_square(W: np.ndarray) -> np.ndarray:
    """W as a float array, after checking that it is a finite square matrix."""
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or not np.all(np.isfinite(W)):
        raise ValueError(f"W must be a finite square matrix, got shape {W.shape}")
    return W


def random_orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random n x n orthogonal matrix."""
    Q, R = np.linalg.qr(rng.standard_normal((n, n)))
    return Q * np.sign(np.diag(R))


# --8<-- [start:lyapunov]
def top_lyapunov_exponent(
    scale: float, steps: int = STEPS, washout: int = WASHOUT, seed: int = 0
) -> tuple[float, float]:
    """mu_1 of the Jacobian products of h_t = tanh(s Q h_{t-1} + W_xh x_t), and the distance
    between two runs on the same inputs from different starts (0 if the starts converge)."""
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps <= washout:
        raise ValueError(f"steps must be an integer above washout = {washout}, got {steps!r}")
    rng = np.random.default_rng(seed)
    W_hh = scale * random_orthogonal(HIDDEN, rng)
    W_xh = rng.standard_normal((HIDDEN, INPUT)) / 2
    h, other = np.zeros(HIDDEN), rng.uniform(-1, 1, HIDDEN)  # two different starts
    v = rng.standard_normal(HIDDEN)  # a direction carried along by the Jacobians
    v /= np.linalg.norm(v)
    log_growth = 0.0
    for t in range(steps):
        x = rng.standard_normal(INPUT)
        h = np.tanh(W_hh @ h + W_xh @ x)
        other = np.tanh(W_hh @ other + W_xh @ x)
        if t >= washout:  # v <- J_t v with J_t = diag(tanh'(z_t)) W_hh, then renormalise
            v = (1 - h**2) * (W_hh @ v)
            size = np.linalg.norm(v)
            log_growth += math.log(size)
            v /= size
    return log_growth / (steps - washout), float(np.linalg.norm(h - other))


# --8<-- [end:lyapunov]


# --8<-- [start:bounded]
def stretch_and_turn() -> np.ndarray:
    """M = diag(2, 1/2) R(90 degrees): singular values 2 and 1/2, eigenvalues +i and -i."""
    return np.diag([2.0, 0.5]) @ np.array([[0.0, -1.0], [1.0, 0.0]])


def power_norms(W: np.ndarray, n_max: int) -> np.ndarray:
    """||W^n||_2 for n = 1..n_max."""
    W = check_square(W)
    P, out = np.eye(len(W)), []
    for _ in range(n_max):
        P = W @ P
        out.append(np.linalg.norm(P, 2))
    return np.array(out)


# --8<-- [end:bounded]


def sample_products(low: float, high: float, n: int, samples: int, seed: int = 0) -> np.ndarray:
    """`samples` products of n factors drawn independently from {low, high}."""
    rng = np.random.default_rng(seed)
    return rng.choice([low, high], size=(samples, n)).prod(axis=1)


def plot(
    products: np.ndarray,
    probabilities: np.ndarray,
    exponents: dict[float, float],
    path: str = "mean_of_logs.svg",
) -> None:
    """Left: where the product of 49 factors lands. Right: mu_1 against the scale s."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 3.4))
    left.bar(np.log10(products), probabilities, width=0.6, color="#0072B2")
    mean = LOW / 2 + HIGH / 2
    typical = math.sqrt(LOW * HIGH)
    left.axvline(
        FACTORS * math.log10(mean),
        color="#D55E00",
        ls="--",
        label="(arithmetic mean)ⁿ: the expected value",
    )
    left.axvline(FACTORS * math.log10(typical), color="0.2", ls=":", label="(geometric mean)ⁿ")
    left.set_xlabel(f"log₁₀ of the product of n = {FACTORS} factors")
    left.set_ylabel("probability")
    left.set_title(f"factors {LOW} or {HIGH}, mean {mean:.2f}")
    left.legend(loc="center left", fontsize="small")
    scales = list(exponents)
    right.plot(scales, [exponents[s] for s in scales], "o-", ms=4, label="measured μ₁")
    right.plot(scales, [math.log(s) for s in scales], color="0.5", ls="--", label="bound log s")
    right.axhline(0.0, color="0.5", lw=0.8, ls=":")
    right.set_xlabel("scale s of W_hh = s·Q")
    right.set_ylabel("μ₁ (log growth per step)")
    right.set_title(f"tanh RNN, H = {HIDDEN}")
    right.legend(loc="lower right", fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    products, probabilities = product_distribution(LOW, HIGH, FACTORS)
    mean, typical = (LOW + HIGH) / 2, geometric_mean(np.array([LOW, HIGH]))
    expected = float(probabilities @ products)
    below_one = float(probabilities[products < 1].sum())
    below_tiny = float(probabilities[products < 1e-10].sum())
    from_rare = float(probabilities[products > 1] @ products[products > 1]) / expected
    sampled = sample_products(LOW, HIGH, FACTORS, SAMPLES)
    print(f"{FACTORS} factors, each {LOW} or {HIGH} with probability 1/2, independently")
    print(f"  arithmetic mean {mean:.2f}:  expected product {mean:.2f}^{FACTORS} = {expected:.1f}")
    print(f"  geometric mean {typical:.3f}: {typical:.3f}^{FACTORS} = {typical**FACTORS:.1e}")
    print(f"  exactly: P(product < 1) = {below_one:.5f}, P(product < 1e-10) = {below_tiny:.3f}")
    print(f"  products above 1 carry {100 * from_rare:.4f}% of the expected value")
    print(
        f"  {SAMPLES} sampled products: median {np.median(sampled):.1e}, "
        f"mean {sampled.mean():.1e}, largest {sampled.max():.1f}"
    )

    print(f"\ntanh RNN, H = {HIDDEN}, W_hh = s Q, random inputs, {STEPS} steps")
    print("   s    mu_1   e^mu_1   two starts converge")
    exponents = {}
    for s in SCALES:
        mu, distance = top_lyapunov_exponent(s)
        exponents[s] = mu
        forgets = "yes" if distance < 1e-9 else "no"
        print(f"{s:4.1f}  {mu:6.3f}  {math.exp(mu):7.3f}   {forgets}")

    M = stretch_and_turn()
    norms = power_norms(M, POWERS)
    sv = np.linalg.svd(M, compute_uv=False)
    eig = np.linalg.eigvals(M)
    print("\nM = diag(2, 1/2) @ rotation(90 degrees)")
    print(f"  singular values {sv[0]:.1f} and {sv[1]:.1f}; eigenvalue magnitudes {abs(eig[0]):.1f}")
    print(f"  ||M^n|| for n = 1..{POWERS}: between {norms.min():.1f} and {norms.max():.1f}")

    values = {
        "factors": FACTORS,
        "arithmetic_mean": round(mean, 2),
        "expected_product": round(expected, 1),
        "geometric_mean": round(typical, 3),
        "typical_product": scientific(typical**FACTORS, 1),
        "p_below_one": f"{100 * below_one:.3f}%",
        "p_below_1e10": f"{100 * below_tiny:.0f}%",
        "rare_share": f"{100 * from_rare:.4f}%",
        "p_above_one": f"{100 * (1 - below_one):.3f}%",
        "samples": f"{SAMPLES:,}".replace(",", " "),
        "sample_mean": scientific(sampled.mean(), 1),
        "sample_median": scientific(float(np.median(sampled)), 1),
        "mu_tanh_1": round(exponents[1.0], 3),
        "factor_tanh_1": round(math.exp(exponents[1.0]), 3),
        "mu_tanh_2": round(exponents[2.0], 3),
        "edge_low": max(s for s in SCALES if exponents[s] < 0),
        "edge_high": min(s for s in SCALES if exponents[s] > 0),
        "power_max": round(float(norms.max()), 1),
        "power_min": round(float(norms.min()), 1),
    }
    with open("mean_of_logs.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    plot(products, probabilities, exponents)
# --8<-- [end:main]
