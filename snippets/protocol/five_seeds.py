"""What five seeds can decide: exact intervals, Fisher's test, and the seeds a claim needs.

Every training claim on the site is a count of solved seeds or a sample of final losses.
This listing computes, exactly, how much such a count can say: the interval around k of 5,
which pairs of counts Fisher's exact test separates, and the chance (the power) that a
comparison with n seeds per arm reaches p < 0.05 when the two arms really differ.

Run: python five_seeds.py   (prints the tables, writes five_seeds.svg and five_seeds.json)
"""

import json
import math
from fractions import Fraction

import matplotlib.pyplot as plt

from rnnbook.protocol import SOLVED_FRACTION
from rnnbook.stats import ALPHA, binomial_interval, count_phrase, fisher_exact, rank_sum_exact

SEEDS = 5
POWER_SEEDS = (5, 10, 20)
# Pairs of true solve rates: a large, a clear and a modest difference between two arms.
RATE_PAIRS = ((0.9, 0.1), (0.8, 0.3), (0.6, 0.3))


# --8<-- [start:power]
def binomial_pmf(k: int, n: int, p: Fraction) -> Fraction:
    """P(X = k) for X ~ Binomial(n, p), exactly."""
    return math.comb(n, k) * p**k * (1 - p) ** (n - k)


def power(n: int, p1: float, p2: float, alpha: float = ALPHA) -> float:
    """Chance that n seeds per arm give Fisher p < alpha when the arms' true solve rates
    are p1 and p2: the sum, over every pair of counts the test separates, of its
    probability. Exact (the rates are read as fractions)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    for name, p in (("p1", p1), ("p2", p2)):
        if not 0 <= p <= 1:
            raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")
    q1, q2 = Fraction(str(p1)), Fraction(str(p2))
    total = Fraction(0)
    for k1 in range(n + 1):
        for k2 in range(n + 1):
            if fisher_exact(k1, n, k2, n) < alpha:
                total += binomial_pmf(k1, n, q1) * binomial_pmf(k2, n, q2)
    return float(total)


# --8<-- [end:power]


def separating_pairs(n: int) -> list[tuple[int, int]]:
    """Every (k1, k2) with k1 > k2 that Fisher's test separates at n seeds per arm."""
    return [
        (k1, k2) for k1 in range(n + 1) for k2 in range(k1) if fisher_exact(k1, n, k2, n) < ALPHA
    ]


def plot(path: str = "five_seeds.svg") -> None:
    """Power against seeds per arm, for the three pairs of true solve rates."""
    ns = list(range(2, 21))
    fig, ax = plt.subplots()
    for p1, p2 in RATE_PAIRS:
        ax.plot(ns, [power(n, p1, p2) for n in ns], marker="o", ms=3, label=f"{p1} vs {p2}")
    ax.axvline(SEEDS, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel("seeds per arm, n")
    ax.set_ylabel("chance that Fisher's test gives p < 0.05")
    ax.set_ylim(0, 1)
    ax.set_title("Power of a comparison of solved counts")
    ax.legend(title="true solve rates", loc="lower right")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    print(f"Solved, on every page: test loss below {SOLVED_FRACTION:.0%} of the memoryless loss.")
    print(f"\nk solved of {SEEDS} seeds, with the exact (Clopper-Pearson) 95% interval:")
    for k in range(SEEDS + 1):
        print(f"  {count_phrase(k, SEEDS)}")

    print(f"\nFisher's exact test, {SEEDS} seeds a side: two-sided p for k1 against k2")
    print("  k1\\k2 " + "".join(f"{k2:>7d}" for k2 in range(SEEDS + 1)))
    for k1 in range(SEEDS + 1):
        row = "".join(
            f"{float(fisher_exact(k1, SEEDS, k2, SEEDS)):7.3f}" for k2 in range(SEEDS + 1)
        )
        print(f"  {k1:5d} {row}")
    pairs = separating_pairs(SEEDS)
    print(
        f"  pairs with p < {ALPHA}: " + ", ".join(f"{a}/{SEEDS} vs {b}/{SEEDS}" for a, b in pairs)
    )

    print("\nThe smallest p an exact rank-sum test can reach (one arm entirely below the other):")
    smallest = {}
    for n in (3, 4, 5):
        smallest[n] = float(rank_sum_exact(list(range(n)), list(range(n, 2 * n))))
        print(f"  {n} seeds a side: p = {smallest[n]:.4f}")

    print("\nPower: the chance that n seeds per arm give p < 0.05, for true solve rates")
    print("  rates      " + "".join(f"   n = {n:<3d}" for n in POWER_SEEDS))
    powers = {}
    for p1, p2 in RATE_PAIRS:
        powers[(p1, p2)] = [power(n, p1, p2) for n in POWER_SEEDS]
        print(f"  {p1} vs {p2}" + "".join(f"{v:10.3f}" for v in powers[(p1, p2)]))

    # Under the null (the same rate p in both arms) the rejection rate is at most its
    # largest value over p: well below the nominal 5%, since the test is discrete.
    null = max(power(SEEDS, q / 200, q / 200) for q in range(1, 200))
    print(f"  same rate in both arms, {SEEDS} a side: p < 0.05 at most {null:.3f} of the time")
    six = power(SEEDS + 1, 0.8, 0.3)
    print(f"  0.8 vs 0.3 with {SEEDS + 1} a side: {six:.3f} (power is not monotone in n)")

    plot()
    low4, high4 = binomial_interval(4, SEEDS)
    low0, high0 = binomial_interval(0, SEEDS)
    values = {
        "n": SEEDS,
        "p_5_0": f"{float(fisher_exact(5, SEEDS, 0, SEEDS)):.3f}",
        "p_4_0": f"{float(fisher_exact(4, SEEDS, 0, SEEDS)):.3f}",
        "p_5_1": f"{float(fisher_exact(5, SEEDS, 1, SEEDS)):.3f}",
        "p_3_0": f"{float(fisher_exact(3, SEEDS, 0, SEEDS)):.2f}",
        "p_2_0": f"{float(fisher_exact(2, SEEDS, 0, SEEDS)):.2f}",
        "p_5_2": f"{float(fisher_exact(5, SEEDS, 2, SEEDS)):.2f}",
        "separating": len(pairs),
        "interval_4_low": round(100 * low4),
        "interval_4_high": round(100 * high4),
        "interval_0_high": round(100 * high0),
        "rank_3": f"{smallest[3]:.2f}",
        "rank_5": f"{smallest[5]:.3f}",
        **{
            f"power_08_03_{n}": f"{v:.2f}"
            for n, v in zip(POWER_SEEDS, powers[(0.8, 0.3)], strict=True)
        },
        "power_09_01_5": f"{powers[(0.9, 0.1)][0]:.2f}",
        "power_06_03_20": f"{powers[(0.6, 0.3)][-1]:.2f}",
        "null_max": f"{null:.3f}",
        "power_08_03_6": f"{six:.2f}",
    }
    with open("five_seeds.json", "w", encoding="utf-8") as f:
        f.write(json.dumps(values, indent=1, ensure_ascii=False) + "\n")
# --8<-- [end:main]
