"""BPTT as a sum over time of products of Jacobians, written out term by term.

For a loss on the last state only, L = L(y_T), the recurrent matrix is used once per step,
and its gradient is one term per use:

    dL/dW_hh = sum_{k=1..T} diag(phi'(z_k)) (J_T ... J_{k+1})^T W_hy^T e_T  h_{k-1}^T,
    J_t = dh_t/dh_{t-1} = diag(phi'(z_t)) W_hh,    e_T = dL/dy_T.

The term for step k carries T - k Jacobians. The read-out W_hy is used once, next to the
loss, so its gradient is a single term with no Jacobian at all: e_T h_T^T.

This file builds every term explicitly, checks that they add up to what the recursive
backward pass in rnn_numpy.py returns, and measures how much each term contributes.

Run: python bptt_paths.py   (prints the table, writes bptt_paths.svg and bptt_paths.json)
"""

import json

import matplotlib.pyplot as plt
import numpy as np

from rnnbook.bptt_numpy import (
    Params,
    Trace,
    backward,
    derivative,
    forward,
    init_params,
    output_errors,
    step_jacobian,
)
from rnnbook.report import scientific

T = 30
SHOWN = (0, 1, 2, 5, 10, 20, 28)  # Jacobian factors in the terms printed (k = 1 is 0: h_0 = 0)
SIZES = {"input_size": 3, "hidden_size": 16, "output_size": 1}


# --8<-- [start:terms]
def recurrent_terms(
    params: Params,
    trace: Trace,
    target: np.ndarray,
) -> list[np.ndarray]:
    """The T terms of dL/dW_hh, loss at the last step; terms[k-1] is step k's."""
    T = len(trace.zs)
    e_T = output_errors(trace, target, "last")[-1]  # dL/dy_T = y_T - y*
    grad_h = params.W_hy.T @ e_T  # dL/dh_T
    terms = [None] * T
    for k in range(T, 0, -1):
        # Here grad_h = (J_T ... J_{k+1})^T dL/dh_T: T - k Jacobians.
        dz = derivative(trace.zs[k - 1], trace.activation) * grad_h  # dL/dz_k
        terms[k - 1] = np.outer(dz, trace.hs[k - 1])
        J_k = step_jacobian(params, trace.zs[k - 1], trace.activation)
        grad_h = J_k.T @ grad_h
    return terms


# --8<-- [end:terms]


def explicit_term(params: Params, trace: Trace, target: np.ndarray, k: int) -> np.ndarray:
    """Term k on its own: the full Jacobian product J_T ... J_{k+1}, built as a matrix."""
    T = len(trace.zs)
    P = np.eye(params.sizes[1])
    for t in range(k + 1, T + 1):
        P = step_jacobian(params, trace.zs[t - 1], trace.activation) @ P  # dh_t/dh_k
    e_T = output_errors(trace, target, "last")[-1]
    dz = derivative(trace.zs[k - 1], trace.activation) * (P.T @ params.W_hy.T @ e_T)
    return np.outer(dz, trace.hs[k - 1])


# --8<-- [start:note004]
def total_from_direct(
    params: Params,
    trace: Trace,
    direct: np.ndarray,
) -> np.ndarray:
    """Row k: sum over t >= k of (J_t ... J_{k+1})^T times row t of direct."""
    T, H = trace.zs.shape
    total = np.zeros((T, H))
    for k in range(1, T + 1):
        P = np.eye(H)  # dh_t/dh_k, starting at t = k
        for t in range(k, T + 1):
            if t > k:
                P = step_jacobian(params, trace.zs[t - 1], trace.activation) @ P
            total[k - 1] += P.T @ direct[t - 1]
    return total


# --8<-- [end:note004]


# --8<-- [start:note001]
def four_steps_back(params: Params, trace: Trace, grad_h5: np.ndarray) -> tuple:
    """dL/dh_1 from dL/dh_5 by the chain rule, and by note 001's formula."""
    correct = grad_h5
    for t in (5, 4, 3, 2):  # four Jacobians J_t = diag(phi'(z_t)) W_hh
        J_t = step_jacobian(params, trace.zs[t - 1], trace.activation)
        correct = J_t.T @ correct
    slopes = [derivative(trace.hs[t], trace.activation) for t in range(1, 6)]
    slopes_at_h = np.prod(slopes, axis=0)  # five slopes, taken at h_1..h_5
    note = np.linalg.matrix_power(params.W_hh.T, 4) @ (slopes_at_h * grad_h5)
    return correct, note


# --8<-- [end:note001]


def plot(shares: dict[str, np.ndarray], readout_share: float, path: str = "bptt_paths.svg") -> None:
    """Size of each term of dL/dW_hh against its distance from the loss, log scale."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    distance = np.arange(T - 1)  # T - k for k = T, ..., 2 (the k = 1 term is zero: h_0 = 0)
    for label, norms in shares.items():
        ax.plot(distance, norms[:0:-1], marker="o", ms=3, label=f"∂L/∂W_hh, {label}")
    ax.plot([0], [readout_share], "s", ms=7, color="0.2", label="∂L/∂W_hy: one term, no Jacobian")
    ax.set_yscale("log")
    ax.set_xlabel("Jacobian factors in the term  (T − k, steps between W_hh's use and the loss)")
    ax.set_ylabel("‖term‖ (log scale)")
    ax.set_title(f"Terms of ∂L/∂W_hh for a loss at step T = {T}")
    ax.legend(loc="lower left", fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def percent(fraction: float) -> str:
    """10.4%, or two significant digits below 1% (0.042%), so a small share is not 0.0%."""
    return f"{100 * fraction:.1f}%" if fraction >= 0.01 else f"{100 * fraction:.2g}%"


# --8<-- [start:main]
ACTIVATIONS = ("tanh", "sigmoid")

if __name__ == "__main__":
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((T, SIZES["input_size"]))
    target = rng.standard_normal(SIZES["output_size"])
    params = init_params(**SIZES, recurrent_scale=1.0, seed=0)
    shares, sums, explicit, last5, rest = {}, [], [], [], []
    for activation in ACTIVATIONS:
        trace = forward(params, xs, activation=activation)
        terms = recurrent_terms(params, trace, target)
        grads, _ = backward(params, trace, target, loss_at="last")
        sums.append(np.allclose(sum(terms), grads.W_hh, rtol=1e-12, atol=1e-15))
        explicit.append(
            all(
                np.allclose(explicit_term(params, trace, target, k), terms[k - 1])
                for k in (1, 10, T)
            )
        )
        shares[activation] = np.array([np.linalg.norm(term) for term in terms])
        last5.append(np.linalg.norm(sum(terms[-5:])) / np.linalg.norm(grads.W_hh))
        # what dropping the other terms changes: their sum, relative to the whole gradient
        rest.append(np.linalg.norm(sum(terms[:-5])) / np.linalg.norm(grads.W_hh))
        if activation == "tanh":
            readout = np.linalg.norm(grads.W_hy)
    print(f"The {T} terms add up to BPTT's dL/dW_hh (tanh, sigmoid): {sums}")
    print(f"Explicit Jacobian products give the same terms:        {explicit}")
    print(f"\n||term|| against its number of Jacobians T - k (T = {T})")
    print("T - k      tanh   sigmoid")
    for n in SHOWN:
        print(f"{n:5d}   {shares['tanh'][T - 1 - n]:7.1e}   {shares['sigmoid'][T - 1 - n]:7.1e}")
    print("share of ||dL/dW_hh|| in the last 5 terms:", "  ".join(f"{100 * v:.1f}%" for v in last5))
    print(
        f"the other {T - 5} terms change dL/dW_hh by:  ",
        "  ".join(percent(v) for v in rest),
    )
    print(f"dL/dW_hy is one term, e_T h_T^T, of norm {readout:.1e} (tanh)")

    print("\nFive steps, loss at h_5 (tanh): ||dL/dh_1|| computed from dL/dh_5")
    trace = forward(params, xs[:5], activation="tanh")
    _, dh_norms = backward(params, trace, target, loss_at="last")
    grad_h5 = params.W_hy.T @ (trace.ys[-1] - target)
    correct, note = four_steps_back(params, trace, grad_h5)
    print(f"  chain rule, 4 Jacobians (t = 5, 4, 3, 2): {np.linalg.norm(correct):.4e}")
    print(f"  BPTT (rnn_numpy.backward):                {dh_norms[0]:.4e}")
    print(f"  W^4 f'(h_1)...f'(h_5), 5 slopes at h:     {np.linalg.norm(note):.4e}")

    print("\nNote 004's sum, loss at every step (tanh): ||dL/dh_k|| for all k")
    trace = forward(params, xs, activation="tanh")
    targets = rng.standard_normal((T, SIZES["output_size"]))
    direct = (trace.ys - targets) @ params.W_hy  # row t: the direct dL_t/dh_t
    total = total_from_direct(params, trace, direct)
    _, dh_norms = backward(params, trace, targets, loss_at="every")
    same = np.allclose(np.linalg.norm(total, axis=1), dh_norms, rtol=1e-12)
    print(f"  with the DIRECT dL_t/dh_t it reproduces BPTT: {same}")
    double = total_from_direct(params, trace, total)  # totals fed back in
    ratio = np.linalg.norm(double[0]) / dh_norms[0]
    print(f"  with the TOTAL dL/dh_t, ||dL/dh_1|| is {ratio:.2f} times too large")
    values = {
        "share_tanh": f"{100 * last5[0]:.1f}%",
        "share_sigmoid": f"{100 * last5[1]:.1f}%",
        "rest_tanh": percent(rest[0]),
        "rest_sigmoid": percent(rest[1]),
        "term_20_tanh": scientific(shares["tanh"][T - 1 - 20]),
        "term_20_sigmoid": scientific(shares["sigmoid"][T - 1 - 20]),
        "term_0_tanh": round(float(shares["tanh"][T - 1]), 2),
        "term_0_sigmoid": round(float(shares["sigmoid"][T - 1]), 3),
        "note001_correct": f"{np.linalg.norm(correct):.4f}",
        "note001_note": f"{np.linalg.norm(note):.4f}",
        "note004_ratio": round(float(ratio), 2),
    }
    with open("bptt_paths.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    plot(shares, readout)
# --8<-- [end:main]
