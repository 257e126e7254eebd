"""Real-time recurrent learning: the same gradient as BPTT, carried forward in time.

RTRL (Williams & Zipser, 1989) keeps, at every step, the sensitivity of the state to the
recurrent matrix, P_t = dh_t/dvec(W_hh), an H x H^2 array, updated as the state is:

    P_t = diag(phi'(z_t)) (W_hh P_{t-1} + I_H kron h_{t-1}^T),    P_0 = 0,

and adds (dL_t/dh_t) P_t to the gradient as each loss arrives: nothing about the past is
stored, and the gradient is ready at every step, but P has H^3 numbers and W_hh P costs
H^4 multiplications per step. For a diagonal linear recurrence h_t = lam * h_{t-1} + x_t
(the LRU's) each lam_i moves only h_i, so the sensitivity is one number per unit,
s_t = lam * s_{t-1} + h_{t-1}: exact forward gradients at the cost of the forward pass.

Run: python rtrl.py   (prints the checks and the costs, writes rtrl.json)
"""

import json

import numpy as np

from rnnbook.bptt_numpy import (
    Params,
    activate,
    backward,
    derivative,
    forward,
    init_params,
    numerical_gradient,
    relative_error,
)
from rnnbook.report import scientific

SIZES = {"input_size": 3, "hidden_size": 4, "output_size": 2}
T = 30
COST_SIZES = (4, 64, 256)
# Exact results print as pass/fail against a bound, so rounding on another CPU cannot move
# a printed digit: RTRL and BPTT are two orders of one float64 sum; central differences
# with a step of 1e-6 are good to about 1e-9 here.
SAME_SUM = 1e-12
FINITE_DIFFERENCES = 1e-7


# --8<-- [start:rtrl]
def rtrl_recurrent_gradient(
    params: Params, xs: np.ndarray, targets: np.ndarray, activation: str = "tanh"
) -> np.ndarray:
    """dL/dW_hh for L = 1/2 sum_t ||y_t - y*_t||^2, computed forward in time (RTRL)."""
    _, H, _ = params.sizes
    xs, targets = np.asarray(xs, dtype=float), np.asarray(targets, dtype=float)
    if xs.ndim != 2 or targets.shape != (len(xs), params.W_hy.shape[0]):
        raise ValueError(
            f"xs must be (T, D) and targets (T, D_y); got {xs.shape} and {targets.shape}"
        )
    h, P = np.zeros(H), np.zeros((H, H * H))  # P[k, i*H + j] = dh_k / dW_hh[i, j]
    grad = np.zeros(H * H)
    for x, target in zip(xs, targets, strict=True):
        z = params.W_hh @ h + params.W_xh @ x + params.b_h
        immediate = np.kron(np.eye(H), h[None, :])  # dz/dW_hh with h_{t-1} held fixed
        P = derivative(z, activation)[:, None] * (params.W_hh @ P + immediate)
        h = activate(z, activation)
        error = params.W_hy @ h + params.b_y - target  # dL_t/dy_t
        grad += (params.W_hy.T @ error) @ P  # this step's loss, through every earlier use
    return grad.reshape(H, H)


# --8<-- [end:rtrl]


# --8<-- [start:diagonal]
def diagonal_rtrl(lam: np.ndarray, xs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """dL/dlam for h_t = lam * h_{t-1} + x_t, L = 1/2 sum_t ||h_t - y*_t||^2: H numbers kept."""
    lam, xs = np.asarray(lam, dtype=float), np.asarray(xs, dtype=float)
    if lam.ndim != 1 or xs.shape[1:] != lam.shape or np.shape(targets) != xs.shape:
        raise ValueError(f"lam must be (H,), xs and targets (T, H); got {lam.shape}, {xs.shape}")
    h, s, grad = np.zeros_like(lam), np.zeros_like(lam), np.zeros_like(lam)
    for x, target in zip(xs, targets, strict=True):
        s = lam * s + h  # dh_t/dlam, one number per unit: lam_i moves only h_i
        h = lam * h + x
        grad += (h - target) * s
    return grad


# --8<-- [end:diagonal]


def diagonal_loss(lam: np.ndarray, xs: np.ndarray, targets: np.ndarray) -> float:
    """The loss diagonal_rtrl differentiates."""
    h, total = np.zeros_like(lam), 0.0
    for x, target in zip(xs, targets, strict=True):
        h = lam * h + x
        total += 0.5 * float(np.sum((h - target) ** 2))
    return total


def costs(H: int, steps: int) -> dict[str, int]:
    """Numbers stored and multiplications per step for dL/dW_hh: BPTT against dense RTRL."""
    return {
        "bptt_stored": 2 * steps * H,  # states and pre-activations of every step
        "rtrl_stored": H * H * H,  # the sensitivity P_t
        "bptt_work": 2 * H * H,  # delta_k through W_hh, and its outer product with h_{k-1}
        "rtrl_work": H * H * H * H,  # W_hh @ P
    }


# --8<-- [start:main]
if __name__ == "__main__":
    rng = np.random.default_rng(2)
    xs = rng.standard_normal((T, SIZES["input_size"]))
    targets = rng.standard_normal((T, SIZES["output_size"]))
    params = init_params(**SIZES, recurrent_scale=1.0, seed=0)
    print(f"RNN with H = {SIZES['hidden_size']} units, a loss at each of T = {T} steps")
    worst = 0.0
    for activation in ("tanh", "relu"):
        bptt, _ = backward(params, forward(params, xs, activation=activation), targets, "every")
        rtrl = rtrl_recurrent_gradient(params, xs, targets, activation)
        error = relative_error(rtrl, bptt.W_hh)
        worst = max(worst, error)
        print(
            f"  {activation}: RTRL's dL/dW_hh equals BPTT's to a relative {SAME_SUM:.0e}: "
            f"{error < SAME_SUM}"
        )

    lam = np.array([0.5, 0.9, 0.99, 0.999])
    xs_d, targets_d = rng.standard_normal((T, 4)), rng.standard_normal((T, 4))
    forward_grad = diagonal_rtrl(lam, xs_d, targets_d)
    numeric = numerical_gradient(lambda: diagonal_loss(lam, xs_d, targets_d), lam)
    diagonal_error = relative_error(forward_grad, numeric)
    print(f"diagonal h_t = lam*h_(t-1) + x_t, lam = {lam.tolist()}:")
    print(
        f"  RTRL keeping {lam.size} numbers equals central differences to a relative "
        f"{FINITE_DIFFERENCES:.0e}: {diagonal_error < FINITE_DIFFERENCES}"
    )

    print(f"\nCost of dL/dW_hh over T = {T} steps (numbers kept; multiplications per step)")
    print("     H   BPTT kept     RTRL kept   BPTT work      RTRL work")
    for H in COST_SIZES:
        c = costs(H, T)
        print(
            f"{H:6d}  {c['bptt_stored']:10,d}  {c['rtrl_stored']:12,d}  "
            f"{c['bptt_work']:10,d}  {c['rtrl_work']:13,d}"
        )
    big = costs(COST_SIZES[-1], T)
    values = {
        "same_sum": scientific(SAME_SUM),
        "big_H": COST_SIZES[-1],
        "big_rtrl_stored": f"{big['rtrl_stored']:,}",
        "big_bptt_stored": f"{big['bptt_stored']:,}",
        "big_work_ratio": f"{big['rtrl_work'] // big['bptt_work']:,}",
    }
    with open("rtrl.json", "w", encoding="utf-8") as f:
        json.dump(values, f, indent=1, ensure_ascii=False)
        f.write("\n")
# --8<-- [end:main]
