"""How steep can a squashing activation be? sigmoid' <= 1/4 and tanh' <= 1, and what that does
to a product of many of them.

Run: python activation_slopes.py   (prints the numbers, writes activation_slopes.svg and
activation_slopes.json)
"""

import json

import matplotlib.pyplot as plt
import numpy as np

from rnnbook.report import scientific


# --8<-- [start:slopes]
def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z)."""
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_slope(z: np.ndarray) -> np.ndarray:
    """sigma'(z) = sigma(z) (1 - sigma(z)): at most 1/4, reached only at z = 0."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh_slope(z: np.ndarray) -> np.ndarray:
    """tanh'(z) = 1 - tanh(z)^2: at most 1, reached only at z = 0."""
    return 1.0 - np.tanh(z) ** 2


def relu_slope(z: np.ndarray) -> np.ndarray:
    """relu'(z): 1 for z > 0, 0 for z < 0 (we take 0 at z = 0)."""
    return (np.asarray(z) > 0).astype(float)


# --8<-- [end:slopes]


def product_of_factors(factor: float, steps: int, dtype: type = np.float64) -> float:
    """factor multiplied by itself `steps` times, step by step, in the given float type."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if not np.isfinite(factor):
        raise ValueError(f"factor must be a finite number, got {factor!r}")
    result = dtype(1.0)
    for _ in range(steps):
        result = dtype(result * dtype(factor))
    return float(result)


def plot(path: str = "activation_slopes.svg") -> None:
    """Left: the three slopes against z. Right: products of n equal factors, log scale."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.6, 3.4))
    z = np.linspace(-6, 6, 241)
    left.plot(z, tanh_slope(z), label="tanh′(z)")
    left.plot(z, sigmoid_slope(z), label="σ′(z)")
    left.plot(z, relu_slope(z), label="ReLU′(z)", drawstyle="steps-mid")
    for level in (1.0, 0.25):
        left.axhline(level, color="0.6", lw=0.8, ls=":")
    left.set_xlabel("pre-activation z")
    left.set_ylabel("slope φ′(z)")
    left.set_ylim(-0.05, 1.12)
    left.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    left.legend(loc="center right", fontsize="small")
    left.set_title("tanh′ ≤ 1 and σ′ ≤ 1/4, both peaking at z = 0")

    n = np.arange(0, 51)
    for factor in (0.9, 0.5, 0.25, 0.1):
        right.plot(n, float(factor) ** n, label=f"${factor}^n$")
    right.plot([49], [0.1**49], "o", color="0.2", ms=4)
    right.annotate(
        "$(0.1)^{49}$", (49, 0.1**49), xytext=(-6, 2), textcoords="offset points", ha="right"
    )
    right.set_yscale("log")
    right.set_yticks([10.0**k for k in range(0, -51, -10)])
    right.set_xlabel("number of factors n")
    right.set_ylabel("product (log scale)")
    right.legend(loc="lower left", fontsize="small")
    right.set_title("A product of n factors below 1")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    z = np.linspace(-10, 10, 200_001)  # step 1e-4, includes z = 0 exactly
    for name, slope in [("sigmoid", sigmoid_slope), ("tanh", tanh_slope)]:
        values = slope(z)
        peak = z[np.argmax(values)]
        print(f"max {name}'(z) on [-10, 10] = {values.max():.6f}, at z = {peak:.4f}")
    print("tanh'(z) at z = 0, 1, 2, 3:", " ".join(f"{tanh_slope(v):.4f}" for v in (0, 1, 2, 3)))
    print(
        "sigmoid'(z) at z = 0, 1, 2, 3:", " ".join(f"{sigmoid_slope(v):.4f}" for v in (0, 1, 2, 3))
    )
    print(
        "tanh'(z) = 4 sigmoid'(2z) holds on the grid:",
        np.allclose(tanh_slope(z), 4 * sigmoid_slope(2 * z)),
    )

    print("\nThe slope belongs at the pre-activation z, not at h = tanh(z):")
    for v in (0.5, 2.0):
        h = np.tanh(v)
        print(
            f"  z = {v}: h = {h:.4f}, tanh'(z) = {tanh_slope(v):.4f}, but tanh'(h) = {tanh_slope(h):.4f}"
        )

    print("\nProducts of n equal factors:")
    for n in (10, 20, 50):
        print(f"  0.25^{n} = {product_of_factors(0.25, n):.3e}")
    print(f"  (0.1)^49 = {product_of_factors(0.1, 49):.3e} in float64")
    print(f"  (0.1)^49 = {product_of_factors(0.1, 49, np.float32):.3e} in float32 (underflow)")
    print(f"  smallest positive float32: {np.finfo(np.float32).smallest_subnormal:.3e}")
    values = {
        "tanh_slope_2": round(float(tanh_slope(2.0)), 4),
        "tanh_2": round(float(np.tanh(2.0)), 3),
        "tanh_slope_at_h": round(float(tanh_slope(np.tanh(2.0))), 4),
        "slope_overstated": int(tanh_slope(np.tanh(2.0)) / tanh_slope(2.0)),
        "quarter_50": scientific(product_of_factors(0.25, 50), 0),
        "tenth_49": scientific(product_of_factors(0.1, 49), 0),
        "float32_smallest": scientific(float(np.finfo(np.float32).smallest_subnormal), 1),
    }
    with open("activation_slopes.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    plot()
# --8<-- [end:main]
