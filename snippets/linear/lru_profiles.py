"""Per-step gradient norms ||dL/dh_t|| of an LRU layer, a tanh RNN and an LSTM, T = 100.

All three at initialisation, float64, on the same random inputs, with a loss that reads
only the last step: L = mean over the batch of (w·s_T - y)² / 2, s_T the last state
(Re/Im parts of the LRU's state pass through its read-out Re(C h_T)). All T gradients of
each model come from one backward pass (step_grads.per_step_grad_norms).

For the LRU the state Jacobian is dh_t/dh_{t-1} = diag(λ), whatever the input, so
dL/dh_t = conj(λ)^(T-t) ⊙ dL/dh_T elementwise and

    min|λ|^(T-t) <= ||dL/dh_t|| / ||dL/dh_T|| <= max|λ|^(T-t):

the ring r_min <= |λ| <= r_max that the eigenvalues start in decides how far back the
gradient reaches. The second part repeats the measurement for four rings.

Run: python lru_profiles.py   (prints the table, writes lru_profiles.svg and
lru_profiles.json; imports rnnbook.lru, rnnbook.gradients and rnnbook.cells)
"""

import json

import matplotlib.pyplot as plt
import torch
from torch import nn

from rnnbook.cells import LSTMByHand, unroll_lstm
from rnnbook.gradients import cell_from_rnn, per_step_grad_norms, unroll
from rnnbook.lru import LRU

T, BATCH, D, N = 100, 32, 4, 64  # steps, sequences, input size, state size of each model
RINGS = ((0.0, 0.5), (0.5, 0.9), (0.9, 0.999), (0.999, 0.9999))
DEFAULT_RING = (0.9, 0.999)
SHOWN = (1, 25, 50, 75, 90, 100)  # steps printed in the table


def last_step_loss(last: torch.Tensor, readout: nn.Linear, y: torch.Tensor) -> torch.Tensor:
    """Half the mean squared error of a linear read-out of the last state."""
    return 0.5 * ((readout(last)[:, 0] - y) ** 2).mean()


# --8<-- [start:measure]
def relative(norms: torch.Tensor) -> torch.Tensor:
    """||dL/ds_t|| / ||dL/ds_T||: how much of the last step's gradient reaches step t."""
    return norms / norms[-1]


def lru_profile(ring: tuple[float, float], x: torch.Tensor, y: torch.Tensor, seed: int = 0):
    """The LRU layer's relative profile, and its eigenvalues' smallest and largest |λ|."""
    torch.manual_seed(seed)
    layer = LRU(d_model=D, d_state=N, r_min=ring[0], r_max=ring[1]).double()
    readout = nn.Linear(D, 1).double()
    states = layer.states(x)  # [h_1, ..., h_T], complex, each in the graph
    last = layer.read_out(states[-1], x[:, -1])  # y_T = Re(C h_T) + D ⊙ u_T
    norms = per_step_grad_norms(last_step_loss(last, readout, y), states)
    radius = layer.eigenvalues().abs().detach()
    return relative(norms), radius.min().item(), radius.max().item()


def rnn_profile(x: torch.Tensor, y: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """tanh RNN with N units, PyTorch's default initialisation."""
    torch.manual_seed(seed)
    rnn, readout = nn.RNN(D, N, batch_first=True).double(), nn.Linear(N, 1).double()
    states = unroll(cell_from_rnn(rnn), x)
    return relative(per_step_grad_norms(last_step_loss(states[-1], readout, y), states))


def lstm_profile(x: torch.Tensor, y: torch.Tensor, seed: int = 0) -> dict[str, torch.Tensor]:
    """LSTM with N units, default initialisation: the hidden state h_t and the cell c_t."""
    torch.manual_seed(seed)
    lstm, readout = nn.LSTM(D, N, batch_first=True).double(), nn.Linear(N, 1).double()
    hs, cs = unroll_lstm(LSTMByHand(lstm), x)
    norms = per_step_grad_norms(last_step_loss(hs[-1], readout, y), hs + cs)
    return {"h": relative(norms[:T]), "c": relative(norms[T:])}


# --8<-- [end:measure]


def measure(seed: int = 0) -> dict[str, object]:
    """Every profile of the page, on one set of inputs."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(BATCH, T, D, generator=generator, dtype=torch.float64)
    y = torch.randn(BATCH, generator=generator, dtype=torch.float64)
    lstm = lstm_profile(x, y, seed)
    found = {
        "tanh RNN": rnn_profile(x, y, seed),
        "LSTM, h_t": lstm["h"],
        "LSTM, c_t": lstm["c"],
        "LRU": lru_profile(DEFAULT_RING, x, y, seed)[0],
    }
    rings = {ring: lru_profile(ring, x, y, seed) for ring in RINGS}
    return {"models": found, "rings": rings}


def plot(found: dict[str, object], path: str = "lru_profiles.svg") -> None:
    """Left: three models at initialisation. Right: the LRU for four rings."""
    fig, (left, right) = plt.subplots(1, 2, sharey=True, figsize=(8.0, 3.6))
    steps = range(1, T + 1)
    for name, profile in found["models"].items():
        left.semilogy(steps, profile, label=name)
    for (r_min, r_max), (profile, _, _) in found["rings"].items():
        right.semilogy(steps, profile, label=f"|λ| in [{r_min}, {r_max}]")
    left.set_title(f"at initialisation (LRU ring [{DEFAULT_RING[0]}, {DEFAULT_RING[1]}])")
    right.set_title("LRU: the ring decides")
    for ax in (left, right):
        ax.set_xlabel("time step t")
        ax.legend(fontsize="small")
    left.set_ylabel("‖∂L/∂s_t‖ / ‖∂L/∂s_T‖ (log scale)")
    right.set_ylim(bottom=1e-40)
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def sci(value: float) -> str:
    """A positive number as '3.1 × 10⁻⁵' for prose."""
    mantissa, exponent = f"{value:.1e}".split("e")
    digits = str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mantissa} × 10{digits}"


# --8<-- [start:main]
if __name__ == "__main__":
    found = measure()
    print(f"||dL/ds_t|| / ||dL/ds_T|| at initialisation, T = {T}, loss at the last step, float64")
    print(f"{'model':>12s}" + "".join(f"{'t = ' + str(t):>11s}" for t in SHOWN))
    for name, profile in found["models"].items():
        print(f"{name:>12s}" + "".join(f"{profile[t - 1].item():11.2e}" for t in SHOWN))

    print("\nLRU: the ring r_min <= |λ| <= r_max at initialisation")
    print(f"{'ring':>17s} {'R = t1/tT':>10s} {'min|λ|^99':>10s} {'max|λ|^99':>10s}  inside")
    values = {}
    for (r_min, r_max), (profile, low, high) in found["rings"].items():
        ratio = profile[0].item()
        inside = low ** (T - 1) <= ratio * (1 + 1e-9) and ratio <= high ** (T - 1) * (1 + 1e-9)
        print(
            f"  [{r_min:6.4f}, {r_max:6.4f}] {ratio:10.2e} {low ** (T - 1):10.2e}"
            f" {high ** (T - 1):10.2e}  {inside}"
        )
        values[f"ring_{str(r_min).replace('.', '')}"] = sci(ratio)
    models = found["models"]
    values |= {
        "lru_ratio": sci(models["LRU"][0].item()),
        "tanh_ratio": sci(models["tanh RNN"][0].item()),
        "lstm_h_ratio": sci(models["LSTM, h_t"][0].item()),
        "lstm_c_ratio": sci(models["LSTM, c_t"][0].item()),
    }
    with open("lru_profiles.json", "w", encoding="utf-8") as f:
        json.dump(values, f, indent=1, ensure_ascii=False)
    plot(found)
# --8<-- [end:main]
