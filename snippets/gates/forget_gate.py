"""The cell path of an LSTM: the gradient along c_t is multiplied by f_t at every step.

Along the direct path c_{t-1} -> c_t = f_t * c_{t-1} + i_t * g_t the Jacobian is diag(f_t),
so after T steps the cell path carries prod_t f_t: geometric decay whenever f_t < 1. The
other paths leave c_{t-1} through h_{t-1} = o_{t-1} * tanh(c_{t-1}) and come back through
the gates' recurrent matrices, like a vanilla RNN's. We measure both at initialisation,
on adding-problem inputs with T = 100, for several forget-gate biases:

  cell path only   the gates read h_{t-1}.detach(), so the gradient can only travel along c
  all paths        the ordinary LSTM

Run: python forget_gate.py   (prints the table, writes forget_gate.svg and forget_gate.json)
"""

import json
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from rnnbook.adding import adding_batch
from rnnbook.cells import lstm_step, set_forget_bias

T, BATCH, INPUT, HIDDEN = 100, 64, 2, 32
FORGET_BIASES = {"PyTorch default": None, "b_f = 1": 1.0, "b_f = 3": 3.0, "b_f = 5": 5.0}


def make_lstm(forget_bias: float | None, seed: int = 0) -> tuple[nn.LSTM, nn.Linear]:
    """An nn.LSTM and a read-out in float64, default init except the forget bias if given."""
    torch.manual_seed(seed)
    lstm = nn.LSTM(INPUT, HIDDEN, batch_first=True).double()
    readout = nn.Linear(HIDDEN, 1).double()
    if forget_bias is not None:
        set_forget_bias(lstm, forget_bias)
    return lstm, readout


def adding_inputs(seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """BATCH adding-problem sequences of length T, float64."""
    x, y = adding_batch(np.random.default_rng(seed), BATCH, T)
    return torch.from_numpy(x).double(), torch.from_numpy(y).double()


# --8<-- [start:measure]
def cell_gradients(
    lstm: nn.LSTM,
    readout: nn.Linear,
    x: torch.Tensor,
    y: torch.Tensor,
    cell_path_only: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """dL/dc_t, t = 1..T, from one backward pass (T, batch, H); the gates f_t."""
    if x.dim() != 3 or y.shape != (x.shape[0],):
        got = f"{tuple(x.shape)}, {tuple(y.shape)}"
        raise ValueError(f"need x (batch, T, input) and y (batch,), got {got}")
    h = c = x.new_zeros(x.shape[0], lstm.hidden_size)
    cells, forget = [], []
    for t in range(x.shape[1]):
        seen = h.detach() if cell_path_only else h  # detached: no way back
        h, c, gates = lstm_step(lstm, x[:, t], seen, c)
        cells.append(c)
        forget.append(gates["f"].detach())
    loss = 0.5 * ((readout(h)[:, 0] - y) ** 2).mean()  # adding problem, at T
    grads = torch.autograd.grad(loss, cells)  # like step_grads, keeping vectors
    return torch.stack(grads), torch.stack(forget)


def relative_norms(grads: torch.Tensor) -> torch.Tensor:
    """||dL/dc_t|| / ||dL/dc_T||, t = 1..T, from the (T, batch, H) gradients."""
    if grads.dim() != 3:
        raise ValueError(f"need gradients (T, batch, H), got {tuple(grads.shape)}")
    norms = grads.flatten(1).norm(dim=1)
    return norms / norms[-1]


# --8<-- [end:measure]


# --8<-- [start:by_hand]
def cell_path_by_hand(forget: torch.Tensor, grad_c_T: torch.Tensor) -> torch.Tensor:
    """||(f_{t+1} * ... * f_T) * dL/dc_T||, t = 1..T: the cell path by hand."""
    if forget.dim() != 3 or forget.shape[1:] != grad_c_T.shape:
        got = f"{tuple(forget.shape)}, {tuple(grad_c_T.shape)}"
        raise ValueError(f"need f (T, batch, H) and dL/dc_T (batch, H), got {got}")
    if ((forget < 0) | (forget > 1)).any():
        raise ValueError("forget-gate values must lie in [0, 1]")
    later = torch.ones_like(forget)  # later[t] = product of f after step t
    for t in range(forget.shape[0] - 2, -1, -1):
        later[t] = later[t + 1] * forget[t + 1]
    return (later * grad_c_T).flatten(1).norm(dim=1)


# --8<-- [end:by_hand]


def geometric_mean(values: torch.Tensor) -> float:
    """exp(mean(log v)): the constant factor whose power matches the product on average."""
    if not (values > 0).all():
        raise ValueError("a geometric mean needs positive values")
    return values.log().mean().exp().item()


def most_open_unit(forget: torch.Tensor) -> float:
    """The largest per-unit geometric mean of f_t (over time and batch): it decays slowest."""
    return forget.log().mean(dim=(0, 1)).exp().max().item()


def measure(seed: int = 0) -> dict[str, dict[str, object]]:
    """Per initialisation: profiles (relative to t = T) for both graphs, and the gate values."""
    x, y = adding_inputs()
    found = {}
    for name, bias in FORGET_BIASES.items():
        lstm, readout = make_lstm(bias, seed)
        cell_only, forget = cell_gradients(lstm, readout, x, y, cell_path_only=True)
        every, _ = cell_gradients(lstm, readout, x, y, cell_path_only=False)
        found[name] = {
            "cell path only": relative_norms(cell_only),
            "all paths": relative_norms(every),
            "forget": forget,
            "grad_c_T": cell_only[-1],
        }
    return found


def plot(found: dict[str, dict[str, object]], path: str = "forget_gate.svg") -> None:
    """||dL/dc_t|| / ||dL/dc_T|| against t: cell path only (with f-bar^(T-t)), all paths."""
    fig, axes = plt.subplots(1, 2, sharey=True, figsize=(8.0, 3.6))
    t = np.arange(1, T + 1)
    styles = ("-", "--", "-.", (0, (6, 1.5)))  # the reference lines below are dotted
    for ax, graph in zip(axes, ("cell path only", "all paths"), strict=True):
        for (name, row), style in zip(found.items(), styles, strict=True):
            (line,) = ax.plot(t, row[graph].numpy(), ls=style, label=name)
            if graph == "cell path only":
                f_j = most_open_unit(row["forget"])
                ax.plot(t, f_j ** (T - t), color=line.get_color(), lw=1.0, ls=":")
        ax.set_yscale("log")
        ax.set_title(graph)
    axes[0].set_ylim(1e-27, 1e3)
    axes[0].set_yticks([10.0**k for k in range(-25, 1, 5)])
    axes[0].set_ylabel("‖∂L/∂cₜ‖ / ‖∂L/∂c₁₀₀‖  (log scale)")
    axes[0].plot([], [], color="0.3", lw=1.0, ls=":", label="most open unit: f̄ⱼ^(T−t)")
    axes[0].legend(loc="lower right", fontsize="small")
    fig.supxlabel("time step t   (the loss reads h₁₀₀)", fontsize="medium")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    found = measure()
    print(f"LSTM at initialisation, adding-problem inputs, T = {T}, loss at T")
    print("ratio = ||dL/dc_1|| / ||dL/dc_T||; f-bar = geometric mean of all f_t;")
    print("f-bar_j = the same for unit j alone")
    print("                         f-bar^99  max f-bar_j^99   ratio, cell  ratio, all")
    print("init              f-bar (average)  (most open unit)   path only       paths")
    for name, row in found.items():
        f = row["forget"]
        f_bar, f_j = geometric_mean(f), most_open_unit(f)
        print(
            f"{name:16s}  {f_bar:5.3f}  {f_bar ** (T - 1):7.1e}  {f_j ** (T - 1):16.1e}"
            f"  {row['cell path only'][0]:10.1e}  {row['all paths'][0]:10.1e}"
        )
    print("\nThe forget gate's own slope f(1 - f), mean over steps and units:")
    for name, row in found.items():
        f = row["forget"]
        print(f"  {name:16s}  {(f * (1 - f)).mean().item():.4f}")
    print()
    values = {}
    for bias in (1.0, 3.0, 5.0):
        f = 1 / (1 + math.exp(-bias))
        print(f"sigmoid({bias:g}) = {f:.4f}: a factor e lost every {1 / -math.log(f):.1f} steps")
        values[f"time_constant_{bias:g}"] = round(1 / -math.log(f), 1)
    every = {name: row["all paths"][0].item() for name, row in found.items()}
    values |= {
        "default_all_orders": math.floor(-math.log10(every["PyTorch default"])),
        "growth_5": round(every["b_f = 5"]),
        "slope_5": round(
            (found["b_f = 5"]["forget"] * (1 - found["b_f = 5"]["forget"])).mean().item(), 4
        ),
    }
    with open("forget_gate.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1)
        handle.write("\n")
    plot(found)
# --8<-- [end:main]
