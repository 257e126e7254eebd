"""A vanilla RNN and backpropagation through time, written out by hand in NumPy.

The model, in column-vector notation, for t = 1..T:

    z_t = W_hh h_{t-1} + W_xh x_t + b_h        (pre-activation)
    h_t = phi(z_t)                              (phi = tanh, sigmoid or relu)
    y_t = W_hy h_t + b_y                        (linear read-out)

The loss is squared error, L = 1/2 sum_{t in S} ||y_t - y*_t||^2, where S is either the
last step only (loss_at="last", targets of shape (D_y,)) or every step (loss_at="every",
targets of shape (T, D_y)); D_y is the output size. The backward pass returns the gradient of L for every
parameter and, from the same single sweep, the total derivative dL/dh_t for every t:
everything h_t influences, through y_t and through all later states.

The test checks every gradient against torch.autograd in float64; the rest of the site
trusts this file. Run: python rnn_numpy.py   (also writes rnn_numpy.json, the values the
page quotes)

Taught in docs/bptt.md; run by snippets/bptt/rnn_numpy.py.
"""

from dataclasses import dataclass, fields

import numpy as np

ACTIVATIONS = ("tanh", "sigmoid", "relu")
LOSS_AT = ("last", "every")


# --8<-- [start:activations]
def activate(z: np.ndarray, activation: str) -> np.ndarray:
    """phi(z), elementwise."""
    check_activation(activation)
    if activation == "tanh":
        return np.tanh(z)
    if activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return np.maximum(z, 0.0)


def derivative(z: np.ndarray, activation: str) -> np.ndarray:
    """phi'(z), elementwise, at the pre-activation z (not at h = phi(z))."""
    check_activation(activation)
    if activation == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if activation == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 - s)
    return (z > 0).astype(float)  # relu; we take 0 as the derivative at z = 0


# --8<-- [end:activations]


def check_activation(activation: str) -> None:
    """Raise unless activation names one of ACTIVATIONS."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


@dataclass
class Params:
    """The five parameters of a one-layer RNN (also used to hold their gradients)."""

    W_xh: np.ndarray  # (H, D) input to hidden
    W_hh: np.ndarray  # (H, H) hidden to hidden: the recurrent matrix
    b_h: np.ndarray  # (H,)
    W_hy: np.ndarray  # (D_y, H) hidden to output
    b_y: np.ndarray  # (D_y,)

    def __post_init__(self) -> None:
        for f in fields(self):
            setattr(self, f.name, np.asarray(getattr(self, f.name), dtype=float))
            if not np.all(np.isfinite(getattr(self, f.name))):
                raise ValueError(f"{f.name} contains NaN or infinite entries")
        H, D = self.W_xh.shape if self.W_xh.ndim == 2 else (-1, -1)
        D_y = self.W_hy.shape[0] if self.W_hy.ndim == 2 else -1
        expected = {
            "W_xh": (H, D),
            "W_hh": (H, H),
            "b_h": (H,),
            "W_hy": (D_y, H),
            "b_y": (D_y,),
        }
        if min(H, D_y) < 0 or any(getattr(self, n).shape != s for n, s in expected.items()):
            raise ValueError(
                f"inconsistent shapes: W_xh {self.W_xh.shape}, W_hh {self.W_hh.shape}, "
                f"b_h {self.b_h.shape}, W_hy {self.W_hy.shape}, b_y {self.b_y.shape}; "
                "need W_xh (H, D), W_hh (H, H), b_h (H,), W_hy (D_y, H), b_y (D_y,)"
            )

    @property
    def sizes(self) -> tuple[int, int, int]:
        """(input size D, hidden size H, output size D_y)."""
        return self.W_xh.shape[1], self.W_hh.shape[0], self.W_hy.shape[0]

    def items(self) -> list[tuple[str, np.ndarray]]:
        """(name, array) pairs in a fixed order."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)]


def init_params(
    input_size: int, hidden_size: int, output_size: int, *, recurrent_scale: float, seed: int = 0
) -> Params:
    """Random parameters; W_hh is recurrent_scale times a random orthogonal matrix."""
    for name, n in [("input_size", input_size), ("hidden_size", hidden_size)]:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    if isinstance(output_size, bool) or not isinstance(output_size, int) or output_size < 1:
        raise ValueError(f"output_size must be a positive integer, got {output_size!r}")
    if not np.isfinite(recurrent_scale) or recurrent_scale < 0:
        raise ValueError(f"recurrent_scale must be finite and >= 0, got {recurrent_scale!r}")
    rng = np.random.default_rng(seed)
    Q, R = np.linalg.qr(rng.standard_normal((hidden_size, hidden_size)))
    Q *= np.sign(np.diag(R))  # a uniformly random orthogonal matrix: every singular value 1
    return Params(
        W_xh=rng.standard_normal((hidden_size, input_size)) / np.sqrt(input_size),
        W_hh=recurrent_scale * Q,
        b_h=0.1 * rng.standard_normal(hidden_size),
        W_hy=rng.standard_normal((output_size, hidden_size)) / np.sqrt(hidden_size),
        b_y=0.1 * rng.standard_normal(output_size),
    )


@dataclass
class Trace:
    """What the forward pass keeps for the backward pass."""

    xs: np.ndarray  # (T, D) inputs x_1..x_T
    zs: np.ndarray  # (T, H) pre-activations z_1..z_T
    hs: np.ndarray  # (T + 1, H) states h_0..h_T (row 0 is h_0)
    ys: np.ndarray  # (T, D_y) outputs y_1..y_T
    activation: str  # the phi it ran with; backward uses the same one


def check_sequence(params: Params, xs: np.ndarray, h0: np.ndarray | None) -> tuple:
    """Return xs (T, D) and h0 (H,) as float arrays after checking shapes and values."""
    D, H, _ = params.sizes
    xs = np.asarray(xs, dtype=float)
    if xs.ndim != 2 or xs.shape[1] != D or xs.shape[0] < 1:
        raise ValueError(f"xs must have shape (T, {D}) with T >= 1, got {xs.shape}")
    h0 = np.zeros(H) if h0 is None else np.asarray(h0, dtype=float)
    if h0.shape != (H,):
        raise ValueError(f"h0 must have shape ({H},), got {h0.shape}")
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(h0))):
        raise ValueError("xs and h0 must not contain NaN or infinite values")
    return xs, h0


# --8<-- [start:forward]
def forward(
    params: Params,
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    activation: str = "tanh",
) -> Trace:
    """Run the RNN over xs (T, D) from h0 (default 0); keep every z_t and h_t."""
    check_activation(activation)
    xs, h0 = check_sequence(params, xs, h0)
    T, H = len(xs), params.sizes[1]
    zs, hs = np.empty((T, H)), np.empty((T + 1, H))
    hs[0] = h0
    # Row t of hs is h_t; row t - 1 of xs and of zs is x_t and z_t.
    for t in range(1, T + 1):
        zs[t - 1] = params.W_hh @ hs[t - 1] + params.W_xh @ xs[t - 1] + params.b_h
        hs[t] = activate(zs[t - 1], activation)
    ys = hs[1:] @ params.W_hy.T + params.b_y
    return Trace(xs=xs, zs=zs, hs=hs, ys=ys, activation=activation)


# --8<-- [end:forward]


def output_errors(trace: Trace, targets: np.ndarray, loss_at: str) -> np.ndarray:
    """dL/dy_t for every t as a (T, D_y) array: y_t - y*_t where the loss looks, else 0."""
    if loss_at not in LOSS_AT:
        raise ValueError(f"loss_at must be one of {LOSS_AT}, got {loss_at!r}")
    T, D_y = trace.ys.shape
    targets = np.asarray(targets, dtype=float)
    want = (D_y,) if loss_at == "last" else (T, D_y)
    if targets.shape != want:
        raise ValueError(
            f"targets must have shape {want} for loss_at={loss_at!r}, got {targets.shape}"
        )
    if not np.all(np.isfinite(targets)):
        raise ValueError("targets must not contain NaN or infinite values")
    errors = np.zeros((T, D_y))
    if loss_at == "last":
        errors[-1] = trace.ys[-1] - targets
    else:
        errors[:] = trace.ys - targets
    return errors


def loss(trace: Trace, targets: np.ndarray, loss_at: str = "last") -> float:
    """L = 1/2 sum over the scored steps of ||y_t - y*_t||^2."""
    return 0.5 * float(np.sum(output_errors(trace, targets, loss_at) ** 2))


# --8<-- [start:backward]
def backward(
    params: Params, trace: Trace, targets: np.ndarray, loss_at: str = "last"
) -> tuple[Params, np.ndarray]:
    """BPTT: all parameter gradients and ||dL/dh_t||, t = 1..T, in one sweep."""
    e = output_errors(trace, targets, loss_at)  # e_t = dL/dy_t, shape (T, D_y)
    T, H = trace.zs.shape
    grads = Params(*(np.zeros_like(p) for _, p in params.items()))
    dh_norms = np.empty(T)
    # The part of dL/dh_t that flows back through h_{t+1}; nothing after t = T.
    carry = np.zeros(H)
    for t in range(T, 0, -1):
        # Total dL/dh_t: through the output y_t, and through the next state.
        dh = params.W_hy.T @ e[t - 1] + carry
        dh_norms[t - 1] = np.linalg.norm(dh)
        # dL/dz_t = diag(phi'(z_t)) dL/dh_t
        dz = derivative(trace.zs[t - 1], trace.activation) * dh
        grads.W_hh += np.outer(dz, trace.hs[t - 1])  # meets h_{t-1} at step t
        grads.W_xh += np.outer(dz, trace.xs[t - 1])
        grads.b_h += dz
        grads.W_hy += np.outer(e[t - 1], trace.hs[t])
        grads.b_y += e[t - 1]
        carry = params.W_hh.T @ dz  # send it one step further back
    return grads, dh_norms


# --8<-- [end:backward]


def step_jacobian(params: Params, z: np.ndarray, activation: str = "tanh") -> np.ndarray:
    """dh_t/dh_{t-1} = diag(phi'(z_t)) W_hh, an (H, H) matrix."""
    z = np.asarray(z, dtype=float)
    if z.shape != (params.sizes[1],):
        raise ValueError(f"z must have shape ({params.sizes[1]},), got {z.shape}")
    return derivative(z, activation)[:, None] * params.W_hh


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar function f at every entry of x (changed in place)."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(|a|, |b|, tiny): 0 when equal, about 1 when unrelated."""
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-300)
    return float(np.max(np.abs(a - b)) / scale)
