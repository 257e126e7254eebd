"""`python lyapunov.py`: what docs/dynamics.md prints from the book's library module rnnbook.lyapunov.

rnnbook/lyapunov.py: The growth rate of a product of Jacobians: the largest Lyapunov exponent, computed by QR.
"""

import json

import numpy as np

from rnnbook.lyapunov import (
    BURN_IN,
    EXAMPLES,
    HIDDEN,
    LENGTHS,
    MEASURED,
    direct_log_norms,
    fmt,
    linear_check,
    network,
    start_vector,
    stretch_logs,
    tanh_jacobians,
)

# --8<-- [start:main]
if __name__ == "__main__":
    values = {}
    print(f"tanh RNN, H = {HIDDEN}, W_hh = s Q, input drive sigma_x x_t, x_t ~ N(0, I)")
    print("\n1. The same number two ways: (1/T) log ||J_T ... J_1 v||")
    for name, (s, sx) in EXAMPLES.items():
        W, drive, h0 = network(s, sx, steps=max(LENGTHS))
        direct = direct_log_norms(tanh_jacobians(W, drive, h0), start_vector(HIDDEN))
        qr = np.cumsum(stretch_logs(tanh_jacobians(W, drive, h0))[:, 0])
        print(f"{name} (s = {s}, sigma_x = {sx})")
        print("       T   multiplied out   with QR")
        for T in LENGTHS:
            print(f"  {T:6d}   {fmt(direct[T - 1] / T):>14}   {fmt(qr[T - 1] / T)}")
        gave_up = int(np.argmax(~np.isfinite(direct))) + 1  # the first step with +-inf
        became = "exactly 0" if direct[gave_up - 1] < 0 else "inf"
        print(f"  multiplied out, the vector J_t ... J_1 v is {became} from step {gave_up} on")
        values[f"{name}_gave_up"] = gave_up

    print("\n2. Linear network, J_t = W (8 x 8 random): mu_i against log |lambda_i(W)|")
    W, mu, log_eig = linear_check()
    print("  mu_i:          " + " ".join(f"{m:+.4f}" for m in mu))
    print("  log|lambda_i|: " + " ".join(f"{m:+.4f}" for m in log_eig))
    print(f"  log sigma_max(W) = {np.log(np.linalg.norm(W, 2)):+.4f} (not the rate)")
    values["linear_gap"] = f"{np.abs(mu - log_eig).max():.4f}"

    print("\n3. The rate is the mean of the logs of the per-step stretches")
    for name, (s, sx) in EXAMPLES.items():
        W, drive, h0 = network(s, sx, steps=BURN_IN + MEASURED)
        r = np.exp(stretch_logs(tanh_jacobians(W, drive, h0))[BURN_IN:, 0])  # r_t = ||J_t v_{t-1}||
        # ||J_t||_2 for J_t = diag(d) s Q is s max(d), the largest row norm:
        norms = [np.linalg.norm(J, axis=1).max() for J in tanh_jacobians(W, drive, h0)]
        print(f"{name} (s = {s}, sigma_x = {sx}), {MEASURED} steps after {BURN_IN}:")
        print(f"  mean of log r_t (= mu_1):           {np.mean(np.log(r)):+.3f}")
        print(f"  log of the mean r_t:                {np.log(np.mean(r)):+.3f}")
        print(f"  mean of log ||J_t|| (norm bound):   {np.mean(np.log(norms[BURN_IN:])):+.3f}")
        print(f"  log s (bound with tanh' <= 1):      {np.log(s):+.3f}")
        values[f"{name}_mu"] = round(float(np.mean(np.log(r))), 3)
        values[f"{name}_log_mean"] = round(float(np.log(np.mean(r))), 3)
        values[f"{name}_norm_bound"] = round(float(np.mean(np.log(norms[BURN_IN:]))), 3)
    with open("lyapunov.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1)
        handle.write("\n")
# --8<-- [end:main]
