"""A product grows at the mean of the logs of its factors, not at their average.

A gradient that crosses 49 steps is multiplied by 49 factors. If they vary from step to
step, which "average factor" predicts the product? Write the product as
exp(sum of log a_t): its typical size is exp(49 E[log a]), the geometric mean to the 49th
power (the law of large numbers, applied to the logs). The arithmetic mean E[a] is always
larger (Jensen's inequality: E[log a] <= log E[a]), and (E[a])^49 is the *mean* of the
product, which rare large products carry, not its typical value.

Two examples with random, independent factors, 100,000 sequences of 49 factors each:
* uniform on [0, 0.2]: arithmetic mean 0.1, as in "0.1 on average" -- typical product far
  below 0.1^49;
* 2 or 0.05, equally likely: arithmetic mean 1.025 > 1 -- and yet the product vanishes in
  almost every sequence.

Run: python product_growth.py   (prints the table, writes product_growth.svg and
product_growth.json)
"""

import json
import math
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np

STEPS = 49  # the 49 steps between word 1 and word 50 of a 50-word sentence
SAMPLES = 100_000
SEED = 0


# --8<-- [start:cases]
def uniform_factors(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Factors uniform on [0, 0.2]: E[a] = 0.1, E[log a] = log 0.2 - 1."""
    return 0.2 * rng.random(shape)


def two_point_factors(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Factors 2 or 0.05 with probability 1/2 each: E[a] = 1.025, E[log a] = log(0.1) / 2."""
    return np.where(rng.random(shape) < 0.5, 2.0, 0.05)


CASES = {  # name: (sampler, arithmetic mean E[a], E[log a]), the means computed by hand
    "uniform on [0, 0.2]": (uniform_factors, 0.1, math.log(0.2) - 1.0),
    "2 or 0.05, equally likely": (two_point_factors, 1.025, 0.5 * math.log(0.1)),
}


def log10_products(sampler, samples: int = SAMPLES, steps: int = STEPS, seed: int = SEED):
    """log10 of the product of `steps` independent factors, for `samples` sequences."""
    for name, value in (("samples", samples), ("steps", steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    factors = sampler(np.random.default_rng(seed), (samples, steps))
    return np.log10(factors).sum(axis=1)  # in logs: the product itself may underflow


# --8<-- [end:cases]


def exact_chance_above_one(steps: int = STEPS) -> Fraction:
    """P(product >= 1) for factors 2 or 0.05: 2^k 0.05^(steps-k) >= 1 needs k >= 40 twos."""
    need = next(k for k in range(steps + 1) if 2**k * Fraction(1, 20) ** (steps - k) >= 1)
    return Fraction(sum(math.comb(steps, k) for k in range(need, steps + 1)), 2**steps)


def superscript(log10: float) -> str:
    """10**log10 as '3.2 × 10⁻⁵⁶' for the page."""
    exponent = math.floor(log10)
    mantissa = round(10 ** (log10 - exponent), 1)
    if mantissa >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    digits = str(exponent).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mantissa:g} × 10{digits}"


def plot(logs: dict, path: str = "product_growth.svg") -> None:
    """Histogram of log10(product) for each case, with the two 'average factor' predictions."""
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.4))
    for ax, (name, (_, mean, mean_log)) in zip(axes, CASES.items(), strict=True):
        values = logs[name]
        ax.hist(values, bins=60, color="#56B4E9", edgecolor="white", linewidth=0.3)
        ax.axvline(STEPS * math.log10(mean), color="#D55E00", ls="--", label="(arithmetic mean)⁴⁹")
        ax.axvline(STEPS * mean_log / math.log(10), color="#009E73", label="(geometric mean)⁴⁹")
        ax.set_title(f"factors {name}")
        ax.set_xlabel(f"log₁₀ of the product of {STEPS} factors")
        ax.set_ylabel(f"sequences (of {SAMPLES:,})")
        ax.legend(loc="upper left", fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    print(f"Products of {STEPS} independent random factors, {SAMPLES:,} sequences per case\n")
    logs, values = {}, {}
    for i, (name, (sampler, mean, mean_log)) in enumerate(CASES.items()):
        logs[name] = log10_products(sampler)
        geometric = math.exp(mean_log)
        lo, hi = np.percentile(logs[name], [10, 90])
        print(f"factors {name}")
        print(
            f"  arithmetic mean E[a] = {mean:g}; (E[a])^{STEPS} = {mean**STEPS:.3g} is the MEAN product"
        )
        print(
            f"  geometric mean exp(E[log a]) = {geometric:.4f}; its {STEPS}th power = {geometric**STEPS:.3g}"
        )
        print(f"  sampled: the middle 80% of the products lie between 10^{lo:.1f} and 10^{hi:.1f};")
        print(f"  {np.sum(logs[name] >= 0)} of {SAMPLES:,} are >= 1")
        key = "uniform" if i == 0 else "two_point"
        values[f"{key}_geometric"] = round(geometric, 4)
        values[f"{key}_typical"] = superscript(STEPS * mean_log / math.log(10))
        values[f"{key}_low"] = superscript(lo)
        values[f"{key}_high"] = superscript(hi)
    chance = exact_chance_above_one()
    print(f"\nFactors 2 or 0.05: P(product >= 1) = {chance.numerator}/{chance.denominator}")
    print(f"  = {float(chance):.2e} exactly (40 or more factors of 2 among {STEPS})")
    values["two_point_mean_product"] = round(1.025**STEPS, 2)
    values["two_point_chance"] = superscript(math.log10(chance))
    with open("product_growth.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    plot(logs)
# --8<-- [end:main]
