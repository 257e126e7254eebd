"""Chrono initialisation: set the LSTM's forget-gate bias from the time scales you need.

A cell with a constant forget gate f keeps a fraction f of its content per step, so what it
stored k steps ago is weighted by f^k = exp(-k / tau) with tau = -1/log f, about 1/(1 - f)
when f is close to 1: the unit's memory time scale. PyTorch starts every gate bias near 0,
so f is near 1/2 and tau is under 2 steps for every unit. Tallec & Ollivier (2018) derive
from time warping that the gates should instead cover the time scales of the task, and
propose

    b_f = log(u),  u ~ Uniform(1, T_max - 1),      b_i = -b_f,

so that f = u / (1 + u) and 1/(1 - f) = 1 + u lies uniformly between 2 and T_max.

The experiment: the adding problem (adding_task.py) with T = 50, an LSTM with 16 units,
Adam, the same seeds and batches for both initialisations (chrono changes only the
biases), five seeds, stopped when solved (test MSE below 5% of the constant predictor's
1/6) or after 600 steps.

Run: python chrono_init.py   (about ten seconds on one CPU thread; prints the results,
writes chrono_init.svg, chrono_init.csv (one row per run) and chrono_init.json)
"""

import copy
import json
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from rnnbook.adding import adding_batch, constant_baseline_mse
from rnnbook.protocol import SOLVED_FRACTION

HIDDEN, BATCH, LENGTH, LR = 16, 32, 50, 0.03
BUDGET, EVAL_EVERY, TEST_SIZE, TEST_SEED = 600, 25, 256, 12345
SEEDS = (0, 1, 2, 3, 4)
INITS = ("default", "chrono")
BASELINE = float(constant_baseline_mse())  # 1/6: always predict 1
SHOWN_U = (1, 2, 5, 10, 25, 49)


# --8<-- [start:chrono]
def chrono_init_(lstm: nn.LSTM, t_max: float, generator: torch.Generator | None = None) -> None:
    """Tallec & Ollivier's initialisation, in place: b_f = log U(1, t_max - 1), b_i = -b_f.

    PyTorch adds bias_ih and bias_hh inside every gate (order i, f, g, o), so the whole
    bias goes into bias_ih and bias_hh's share is set to 0."""
    if not isinstance(lstm, nn.LSTM):
        raise TypeError(f"chrono_init_ needs an nn.LSTM, got {type(lstm).__name__}")
    if not lstm.bias:
        raise ValueError("the LSTM has no biases (bias=False)")
    if not (isinstance(t_max, int | float) and math.isfinite(t_max) and t_max > 2):
        raise ValueError(f"t_max must be a number > 2, got {t_max!r}")
    H = lstm.hidden_size
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            b_ih, b_hh = getattr(lstm, f"bias_ih_l{layer}"), getattr(lstm, f"bias_hh_l{layer}")
            u = torch.empty(H, dtype=b_ih.dtype).uniform_(1.0, t_max - 1.0, generator=generator)
            b_ih[H : 2 * H] = torch.log(u)  # forget gate
            b_ih[:H] = -torch.log(u)  # input gate
            b_hh[: 2 * H] = 0.0


# --8<-- [end:chrono]


def superscript(log10: float) -> str:
    """10**log10 as '7.4 × 10⁻¹⁷' for the page."""
    exponent = math.floor(log10)
    mantissa = round(10 ** (log10 - exponent), 1)
    if mantissa >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    digits = str(exponent).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mantissa:g} × 10{digits}"


class Adder(nn.Module):
    """An LSTM and a linear read-out of its last state."""

    def __init__(self, init: str, seed: int) -> None:
        super().__init__()
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        torch.manual_seed(seed)  # the same weights for both inits: chrono changes biases only
        self.lstm = nn.LSTM(2, HIDDEN, batch_first=True)
        self.readout = nn.Linear(HIDDEN, 1)
        if init == "chrono":
            chrono_init_(self.lstm, LENGTH, torch.Generator().manual_seed(seed))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.lstm(x)[0][:, -1])[:, 0]


def forget_gates(model: Adder, x: torch.Tensor) -> torch.Tensor:
    """f_t for every sequence, step and unit (batch, T, H), computed in float64."""
    lstm = copy.deepcopy(model.lstm).double()
    H, x = HIDDEN, x.double()
    h = torch.zeros(x.shape[0], H, dtype=torch.float64)
    c, gates = torch.zeros_like(h), []
    with torch.no_grad():
        for t in range(x.shape[1]):
            z = (
                x[:, t] @ lstm.weight_ih_l0.T
                + lstm.bias_ih_l0
                + h @ lstm.weight_hh_l0.T
                + lstm.bias_hh_l0
            )
            i, f, o = z[:, :H].sigmoid(), z[:, H : 2 * H].sigmoid(), z[:, 3 * H :].sigmoid()
            g = z[:, 2 * H : 3 * H].tanh()
            c = f * c + i * g
            h = o * c.tanh()
            gates.append(f)
    return torch.stack(gates, dim=1)


# --8<-- [start:train]
def train(init: str, seed: int, budget: int = BUDGET) -> dict:
    """Adam on fresh batches until the test MSE is below 5% of 1/6, or `budget` steps."""
    model = Adder(init, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    batches = np.random.default_rng(seed)  # the same batches for both inits
    x_test, y_test = map(
        torch.from_numpy, adding_batch(np.random.default_rng(TEST_SEED), TEST_SIZE, LENGTH)
    )
    curve = []
    for step in range(1, budget + 1):
        x, y = map(torch.from_numpy, adding_batch(batches, BATCH, LENGTH))
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % EVAL_EVERY == 0:
            with torch.no_grad():
                curve.append((step, nn.functional.mse_loss(model(x_test), y_test).item()))
            if curve[-1][1] < SOLVED_FRACTION * BASELINE:
                return {"solved_at": step, "curve": curve}
    return {"solved_at": None, "curve": curve}


# --8<-- [end:train]


def plot(runs: dict, path: str = "chrono_init.svg") -> None:
    """Test MSE against step, every seed, both initialisations."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for init, colour in zip(INITS, ("#D55E00", "#0072B2"), strict=True):
        for k, run in enumerate(runs[init]):
            steps, losses = zip(*run["curve"], strict=True)
            ax.plot(
                steps,
                losses,
                color=colour,
                ls="-",
                lw=1.2,
                alpha=0.8,
                label=f"{init} init" if k == 0 else None,
            )
            if run["solved_at"] is not None:
                ax.plot(steps[-1], losses[-1], "o", color=colour, ms=4)
    ax.axhline(BASELINE, color="k", lw=1.0, ls=(0, (4, 2)), label="predict 1 always (1/6)")
    ax.axhline(SOLVED_FRACTION * BASELINE, color="0.45", lw=1.0, ls=":", label="solved below")
    ax.set_yscale("log")
    ax.set_xlim(0, BUDGET)
    ax.set_xlabel("training step")
    ax.set_ylabel("test MSE (log scale)")
    ax.set_title(f"Adding problem, T = {LENGTH}, LSTM with {HIDDEN} units, 5 seeds each")
    ax.legend(loc="lower left", fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    print(f"Chrono initialisation for T_max = {LENGTH}: b_f = log u, u ~ U(1, {LENGTH - 1})")
    print("      u    b_f = log u   f = u/(1+u)   1/(1-f)   tau = -1/log f")
    for u in SHOWN_U:
        f = u / (1 + u)
        print(
            f"  {u:5d}   {math.log(u):11.3f}   {f:11.3f}   {1 / (1 - f):7.1f}   {-1 / math.log(f):14.1f}"
        )

    x_probe = torch.from_numpy(adding_batch(np.random.default_rng(TEST_SEED), TEST_SIZE, LENGTH)[0])
    print(f"\nAt initialisation (seed 0, {TEST_SIZE} test sequences), per unit:")
    print("  init      mean f: median  max    cell path f_2...f_T: median    max")
    values = {}
    for init in INITS:
        f = forget_gates(Adder(init, 0), x_probe)
        mean_f = f.mean(dim=(0, 1))
        path = f[:, 1:].log().sum(dim=1).mean(dim=0).exp()  # geometric mean over sequences
        print(
            f"  {init:8s}  {mean_f.median():12.3f}  {mean_f.max():5.3f}   "
            f"{path.median():22.1e}  {path.max():8.1e}"
        )
        values[f"{init}_f"] = round(mean_f.median().item(), 2)
        values[f"{init}_path"] = superscript(math.log10(path.median().item()))

    runs = {init: [train(init, seed) for seed in SEEDS] for init in INITS}
    print(f"\nTraining: Adam, lr {LR}, batch {BATCH}, at most {BUDGET} steps, {len(SEEDS)} seeds")
    for init in INITS:
        solved = [r["solved_at"] for r in runs[init] if r["solved_at"] is not None]
        line = f"{init} init: solved in {len(solved)} of {len(SEEDS)} seeds within {BUDGET} steps"
        if solved:
            line += f"; steps to solve: median {np.median(solved):.0f} (range {min(solved)} to {max(solved)})"
        print(line)
        values[f"{init}_solved"] = len(solved)
        values[f"{init}_median"] = int(np.median(solved)) if solved else "none"
        values[f"{init}_first"] = min(solved) if solved else "none"
        values[f"{init}_last"] = max(solved) if solved else "none"
    with open("chrono_init.csv", "w", encoding="utf-8") as handle:
        handle.write("init,seed,solved_at_step,steps_run,last_test_mse\n")
        for init in INITS:
            for seed, run in zip(SEEDS, runs[init], strict=True):
                step, mse = run["curve"][-1]
                handle.write(f"{init},{seed},{run['solved_at'] or ''},{step},{mse:.5f}\n")
    values.update(seeds=len(SEEDS), budget=BUDGET)
    with open("chrono_init.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    plot(runs)
# --8<-- [end:main]
