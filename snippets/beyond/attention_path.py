"""How strongly does the first input still reach the output after T steps? RNN against attention.

A recurrent network reaches x_1 from its output only through the chain h_T <- ... <- h_1:
T - 1 Jacobians, so d y / d x_1 shrinks geometrically with T. A one-layer attention
read-out looks at every position k directly,

    y = w_y^T sum_k alpha_k v_k,   alpha = softmax(l),   l_k = q^T W_K x~_k / sqrt(D) + beta [k marked],
    q = W_Q x~_T,   v_k = W_V x~_k,   x~_k = x_k + p_k  (x~: embedded input, p_k: position code),

so the path from x_1 to y has length one at every T. What it pays instead is the softmax:
with scores l_k that do not single out position 1, alpha_1 is about 1/T and the gradient
is diluted like 1/T; with a score bonus beta for a marked position (only position 1 is
marked, by a 1 in input channel 0: a read-out that has learned what to look for) alpha_1
stays near 1.

Everything in float64: the RNN's gradient falls below float32's smallest number.

Run: python attention_path.py   (prints the table, writes attention_path.svg and
attention_path.json)
"""

import json
import math

import matplotlib.pyplot as plt
import torch
from torch import nn

D, HIDDEN, BATCH = 8, 32, 32  # input size (channel 0 marks position 1), RNN units, sequences
LENGTHS = (1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200)
SHOWN = (10, 50, 100, 200)
SHARP_BONUS = 8.0  # beta: the learned preference for the marked position


def check_sequence(x: torch.Tensor) -> None:
    """Raise unless x is a finite float tensor (batch, T, D) with T >= 1."""
    if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[1] < 1 or x.shape[2] != D:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must have shape (batch, T, {D}) with T >= 1, got {got}")
    if not torch.isfinite(x).all():
        raise ValueError("x contains NaN or infinite values")


# --8<-- [start:positions]
def sinusoidal_positions(length: int, dim: int = D) -> torch.Tensor:
    """Vaswani et al.'s code: p_t[2i] = sin(t w_i), p_t[2i+1] = cos(t w_i)."""
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    t = torch.arange(length, dtype=torch.float64)[:, None]
    i2 = torch.arange(0, dim, 2, dtype=torch.float64)  # 2i = 0, 2, 4, ...
    rates = 10000.0 ** (-i2 / dim)  # w_i = 1 / 10000^(2i/dim)
    p = torch.zeros(length, dim, dtype=torch.float64)
    p[:, 0::2], p[:, 1::2] = torch.sin(t * rates), torch.cos(t * rates)
    return p


# --8<-- [end:positions]


# --8<-- [start:readout]
class AttentionReadout(nn.Module):
    """y = w_y^T sum_k alpha_k v_k, alpha = softmax over ALL positions: one step away."""

    def __init__(self, bonus: float = 0.0, positions: bool = True, seed: int = 0):
        super().__init__()
        if not math.isfinite(bonus):
            raise ValueError(f"bonus must be a finite number, got {bonus!r}")
        g = torch.Generator().manual_seed(seed)

        def weight(*shape: int) -> nn.Parameter:
            w = torch.randn(*shape, generator=g, dtype=torch.float64)
            return nn.Parameter(w / D**0.5)

        self.W_Q, self.W_K, self.W_V = weight(D, D), weight(D, D), weight(D, D)
        self.w_y = weight(D)
        self.bonus, self.positions = bonus, positions

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (batch, T, D) -> y (batch,)."""
        check_sequence(x)
        x_tilde = x + sinusoidal_positions(x.shape[1]) if self.positions else x
        q = x_tilde[:, -1] @ self.W_Q.T  # the query comes from the last position
        keys, v = x_tilde @ self.W_K.T, x_tilde @ self.W_V.T
        scores = (keys @ q[:, :, None])[..., 0] / D**0.5  # l_k, shape (batch, T)
        scores = scores + self.bonus * x[..., 0]  # + beta where marked: prefer marked steps
        alpha = torch.softmax(scores, dim=1)  # a weight for every position at once
        return (alpha[:, :, None] * v).sum(1) @ self.w_y


# --8<-- [end:readout]


class RNNReadout(nn.Module):
    """y = w_y^T h_T for a tanh nn.RNN at PyTorch's default initialisation."""

    def __init__(self, seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        self.rnn = nn.RNN(D, HIDDEN, batch_first=True).double()
        self.w_y = nn.Linear(HIDDEN, 1).double()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (batch, T, D) -> y (batch,)."""
        check_sequence(x)
        states, _ = self.rnn(x)
        return self.w_y(states[:, -1])[:, 0]


def marked_sequences(length: int, seed: int = 0) -> torch.Tensor:
    """BATCH random sequences (batch, T, D): channel 0 marks t = 1, the rest is N(0, 1)."""
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(BATCH, length, D, generator=g, dtype=torch.float64)
    x[..., 0] = 0.0
    x[:, 0, 0] = 1.0
    return x


# --8<-- [start:measure]
def first_input_influence(model: nn.Module, x: torch.Tensor) -> float:
    """Mean over the batch of ||dy/dx_1||: how much y still feels x_1."""
    check_sequence(x)
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(model(x).sum(), x)  # sequences are independent
    return grad[:, 0].norm(dim=1).mean().item()


# --8<-- [end:measure]


def attention_weight_on_first(model: AttentionReadout, x: torch.Tensor) -> float:
    """Mean over the batch of alpha_1, the softmax weight the read-out gives position 1."""
    check_sequence(x)
    x_tilde = x + sinusoidal_positions(x.shape[1]) if model.positions else x
    q = x_tilde[:, -1] @ model.W_Q.T
    keys = x_tilde @ model.W_K.T
    scores = (keys @ q[:, :, None])[..., 0] / D**0.5 + model.bonus * x[..., 0]
    return torch.softmax(scores, dim=1)[:, 0].mean().item()


def models() -> dict[str, nn.Module]:
    """The three read-outs the figure compares."""
    return {
        "tanh RNN": RNNReadout(),
        "attention, diffuse": AttentionReadout(bonus=0.0),
        "attention, sharp": AttentionReadout(bonus=SHARP_BONUS),
    }


def influence_table(lengths: tuple[int, ...] = LENGTHS) -> dict[str, list[float]]:
    """||dy/dx_1|| for every model at every length, on the same sequences."""
    found = {name: [] for name in models()}
    for name, model in models().items():
        for length in lengths:
            found[name].append(first_input_influence(model, marked_sequences(length)))
    return found


def loglog_slope(lengths: tuple[int, ...], values: list[float], lo: int, hi: int) -> float:
    """Slope of log(value) against log(T) between T = lo and T = hi."""
    if lo not in lengths or hi not in lengths or lo == hi:
        raise ValueError(f"lo and hi must be two different lengths from {lengths}")
    i, j = lengths.index(lo), lengths.index(hi)
    return math.log(values[j] / values[i]) / math.log(hi / lo)


def permutation_changes_output(model: AttentionReadout, length: int = 20) -> float:
    """Largest |y - y'| when positions 2..T-1 of every sequence are shuffled."""
    x = marked_sequences(length)
    order = torch.randperm(length - 2, generator=torch.Generator().manual_seed(1)) + 1
    shuffled = x.clone()
    shuffled[:, 1:-1] = x[:, order]
    with torch.no_grad():
        return (model(x) - model(shuffled)).abs().max().item()


def plot(found: dict[str, list[float]], path: str = "attention_path.svg") -> None:
    """Left: all read-outs, linear T. Right: the attention read-outs on log-log, with 1/T."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 3.6))
    for name, values in found.items():
        left.plot(LENGTHS, values, marker="o", markersize=3, label=name)
    left.set_yscale("log")
    left.set_ylim(1e-60, 1e2)
    left.set_yticks([10.0**k for k in range(-60, 1, 10)])
    left.set_xlabel("sequence length T")
    left.set_ylabel("‖∂y/∂x₁‖  (log scale)")
    left.set_title("every read-out, T up to 200")
    left.legend(loc="lower left")
    right.plot([], [])  # skip the RNN's colour: each read-out keeps its colour in both panels
    for name in ("attention, diffuse", "attention, sharp"):
        right.plot(LENGTHS, found[name], marker="o", markersize=3, label=name)
    diffuse = found["attention, diffuse"]
    right.plot(LENGTHS, [diffuse[0] / t for t in LENGTHS], color="0.55", lw=1, label="∝ 1/T")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("sequence length T (log scale)")
    right.set_ylabel("‖∂y/∂x₁‖  (log scale)")
    right.set_title("the attention read-outs, log–log")
    right.legend(loc="lower left")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    found = influence_table()
    print(f"||dy/dx_1||, mean over {BATCH} random sequences, float64")
    print("T        " + "".join(f"{name:>21s}" for name in found))
    for length in SHOWN:
        i = LENGTHS.index(length)
        print(f"{length:<9d}" + "".join(f"{found[name][i]:21.2e}" for name in found))

    rnn = found["tanh RNN"]
    per_step = (rnn[LENGTHS.index(200)] / rnn[LENGTHS.index(100)]) ** (1 / 100)
    print(f"\ntanh RNN: a factor of {per_step:.3f} per extra step (T = 100 to 200)")
    for name in ("attention, diffuse", "attention, sharp"):
        slope = loglog_slope(LENGTHS, found[name], 10, 200)
        print(f"{name}: ||dy/dx_1|| ~ T^{slope:.2f} (T = 10 to 200)")
    values = {
        "rnn_factor": round(per_step, 2),
        "diffuse_exponent": round(loglog_slope(LENGTHS, found["attention, diffuse"], 10, 200), 2),
    }
    sharp = AttentionReadout(bonus=SHARP_BONUS)
    for length in (10, 200):
        alpha_1 = attention_weight_on_first(sharp, marked_sequences(length))
        diffuse = attention_weight_on_first(AttentionReadout(), marked_sequences(length))
        print(f"weight on position 1 at T = {length}: diffuse {diffuse:.4f}, sharp {alpha_1:.4f}")
        values[f"sharp_weight_{length}"] = round(alpha_1, 2)

    print("\nShuffle positions 2..T-1 (T = 20): largest change of y")
    blind = permutation_changes_output(AttentionReadout(positions=False))
    print(f"  without position codes: {blind:.2f}  (below 1e-12, rounding only: {blind < 1e-12})")
    print(f"  with sinusoidal codes:  {permutation_changes_output(AttentionReadout()):.2f}")
    with open("attention_path.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1)
        handle.write("\n")
    plot(found)
# --8<-- [end:main]
