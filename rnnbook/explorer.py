"""The gradient-flow explorer's computation, in Python: the reference the browser is checked against.

A vanilla RNN h_t = φ(W h_{t-1} + U x_t) runs forward for T steps from h_0 = 0; a loss at the
last step sends ∂L/∂h_T = (1, …, 1)/√H back, and one backward sweep gives ‖∂L/∂h_t‖ for every
t. Beside it: the product bound (γ·σ_max)^(T−t)·‖∂L/∂h_T‖ of Pascanu, Mikolov & Bengio (2013).

The page's explorer (docs/assets/javascripts/explorer.js) does the same arithmetic in the same
order, so the two agree to the last bit: the random numbers come from a 32-bit integer
generator, sums run in a fixed order, and exp/tanh/sigmoid are built from + − × ÷ only.

Run: python explorer_reference.py   (prints five configurations, writes explorer_reference.svg
and explorer_reference_table.md)

Taught in docs/explorer.md; run by snippets/explorer/explorer_reference.py.
"""

import functools
import math

import numpy as np

# --8<-- [start:settings]
ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
GAMMA = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "linear": 1.0}  # bound on |φ'|
SCALE_RANGE = (0.1, 2.0)  # s, the largest singular value of W
HIDDEN_RANGE = (2, 64)  # H
STEPS_RANGE = (2, 200)  # T
SEED_RANGE = (0, 2**32 - 1)
INPUT_SIZE = 4  # x_t has 4 components
INPUT_GAIN = 0.5  # entries of U are uniform in [-0.5, 0.5)
# --8<-- [end:settings]


def check_params(activation: str, scale: float, hidden: int, steps: int, seed: int) -> None:
    """Raise a clear TypeError/ValueError unless the five parameters are in the explorer's ranges."""
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a string, got {type(activation).__name__}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if isinstance(scale, bool) or not isinstance(scale, int | float | np.integer | np.floating):
        raise TypeError(f"scale must be a number, got {type(scale).__name__}")
    if not math.isfinite(scale) or not SCALE_RANGE[0] <= scale <= SCALE_RANGE[1]:
        raise ValueError(f"scale must be in [{SCALE_RANGE[0]}, {SCALE_RANGE[1]}], got {scale}")
    for name, value, (low, high) in [
        ("hidden", hidden, HIDDEN_RANGE),
        ("steps", steps, STEPS_RANGE),
        ("seed", seed, SEED_RANGE),
    ]:
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
        if not low <= value <= high:
            raise ValueError(f"{name} must be in [{low}, {high}], got {value}")


# --8<-- [start:prng]
MASK32 = 0xFFFFFFFF


def mulberry32(seed: int):
    """Tommy Ettinger's mulberry32, in a form JavaScript computes identically."""
    state = seed & MASK32

    def next_uint32() -> int:
        nonlocal state
        state = (state + 0x6D2B79F5) & MASK32
        t = state
        t = ((t ^ (t >> 15)) * (t | 1)) & MASK32  # Math.imul, unsigned
        t = ((t + (((t ^ (t >> 7)) * (t | 61)) & MASK32)) & MASK32) ^ t
        return t ^ (t >> 14)

    return next_uint32


def uniforms(next_uint32, count: int) -> np.ndarray:
    """`count` numbers in [-1, 1): (k − 2³¹) / 2³¹ is exact in floating point."""
    return np.array([(next_uint32() - 2**31) / 2**31 for _ in range(count)])


# --8<-- [end:prng]


# --8<-- [start:activations]
LN2_HI = 6.93147180369123816490e-01  # ln 2 in two parts (Cody & Waite);
LN2_LO = 1.90821492927058770002e-10  # k·LN2_HI is exact for the k we meet
INV_LN2 = 1.44269504088896338700e00
EXP_LIMIT = 700.0  # |argument| of exp; the explorer's pre-activations stay below 20
TANH_LIMIT = 20.0  # tanh(20) rounds to 1.0 in double precision
TAYLOR = [1.0]
for n in range(1, 14):
    TAYLOR.append(TAYLOR[-1] / n)  # 1/n!, computed the same way in JavaScript


def _reduce(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """y = k·ln 2 + r with |r| ≤ ln2/2; return 2^k and e^r − 1 (a Taylor polynomial)."""
    k = np.floor(y * INV_LN2 + 0.5)
    r = (y - k * LN2_HI) - k * LN2_LO
    q = np.full_like(r, TAYLOR[13])
    for n in range(12, 0, -1):
        q = TAYLOR[n] + r * q
    return np.ldexp(1.0, k.astype(np.int64)), r * q


def exp(y: np.ndarray) -> np.ndarray:
    """e^y from + − × ÷ only (relative error a few ulp), arguments clamped to ±EXP_LIMIT."""
    scale, p = _reduce(np.clip(y, -EXP_LIMIT, EXP_LIMIT))
    return scale * (1.0 + p)


def expm1(y: np.ndarray) -> np.ndarray:
    """e^y − 1, accurate also for small |y|."""
    scale, p = _reduce(np.clip(y, -EXP_LIMIT, EXP_LIMIT))
    return scale * p + (scale - 1.0)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^−z), evaluated without overflow on either side."""
    e = exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(z: np.ndarray) -> np.ndarray:
    """tanh z = −expm1(−2|z|) / (2 + expm1(−2|z|)), with the sign of z."""
    m = expm1(-2.0 * np.minimum(np.abs(z), TANH_LIMIT))
    t = -m / (2.0 + m)
    return np.where(z < 0, -t, t)


def activate(activation: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return φ(z) and φ'(z) for one of ACTIVATIONS."""
    if activation == "sigmoid":
        h = sigmoid(z)
        return h, h * (1.0 - h)
    if activation == "tanh":
        h = tanh(z)
        return h, 1.0 - h * h
    if activation == "relu":
        return np.where(z > 0, z, 0.0), np.where(z > 0, 1.0, 0.0)
    return z.copy(), np.ones_like(z)


# --8<-- [end:activations]


# --8<-- [start:weights]
def sum_of_squares(v: np.ndarray) -> float:
    """v[0]² + v[1]² + …, added left to right (np.sum would add pairwise)."""
    total = 0.0
    for value in v.tolist():
        total += value * value
    return total


def orthonormalise(A: np.ndarray) -> np.ndarray:
    """Modified Gram–Schmidt on the columns of A; every sum runs over k in order."""
    A = A.copy()
    n = A.shape[0]
    Q = np.zeros_like(A)
    for i in range(n):
        Q[:, i] = A[:, i] / math.sqrt(sum_of_squares(A[:, i]))
        r = np.zeros(n - i - 1)
        for k in range(n):
            r = r + Q[k, i] * A[k, i + 1 :]
        A[:, i + 1 :] -= np.outer(Q[:, i], r)
    return Q


@functools.cache
def random_draws(hidden: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Q (orthogonal), U and x for the longest sequence, drawn in this order."""
    draw = mulberry32(seed)
    A = uniforms(draw, hidden * hidden).reshape(hidden, hidden)
    Q = orthonormalise(orthonormalise(A))  # twice: orthogonal to rounding error
    U = INPUT_GAIN * uniforms(draw, hidden * INPUT_SIZE).reshape(hidden, INPUT_SIZE)
    x = uniforms(draw, STEPS_RANGE[1] * INPUT_SIZE).reshape(STEPS_RANGE[1], INPUT_SIZE)
    for array in (Q, U, x):
        array.setflags(write=False)  # cached: shared by every call
    return Q, U, x


def weights(scale: float, hidden: int, steps: int, seed: int):
    """W = s·Q (so every singular value of W is s), U, and the inputs x_1..x_T."""
    Q, U, x = random_draws(hidden, seed)
    return scale * Q, U, x[:steps]


# --8<-- [end:weights]


# --8<-- [start:forward]
def matvec(M: np.ndarray, v: np.ndarray) -> np.ndarray:
    """M @ v, each row summed over columns 0, 1, 2, … in order (as explorer.js does)."""
    out = np.zeros(M.shape[0])
    for j in range(M.shape[1]):
        out = out + M[:, j] * v[j]
    return out


def forward(activation: str, W: np.ndarray, U: np.ndarray, x: np.ndarray):
    """h_t = φ(W h_{t−1} + U x_t) from h_0 = 0; return h_1..h_T and φ'(z_1)..φ'(z_T)."""
    h = np.zeros(W.shape[0])
    states, slopes = [], []
    for x_t in x:
        z = matvec(W, h) + matvec(U, x_t)
        h, slope = activate(activation, z)
        states.append(h)
        slopes.append(slope)
    return np.array(states), np.array(slopes)


# --8<-- [end:forward]


# --8<-- [start:backward]
# A vector shorter than TINY is multiplied by 2**64 (exactly) and the exponent kept
# aside, so norms far below 1e-308, the smallest normal double, are still represented.
TINY = 2.0**-64
RESCALE = 64


def backward(W: np.ndarray, slopes: np.ndarray, g_last: np.ndarray):
    """∂L/∂h_{t−1} = Wᵀ diag(φ'(z_t)) ∂L/∂h_t, t = T..2; norms as mantissa·2^exponent."""
    steps = len(slopes)
    mantissa, exponent = np.zeros(steps), np.zeros(steps, dtype=np.int64)
    g, e = g_last.copy(), 0
    for t in range(steps - 1, -1, -1):  # t is the 0-based index of h_{t+1}
        n = math.sqrt(sum_of_squares(g))
        while 0.0 < n < TINY:
            g, n, e = g * 2.0**RESCALE, n * 2.0**RESCALE, e - RESCALE
        mantissa[t], exponent[t] = n, e
        if t > 0:
            g = matvec(W.T, slopes[t] * g)  # row j of Wᵀ is column j of W
    return mantissa, exponent


def product_bound(gamma: float, scale: float, steps: int, first: float):
    """(γ·s)^(T−t) · ‖∂L/∂h_T‖ for t = 1..T, as mantissa·2^exponent too."""
    mantissa, exponent = np.zeros(steps), np.zeros(steps, dtype=np.int64)
    b, e = first, 0
    for t in range(steps - 1, -1, -1):
        while 0.0 < b < TINY:
            b, e = b * 2.0**RESCALE, e - RESCALE
        mantissa[t], exponent[t] = b, e
        b = b * (gamma * scale)
    return mantissa, exponent


# --8<-- [end:backward]


# --8<-- [start:run]
LOG10_2 = 0.30102999566398120


def log10_of(mantissa: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """log10(mantissa·2^exponent); −inf where the norm is exactly zero."""
    with np.errstate(divide="ignore"):
        return np.log10(mantissa) + exponent * LOG10_2


def run(activation: str, scale: float, hidden: int, steps: int, seed: int) -> dict:
    """Everything the explorer plots for one setting of its five controls."""
    check_params(activation, scale, hidden, steps, seed)
    W, U, x = weights(float(scale), int(hidden), int(steps), int(seed))
    states, slopes = forward(activation, W, U, x)
    g_last = np.full(hidden, 1.0 / math.sqrt(hidden))  # ∂L/∂h_T, norm 1
    grad_m, grad_e = backward(W, slopes, g_last)
    bound_m, bound_e = product_bound(GAMMA[activation], float(scale), steps, grad_m[-1])
    return {
        "t": np.arange(1, steps + 1),
        "grad_mantissa": grad_m,
        "grad_exponent": grad_e,
        "grad_log10": log10_of(grad_m, grad_e),
        "grad_norm": np.ldexp(grad_m, grad_e),  # underflows to 0 below ~5e-324
        "bound_mantissa": bound_m,
        "bound_exponent": bound_e,
        "bound_log10": log10_of(bound_m, bound_e),
        "gamma": GAMMA[activation],
        "W": W,
        "U": U,
        "x": x,
        "h": states,
        "slopes": slopes,
    }


# --8<-- [end:run]


def format_log10(value: float) -> str:
    """10**value as '2.31e-04', also far outside the range of a double; '0' for −inf."""
    if value == -math.inf:
        return "0"
    exponent = math.floor(value)
    mantissa = round(10 ** (value - exponent), 2)
    if mantissa >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.2f}e{exponent:+03d}"


def per_step_factor(result: dict) -> float:
    """(‖∂L/∂h_1‖ / ‖∂L/∂h_T‖)^(1/(T−1)): the average factor the gradient gains per step back."""
    lg = result["grad_log10"]
    return 10 ** ((lg[0] - lg[-1]) / (len(lg) - 1))


def python_call(activation: str, scale: float, hidden: int, steps: int, seed: int) -> str:
    """The line the explorer shows under "Use in Python"."""
    return (
        f'explorer_reference.run(activation="{activation}", scale={scale!r}, '
        f"hidden={hidden}, steps={steps}, seed={seed})"
    )


SCAN = [k / 100 for k in range(100, 201)]  # s = 1.00, 1.01, …, 2.00: the slider's steps
