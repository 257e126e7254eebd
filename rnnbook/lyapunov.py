"""The growth rate of a product of Jacobians: the largest Lyapunov exponent, computed by QR.

BPTT multiplies one Jacobian J_t = diag(tanh'(z_t)) W_hh per step. Over a long stretch the
product J_T ... J_1 grows or shrinks like exp(mu_1 T), where

    mu_1 = lim (1/T) log ||J_T ... J_1 v||     (for almost every start vector v)

is the largest Lyapunov exponent (Oseledets, 1968). Multiplying the Jacobians out
overflows or underflows long before T is large, so the standard method (Benettin et al.,
1980; Shimada & Nagashima, 1979) re-orthonormalises after every step: V_t R_t = J_t V_{t-1}
(a QR decomposition), and mu_i is the average of log |R_t[i, i]|. With one vector (k = 1)
that is: multiply, note the stretch, normalise. The result is the same number as the
direct product, as long as the direct product is still a finite float.

The network: h_t = tanh(W_hh h_{t-1} + W_xh x_t) with W_hh = s Q (Q random orthogonal, so
every singular value is s), x_t standard normal in R^H and W_xh = sigma_x I: every unit
receives its own input of standard deviation sigma_x (the "input scale").

Run: python lyapunov.py   (prints the checks, writes lyapunov.json)

Taught in docs/dynamics.md; run by snippets/dynamics/lyapunov.py.
"""

from collections.abc import Iterable, Iterator

import numpy as np

HIDDEN = 64
START_SCALE = 0.1  # h_0 ~ N(0, START_SCALE^2): the state must leave 0 even without input
LENGTHS = (10, 100, 1000, 3000)
EXAMPLES = {  # name: (s, sigma_x)
    "contracting": (0.5, 1.0),
    "expanding": (3.0, 0.5),
}
BURN_IN = 200  # steps discarded before averaging, so the start state does not matter
MEASURED = 2000  # steps averaged after the burn-in


def check_count(value: int, name: str, minimum: int) -> int:
    """Return value after checking it is a whole number >= minimum."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_scale(value: float, name: str) -> float:
    """Return value after checking it is a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return float(value)


def orthogonal(hidden: int, rng: np.random.Generator) -> np.ndarray:
    """A random orthogonal matrix (Haar distributed): QR of a Gaussian, signs fixed."""
    q, r = np.linalg.qr(rng.standard_normal((hidden, hidden)))
    return q * np.sign(np.diag(r))


# --8<-- [start:network]
def network(
    scale: float, input_scale: float, hidden: int = HIDDEN, steps: int = 1000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """W_hh = s Q, h_0, and the input drive W_xh x_t = sigma_x x_t for every step."""
    scale, input_scale = check_scale(scale, "scale"), check_scale(input_scale, "input_scale")
    hidden, steps = check_count(hidden, "hidden", 1), check_count(steps, "steps", 1)
    rng = np.random.default_rng(seed)
    W_hh = scale * orthogonal(hidden, rng)
    h0 = START_SCALE * rng.standard_normal(hidden)
    drive = input_scale * rng.standard_normal((steps, hidden))  # longer runs extend shorter
    return W_hh, drive, h0


def tanh_jacobians(W_hh: np.ndarray, drive: np.ndarray, h0: np.ndarray) -> Iterator[np.ndarray]:
    """Run h_t = tanh(W_hh h_{t-1} + drive_t) and yield J_t = diag(1 - h_t^2) W_hh."""
    W_hh, drive, h = np.asarray(W_hh, float), np.asarray(drive, float), np.asarray(h0, float)
    if W_hh.ndim != 2 or W_hh.shape[0] != W_hh.shape[1]:
        raise ValueError(f"W_hh must be a square matrix, got shape {W_hh.shape}")
    if drive.ndim != 2 or drive.shape[1] != W_hh.shape[0] or h.shape != (W_hh.shape[0],):
        raise ValueError("drive must be (steps, H) and h0 (H,) for an H x H W_hh")
    for u_t in drive:
        h = np.tanh(W_hh @ h + u_t)
        yield (1.0 - h * h)[:, None] * W_hh


# --8<-- [end:network]


# --8<-- [start:qr]
def stretch_logs(jacobians: Iterable[np.ndarray], k: int = 1, seed: int = 0) -> np.ndarray:
    """log |diag R_t| for every step t, where V_t R_t = J_t V_{t-1} (one row per step)."""
    k = check_count(k, "k", 1)
    V, rows = None, []
    for J in jacobians:
        if V is None:  # k random orthonormal directions to follow
            if k > J.shape[0]:
                raise ValueError(f"k = {k} exponents need k <= H = {J.shape[0]}")
            V = np.linalg.qr(np.random.default_rng(seed).standard_normal((J.shape[0], k)))[0]
        V, R = np.linalg.qr(J @ V)  # push the directions one step, re-orthonormalise
        rows.append(np.log(np.abs(np.diag(R))))  # how much each direction was stretched
    return np.array(rows).reshape(-1, k)


def lyapunov_exponents(
    jacobians: Iterable[np.ndarray], k: int = 1, burn_in: int = 0, seed: int = 0
) -> np.ndarray:
    """Estimates of mu_1, ..., mu_k: the average of log |diag R_t| after a burn-in."""
    burn_in = check_count(burn_in, "burn_in", 0)
    logs = stretch_logs(jacobians, k, seed)[burn_in:]
    if len(logs) == 0:
        raise ValueError("no Jacobians left after the burn-in")
    return logs.mean(axis=0)


# --8<-- [end:qr]


# --8<-- [start:direct]
def direct_log_norms(jacobians: Iterable[np.ndarray], v: np.ndarray) -> np.ndarray:
    """log ||J_t ... J_1 v|| for t = 1, 2, ..., multiplied out: +-inf once the float gives up."""
    v, found = np.asarray(v, dtype=float), []
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        for J in jacobians:
            v = J @ v
            biggest = np.max(np.abs(v))  # scale first: squaring 1e-160 would underflow
            norm = biggest * np.linalg.norm(v / biggest) if 0 < biggest < np.inf else biggest
            found.append(np.inf if not np.isfinite(norm) else np.log(norm))
    logs = np.array(found)
    overflowed = np.isposinf(logs)
    logs[np.maximum.accumulate(overflowed)] = np.inf  # an overflow is never undone
    return logs


# --8<-- [end:direct]


def start_vector(hidden: int, seed: int = 0) -> np.ndarray:
    """The unit vector stretch_logs(..., k=1, seed=seed) starts from."""
    rng = np.random.default_rng(seed)
    return np.linalg.qr(rng.standard_normal((hidden, 1)))[0][:, 0]


def fmt(value: float) -> str:
    """A rate for the table: 4 decimals, or what the float became."""
    return f"{value:+.4f}" if np.isfinite(value) else f"{value:+}"


def linear_check(hidden: int = 8, steps: int = 4000, seed: int = 3) -> tuple[np.ndarray, ...]:
    """A linear network (J_t = W for every t): the exponents against log |eigenvalues|."""
    rng = np.random.default_rng(seed)
    W = 1.2 * rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)
    mu = lyapunov_exponents((W for _ in range(steps)), k=hidden)
    log_abs_eig = np.sort(np.log(np.abs(np.linalg.eigvals(W))))[::-1]
    return W, mu, log_abs_eig
