"""`python rnn_numpy.py`: what docs/bptt.md prints from the book's library module rnnbook.bptt_numpy.

rnnbook/bptt_numpy.py: A vanilla RNN and backpropagation through time, written out by hand in NumPy.
"""

import json

import numpy as np

from rnnbook.bptt_numpy import (
    ACTIVATIONS,
    LOSS_AT,
    Params,
    backward,
    forward,
    init_params,
    loss,
    numerical_gradient,
    relative_error,
)

# --8<-- [start:main]
SIZES = {"input_size": 3, "hidden_size": 4, "output_size": 2}
T = 6


def check_against_finite_differences(
    params: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    activation: str,
    loss_at: str,
) -> tuple[float, float, np.ndarray]:
    """Loss, BPTT's worst relative error against central differences, norms."""
    trace = forward(params, xs, activation=activation)
    grads, dh_norms = backward(params, trace, targets, loss_at)

    def f() -> float:
        return loss(forward(params, xs, activation=activation), targets, loss_at)

    worst = max(
        relative_error(g, numerical_gradient(f, p))
        for (_, g), (_, p) in zip(grads.items(), params.items(), strict=True)
    )
    return f(), worst, dh_norms


if __name__ == "__main__":
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((T, SIZES["input_size"]))
    targets = rng.standard_normal((T, SIZES["output_size"]))
    params = init_params(**SIZES, recurrent_scale=1.0, seed=0)
    print(f"RNN with D = 3 inputs, H = 4 hidden units, D_y = 2 outputs, T = {T}")
    values = {}
    for activation in ACTIVATIONS:
        for loss_at in LOSS_AT:
            y_star = targets[-1] if loss_at == "last" else targets
            L, worst, dh_norms = check_against_finite_differences(
                params, xs, y_star, activation, loss_at
            )
            where = "the last step" if loss_at == "last" else "every step"
            print(f"\n{activation}, loss at {where}: L = {L:.4f}")
            agree = "< 1e-6" if worst < 1e-6 else worst
            print(f"  finite differences agree to {agree}")
            norms = " ".join(f"{n:.4f}" for n in dh_norms)
            print(f"  ||dL/dh_t||, t = 1..6: {norms}")
            if (activation, loss_at) == ("sigmoid", "last"):
                factors = dh_norms[1:] / dh_norms[:-1]  # shrink per step back
                values["sigmoid_factor_min"] = round(float(factors.min()), 1)
                values["sigmoid_factor_max"] = round(float(factors.max()), 1)
    with open("rnn_numpy.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1)
        handle.write("\n")
# --8<-- [end:main]
