"""`python explorer_reference.py`: what docs/explorer.md prints from the book's library module rnnbook.explorer.

rnnbook/explorer.py: The gradient-flow explorer's computation, in Python: the reference the browser is checked against.
"""

import json

import matplotlib.pyplot as plt
import numpy as np

from rnnbook.explorer import SCAN, format_log10, per_step_factor, python_call, run

# --8<-- [start:main]
CONFIGURATIONS = {
    "vanishing": dict(activation="tanh", scale=0.9, hidden=32, steps=100, seed=1),
    "exploding": dict(activation="tanh", scale=2.0, hidden=32, steps=100, seed=1),
    "borderline": dict(activation="linear", scale=1.0, hidden=32, steps=100, seed=1),
    "ReLU": dict(activation="relu", scale=1.0, hidden=32, steps=100, seed=1),
    "sigmoid": dict(activation="sigmoid", scale=2.0, hidden=32, steps=100, seed=1),
}


def summary_rows() -> list[list[str]]:
    """One row per configuration: its settings and the explorer's four key numbers."""
    rows = []
    for name, params in CONFIGURATIONS.items():
        result = run(**params)
        sigma = np.linalg.svd(result["W"], compute_uv=False)
        rows.append(
            [
                name,
                params["activation"],
                f"{params['scale']:.2f}",
                f"{sigma[0]:.4f}",
                f"{sigma[-1]:.4f}",
                format_log10(result["grad_log10"][0]),
                f"{per_step_factor(result):.3f}",
                format_log10(result["bound_log10"][0]),
            ]
        )
    return rows


HEADER = [
    "setting",
    "φ",
    "s",
    "σ_max(W_hh)",
    "σ_min(W_hh)",
    "‖∂L/∂h_1‖",
    "per step",
    "bound, t = 1",
]
MD_HEADER = [
    *HEADER[:3],
    "σ<sub>max</sub>(W<sub>hh</sub>)",
    "σ<sub>min</sub>(W<sub>hh</sub>)",
    "‖∂L/∂h<sub>1</sub>‖",
    *HEADER[6:],
]


def crossing(activation: str, hidden: int = 32, steps: int = 100, seed: int = 1) -> float | None:
    """Smallest s on the slider (from 1.00) where ‖∂L/∂h_1‖ ≥ ‖∂L/∂h_T‖; None if none."""
    for scale in SCAN:  # below s = 1/γ the bound already forces vanishing
        lg = run(activation, scale, hidden, steps, seed)["grad_log10"]
        if lg[0] >= lg[-1]:
            return scale
    return None


def fraction_off(result: dict) -> float:
    """Share of (unit, step) pairs with φ'(z) = 0: switched-off ReLU units."""
    return float(np.mean(result["slopes"] == 0.0))


def plot(path: str = "explorer_reference.svg") -> None:
    """One panel per configuration: ‖∂L/∂h_t‖ against t and the product bound, log scale."""
    fig, axes = plt.subplots(2, 3, figsize=(6.4, 4.8), sharex=True)
    for ax, (name, params) in zip(axes.flat, CONFIGURATIONS.items(), strict=False):
        result = run(**params)
        ax.plot(result["t"], result["grad_norm"], label=r"$\|\partial L/\partial h_t\|$")
        bound = np.ldexp(result["bound_mantissa"], result["bound_exponent"])
        ax.plot(result["t"], bound, label=r"bound $(\gamma\,\sigma_{\max})^{T-t}$")
        ax.set_yscale("log")
        low = min(result["grad_norm"].min(), bound.min(), 0.1)
        high = max(result["grad_norm"].max(), bound.max(), 10.0)
        ax.set_ylim(low / 10, high * 10)
        ax.set_title(f"{name}\n{params['activation']}, s = {params['scale']}", fontsize="small")
    for ax in axes[1]:
        ax.set_xlabel("time step t")
    for ax in axes[:, 0]:
        ax.set_ylabel("norm (log scale)")
    legend = axes.flat[-1]
    legend.axis("off")
    legend.legend(*axes.flat[0].get_legend_handles_labels(), loc="center")
    fig.suptitle("Gradient norm at each step, from a loss at T = 100 (H = 32, seed 1)")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


if __name__ == "__main__":
    print("h_t = φ(W_hh h_{t-1} + W_xh x_t), h_0 = 0; loss at the last step, ‖∂L/∂h_T‖ = 1")
    print("W_hh = s·Q with Q orthogonal; H = 32 hidden units, T = 100 steps, seed 1\n")
    rows = summary_rows()
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    for row in [HEADER, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    with open("explorer_reference_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(MD_HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        for row in rows:
            table.write("| " + " | ".join(row) + " |\n")
    print("\nSmallest s on the slider (1.00, 1.01, …) with ‖∂L/∂h_1‖ ≥ ‖∂L/∂h_T‖:")
    crossings = {activation: crossing(activation) for activation in ("tanh", "relu")}
    for activation, scale in crossings.items():
        print(f"  {activation}: s = {scale:.2f}")
    off = fraction_off(run(**CONFIGURATIONS["ReLU"]))
    print(f"ReLU at s = 1.00: {off:.1%} of units are switched off at an average step")
    exploding = run(**CONFIGURATIONS["exploding"])
    overstated = exploding["bound_log10"][0] - exploding["grad_log10"][0]  # orders of magnitude
    values = {
        "crossing_tanh": f"{crossings['tanh']:.2f}",
        "crossing_relu": f"{crossings['relu']:.2f}",
        "relu_off": f"{off:.1%}",
        "exploding_overstated": int(np.floor(overstated)),
    }
    with open("explorer_reference.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1)
        handle.write("\n")
    print("\nThe same five runs in Python:")
    for params in CONFIGURATIONS.values():
        print("  " + python_call(**params))
    plot()
# --8<-- [end:main]
