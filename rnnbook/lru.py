"""A minimal Linear Recurrent Unit (LRU, Orvieto et al. 2023) in PyTorch, top to bottom.

One LRU layer maps a sequence of feature vectors u_1..u_T (size H) to outputs y_1..y_T:

    h_t = λ ⊙ h_{t-1} + κ ⊙ (B u_t)          a diagonal, complex, LINEAR recurrence
    y_t = Re(C h_t) + D ⊙ u_t                 a linear read-out plus a skip

with N complex state units, λ_j = exp(-exp(ν_j) + i θ_j) (so |λ_j| = exp(-exp(ν_j)) < 1
for every real ν_j), κ_j = sqrt(1 - |λ_j|²) (the paper calls it γ), B complex N × H,
C complex H × N, D real. The eigenvalues start spread uniformly over a ring
r_min ≤ |λ| ≤ r_max close to 1. The nonlinearity sits outside the recurrence: a block
is u -> u + GLU(GELU(LRU(LayerNorm(u)))), and LRUModel stacks blocks between a linear
encoder and a linear decoder, with an output at every step.

Two ways to run the recurrence, equal up to rounding (tests check it in float64):
    sequential(a, v)     the loop h_t = a_t h_{t-1} + v_t, T steps one after another
    parallel_scan(a, v)  the same h_t for all t in ceil(log2 T) vectorised steps

API (other files import these):
    LRU(d_model, d_state, r_min, r_max, max_phase)   one layer; forward(u, scan=True)
    LRU.eigenvalues() -> λ (complex, (N,)); LRU.normalisation() -> κ (real, (N,))
    LRU.states(u) -> [h_1, ..., h_T]   (for per-step gradients)
    LRUModel(n_in, n_out, d_model, d_state, layers, r_min, r_max, max_phase)
        x (batch, T, n_in) -> outputs (batch, T, n_out), one per step
    parameter_count(n_in, n_out, d_model, d_state, layers) -> int (the formula)
    size_for_parameters(target, n_in, n_out, layers, state_ratio) -> (d_model, d_state)

Run: python lru.py   (prints parameter counts, the ring at initialisation and a check)

Taught in docs/linear.md; run by snippets/linear/lru.py.
"""

import math

import torch
from torch import nn

R_MIN, R_MAX, MAX_PHASE = 0.9, 0.999, 2 * math.pi  # the ring and phase range at init


def positive_int(value: int, name: str) -> int:
    """Return value after checking it is a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def check_ring(r_min: float, r_max: float, max_phase: float) -> None:
    """0 <= r_min < r_max < 1 (a ring strictly inside the unit circle), 0 <= max_phase <= 2π."""
    numbers = (r_min, r_max, max_phase)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers):
        raise TypeError("r_min, r_max and max_phase must be real numbers")
    if not 0.0 <= r_min < r_max < 1.0:
        raise ValueError(f"need 0 <= r_min < r_max < 1, got r_min={r_min}, r_max={r_max}")
    if not 0.0 <= max_phase <= 2 * math.pi:
        raise ValueError(f"max_phase must lie in [0, 2π], got {max_phase}")


# --8<-- [start:scan]
def sequential(a: torch.Tensor, v: torch.Tensor) -> list[torch.Tensor]:
    """h_t = a_t ⊙ h_{t-1} + v_t from h_0 = 0, one step at a time: [h_1, ..., h_T].

    v is (batch, T, N); a is (N,) (the same at every step) or (batch, T, N)."""
    check_scan_inputs(a, v)
    steps = a.unbind(1) if a.dim() == 3 else [a] * v.shape[1]
    h, states = torch.zeros_like(v[:, 0]), []
    for a_t, v_t in zip(steps, v.unbind(1), strict=True):  # unbind: one slice per step
        h = a_t * h + v_t
        states.append(h)
    return states


def parallel_scan(a: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """The same h_t for every t at once (batch, T, N), in ceil(log2 T) vectorised steps.

    After the step with offset d, h_t holds the sum over the last 2d inputs,
    h_t = v_t + a_t v_{t-1} + ... + (a_t ... a_{t-2d+2}) v_{t-2d+1}, because
    h_t + (a_t ... a_{t-d+1}) h_{t-d} joins two windows of length d (Hillis & Steele 1986).
    `a` is overwritten likewise by the product of the last 2d factors."""
    check_scan_inputs(a, v)
    h, d = v, 1
    while d < v.shape[1]:
        h = h + a * shift(h, d)  # h_t + (a_t ... a_{t-d+1}) h_{t-d}; h_{t-d} = 0 for t <= d
        # time-invariant a: the product of 2d factors is a^(2d); input-dependent a_t: the
        # products over windows of 2d steps (the first d are never used again)
        a = a * a if a.dim() == 1 else a * shift(a, d)
        d *= 2
    return h


def shift(x: torch.Tensor, d: int) -> torch.Tensor:
    """x delayed by d steps along dim 1, zeros in front: x_{t-d} at position t."""
    return nn.functional.pad(x[:, :-d], (0, 0, d, 0))


# --8<-- [end:scan]


def check_scan_inputs(a: torch.Tensor, v: torch.Tensor) -> None:
    """Clear errors for the shapes the two scans accept."""
    if not isinstance(a, torch.Tensor) or not isinstance(v, torch.Tensor):
        raise TypeError("a and v must be tensors")
    if v.dim() != 3 or v.shape[1] == 0:
        raise ValueError(f"v must have shape (batch, T, N) with T >= 1, got {tuple(v.shape)}")
    if a.shape not in {v.shape[-1:], v.shape}:
        raise ValueError(f"a must have shape (N,) or {tuple(v.shape)}, got {tuple(a.shape)}")


# --8<-- [start:lru]
class LRU(nn.Module):
    """h_t = λ ⊙ h_{t-1} + κ ⊙ (B u_t),  y_t = Re(C h_t) + D ⊙ u_t."""

    def __init__(
        self,
        d_model: int,
        d_state: int,
        r_min: float = R_MIN,
        r_max: float = R_MAX,
        max_phase: float = MAX_PHASE,
    ) -> None:
        super().__init__()
        H, N = positive_int(d_model, "d_model"), positive_int(d_state, "d_state")
        check_ring(r_min, r_max, max_phase)
        self.d_model, self.hidden_size = H, N
        # |λ|² uniform in [r_min², r_max²]: the eigenvalues cover the ring's area evenly.
        radius = torch.sqrt(r_min**2 + torch.rand(N) * (r_max**2 - r_min**2))
        self.nu = nn.Parameter(torch.log(-torch.log(radius)))  # |λ| = exp(-exp(ν))
        self.theta = nn.Parameter(max_phase * torch.rand(N))  # arg λ
        # B, C complex with independent real and imaginary parts (Glorot-like scales)
        self.B_re = nn.Parameter(torch.randn(N, H) / math.sqrt(2 * H))
        self.B_im = nn.Parameter(torch.randn(N, H) / math.sqrt(2 * H))
        self.C_re = nn.Parameter(torch.randn(H, N) / math.sqrt(N))
        self.C_im = nn.Parameter(torch.randn(H, N) / math.sqrt(N))
        self.D = nn.Parameter(torch.randn(H))

    def eigenvalues(self) -> torch.Tensor:
        """λ = exp(-exp(ν) + iθ), complex (N,), always strictly inside the unit circle."""
        return torch.exp(torch.complex(-torch.exp(self.nu), self.theta))

    def normalisation(self) -> torch.Tensor:
        """κ = sqrt(1 - |λ|²), written 1 - exp(-2 exp(ν)) so it stays exact as |λ| -> 1."""
        return torch.sqrt(-torch.expm1(-2 * torch.exp(self.nu)))

    def inputs(self, u: torch.Tensor) -> torch.Tensor:
        """κ ⊙ (B u_t) for every step: complex (batch, T, N)."""
        if u.dim() != 3 or u.shape[-1] != self.d_model:
            raise ValueError(f"u must have shape (batch, T, {self.d_model}), got {tuple(u.shape)}")
        Bu = torch.complex(u @ self.B_re.T, u @ self.B_im.T)
        return self.normalisation() * Bu

    def read_out(self, h: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """y_t = Re(C h_t) + D ⊙ u_t = C_re Re(h_t) - C_im Im(h_t) + D ⊙ u_t."""
        return h.real @ self.C_re.T - h.imag @ self.C_im.T + self.D * u

    def forward(self, u: torch.Tensor, scan: bool = True) -> torch.Tensor:
        """u (batch, T, H) -> y (batch, T, H), by the parallel scan or the loop."""
        v = self.inputs(u)
        lam = self.eigenvalues()
        h = parallel_scan(lam, v) if scan else torch.stack(sequential(lam, v), dim=1)
        return self.read_out(h, u)

    def states(self, u: torch.Tensor) -> list[torch.Tensor]:
        """[h_1, ..., h_T] from the loop, each in the graph (for per-step gradients)."""
        return sequential(self.eigenvalues(), self.inputs(u))


# --8<-- [end:lru]


# --8<-- [start:model]
class LRUBlock(nn.Module):
    """u -> u + GLU(GELU(LRU(LayerNorm(u)))): the nonlinearity acts at each step, outside
    the recurrence; GLU(z) = (W_a z + b_a) ⊙ sigmoid(W_b z + b_b)."""

    def __init__(self, d_model: int, d_state: int, **ring: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d_model)
        self.lru = LRU(d_model, d_state, **ring)
        self.glu = nn.Linear(d_model, 2 * d_model)

    def forward(self, u: torch.Tensor, scan: bool = True) -> torch.Tensor:
        y = nn.functional.gelu(self.lru(self.norm(u), scan=scan))
        value, gate = self.glu(y).chunk(2, dim=-1)
        return u + value * torch.sigmoid(gate)


class LRUModel(nn.Module):
    """x (batch, T, n_in) -> (batch, T, n_out): encoder, `layers` LRU blocks, decoder."""

    def __init__(
        self,
        n_in: int,
        n_out: int,
        d_model: int = 20,
        d_state: int = 20,
        layers: int = 2,
        r_min: float = R_MIN,
        r_max: float = R_MAX,
        max_phase: float = MAX_PHASE,
    ) -> None:
        super().__init__()
        self.n_in = positive_int(n_in, "n_in")
        ring = {"r_min": r_min, "r_max": r_max, "max_phase": max_phase}
        self.encoder = nn.Linear(n_in, positive_int(d_model, "d_model"))
        self.blocks = nn.ModuleList(
            LRUBlock(d_model, d_state, **ring) for _ in range(positive_int(layers, "layers"))
        )
        self.decoder = nn.Linear(d_model, positive_int(n_out, "n_out"))

    def forward(self, x: torch.Tensor, scan: bool = True) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[-1] != self.n_in:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must have shape (batch, T, {self.n_in}), got {got}")
        u = self.encoder(x)
        for block in self.blocks:
            u = block(u, scan=scan)
        return self.decoder(u)


# --8<-- [end:model]


# --8<-- [start:size]
def parameter_count(n_in: int, n_out: int, d_model: int, d_state: int, layers: int) -> int:
    """Trainable numbers in LRUModel, by formula (a test checks it against the model)."""
    H, N = d_model, d_state
    block = 2 * H + 2 * N + 4 * N * H + H + (2 * H * H + 2 * H)  # norm, ν θ, B C, D, GLU
    return (n_in * H + H) + layers * block + (H * n_out + n_out)


def size_for_parameters(
    target: int, n_in: int, n_out: int, layers: int = 2, state_ratio: float = 1.0
) -> tuple[int, int]:
    """(d_model, d_state) with d_state = round(state_ratio * d_model) whose count is
    closest to target (the smaller model on a tie)."""
    positive_int(target, "target")
    if not isinstance(state_ratio, int | float) or not state_ratio > 0:
        raise ValueError(f"state_ratio must be a positive number, got {state_ratio!r}")
    best = None
    for H in range(1, 4097):
        N = max(1, round(state_ratio * H))
        count = parameter_count(n_in, n_out, H, N, layers)
        if best is None or abs(count - target) < abs(best[0] - target):
            best = (count, H, N)
        if count > target:
            break
    assert best is not None  # the loop ran at least once
    return best[1], best[2]


# --8<-- [end:size]


def count_parameters(model: nn.Module) -> int:
    """Trainable numbers in a model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


TASK_SIZES = {"adding": (2, 1), "copy": (10, 9)}  # (inputs, outputs) per step
TARGET = 4700  # about the benchmark's parameter count on the adding problem
