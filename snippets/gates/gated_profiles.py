"""Per-timestep gradient norms of a tanh RNN, an LSTM and a GRU, before and after training,
over five seeds.

The task is the adding problem with T = 20 (adding_task.py): the first of the two marked
values lies in steps 1..10, so the answer needs something from at least 10 steps back.
Each model is a fused PyTorch layer at its default initialisation, trained with Adam
until it solves the task (test MSE below 5% of the 1/6 a constant predictor scores) or
MAX_STEPS have passed; a run that does not solve keeps the whole budget. Before and after,
we unroll a hand-written cell that shares the layer's weights and take ||dL/dh_t|| (and
||dL/dc_t|| for the LSTM) for every t from one backward pass, on 100 test sequences, in
float64. R is the early/late ratio ||dL/dh_1|| / ||dL/dh_T||.

Run: python gated_profiles.py   (prints the tables, writes gated_profiles.svg and
gated_profiles.json)
"""

import copy
import json
import statistics

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from rnnbook.adding import adding_batch, constant_baseline_mse
from rnnbook.cells import GRUByHand, LSTMByHand, gate_slices, lstm_step, unroll_lstm
from rnnbook.gradients import cell_from_rnn, per_step_grad_norms, unroll
from rnnbook.protocol import SOLVED_FRACTION
from rnnbook.report import median_range

T, HIDDEN, BATCH, LR = 20, 32, 32, 3e-2
MAX_STEPS, EVAL_EVERY, TEST_SIZE, PROBE_SIZE = 300, 25, 500, 100
SEEDS = (0, 1, 2, 3, 4)
KINDS = ("tanh RNN", "LSTM", "GRU")
SOLVED_MSE = SOLVED_FRACTION * float(constant_baseline_mse())
VANISHING_RATIO = 1e-3  # R below this: "vanishing", the diagnosis chapter's threshold


def make_model(kind: str, seed: int = 0) -> tuple[nn.Module, nn.Linear]:
    """A one-layer, batch-first nn.RNN / nn.LSTM / nn.GRU (default init) and a read-out."""
    layers = {"tanh RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
    if kind not in layers:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    torch.manual_seed(seed)
    return layers[kind](2, HIDDEN, batch_first=True), nn.Linear(HIDDEN, 1)


def as_tensors(x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """NumPy batch from adding_batch -> torch tensors."""
    return torch.from_numpy(x), torch.from_numpy(y)


def test_mse(layer: nn.Module, readout: nn.Linear, x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean squared error of the prediction after the last step."""
    with torch.no_grad():
        states, _ = layer(x)
        return ((readout(states[:, -1])[:, 0] - y) ** 2).mean().item()


# --8<-- [start:profile]
def gradient_profile(
    layer: nn.Module,
    readout: nn.Linear,
    x: torch.Tensor,
    y: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """||dL/dh_t|| / ||dL/dh_T|| (LSTM: also for c_t), t = 1..T, in float64."""
    layer = copy.deepcopy(layer).double()  # a float64 copy: training is untouched
    readout = copy.deepcopy(readout).double()
    x, y = x.double(), y.double()
    if isinstance(layer, nn.LSTM):
        hs, cs = unroll_lstm(LSTMByHand(layer), x)
        states = hs + cs  # one backward pass for all 2T gradients
    elif isinstance(layer, nn.GRU):
        hs = states = unroll(GRUByHand(layer), x)
    else:
        hs = states = unroll(cell_from_rnn(layer), x)
    loss = 0.5 * ((readout(hs[-1])[:, 0] - y) ** 2).mean()
    norms = per_step_grad_norms(loss, states)
    h, c = norms[: x.shape[1]], norms[x.shape[1] :]
    return {"h": h / h[-1]} | ({"c": c / c[-1]} if len(c) else {})


# --8<-- [end:profile]


def keep_gate(layer: nn.Module, x: torch.Tensor) -> tuple[float, float] | None:
    """Forget gate f_t (LSTM) or update gate u_t (GRU) over x: mean, and the most open unit's."""
    if isinstance(layer, nn.RNN):
        return None
    with torch.no_grad():
        h = x.new_zeros(x.shape[0], HIDDEN)
        c, kept = torch.zeros_like(h), []
        for t in range(x.shape[1]):
            if isinstance(layer, nn.LSTM):
                h, c, gates = lstm_step(layer, x[:, t], h, c)
                kept.append(gates["f"])
            else:
                u = gate_slices(layer)["u"]
                kept.append(torch.sigmoid(x[:, t] @ u["W_x"].T + h @ u["W_h"].T + u["b"]))
                h = GRUByHand(layer)(x[:, t], h)
        kept = torch.stack(kept)  # (T, batch, hidden)
        return kept.mean().item(), kept.mean(dim=(0, 1)).max().item()


# --8<-- [start:train]
def train_until_solved(
    layer: nn.Module,
    readout: nn.Linear,
    test: tuple[torch.Tensor, torch.Tensor],
    seed: int = 0,
) -> tuple[int, float]:
    """Adam on fresh batches until test MSE < SOLVED_MSE or MAX_STEPS are done."""
    params = list(layer.parameters()) + list(readout.parameters())
    optimizer = torch.optim.Adam(params, lr=LR)
    rng = np.random.default_rng(seed)
    for step in range(1, MAX_STEPS + 1):
        x, y = as_tensors(*adding_batch(rng, BATCH, T))
        states, _ = layer(x)  # fused kernel: fast; cells are only for measuring
        loss = ((readout(states[:, -1])[:, 0] - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        checked = step % EVAL_EVERY == 0
        if checked and test_mse(layer, readout, *test) < SOLVED_MSE:
            break  # solved
    return step, test_mse(layer, readout, *test)


# --8<-- [end:train]


def run(seed: int = 0) -> dict[str, dict[str, object]]:
    """For each kind: profiles at init and after training, steps, test MSE, keep gate."""
    test = as_tensors(*adding_batch(np.random.default_rng(1000 + seed), TEST_SIZE, T))
    probe = (test[0][:PROBE_SIZE], test[1][:PROBE_SIZE])
    found = {}
    for kind in KINDS:
        layer, readout = make_model(kind, seed)
        before = gradient_profile(layer, readout, *probe)
        kept_before = keep_gate(layer, probe[0])
        steps, mse = train_until_solved(layer, readout, test, seed)
        found[kind] = {
            "init": before,
            "trained": gradient_profile(layer, readout, *probe),
            "steps": steps,
            "mse": mse,
            "solved": mse < SOLVED_MSE,
            "kept": (kept_before, keep_gate(layer, probe[0])),
        }
    return found


def profiles_of(runs: list[dict], kind: str, when: str, state: str) -> np.ndarray:
    """The (seeds, T) array of one model's profiles."""
    return np.array([r[kind][when][state].numpy() for r in runs])


def plot(runs: list[dict], path: str = "gated_profiles.svg") -> None:
    """Left, at initialisation: per model and state, the median over seeds (line) and the
    range (band). Right, after training: every run, full colour if it solved the task."""
    fig, axes = plt.subplots(1, 2, sharey=True, figsize=(8.0, 3.8))
    t = np.arange(1, T + 1)
    cycle = plt.rcParams["axes.prop_cycle"].by_key()
    series = [
        (kind, state) for kind in KINDS for state in (("h", "c") if kind == "LSTM" else ("h",))
    ]
    for ax in axes:
        ax.axvspan(1, T // 2, color="0.93", lw=0)  # where the first marked value can be
    for (kind, state), color, style in zip(
        series, cycle["color"], cycle["linestyle"], strict=False
    ):
        label = f"{kind}: ‖∂L/∂{state}ₜ‖"
        p = profiles_of(runs, kind, "init", state)
        axes[0].plot(t, np.median(p, axis=0), color=color, ls=style, label=label)
        axes[0].fill_between(t, p.min(axis=0), p.max(axis=0), color=color, alpha=0.15, lw=0)
        for r in runs:
            solved = r[kind]["solved"]
            axes[1].plot(
                t,
                r[kind]["trained"][state].numpy(),
                color=color,
                ls=style,
                lw=1.4 if solved else 0.9,
                alpha=0.95 if solved else 0.3,
            )
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlim(1, T)
    axes[0].set_title(f"at initialisation ({len(runs)} seeds: median, range)", fontsize="small")
    axes[1].set_title("after training: every run (faint: not solved)", fontsize="small")
    axes[0].set_ylabel(f"‖∂L/∂hₜ‖ / ‖∂L/∂h_T‖   (T = {T}, log scale)")
    axes[0].set_ylim(1e-9, 1e3)
    axes[0].legend(loc="lower right", fontsize="small")
    axes[0].text(T // 4, 3e2, "first marked\nvalue in here", ha="center", va="top", fontsize=8)
    fig.supxlabel(
        f"time step t   (adding problem, T = {T}; the loss reads the last state)", fontsize="medium"
    )
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    runs = [run(seed) for seed in SEEDS]
    n = len(runs)
    print(f"Adding problem, T = {T}; solved = test MSE below {SOLVED_MSE:.5f} (5% of 1/6)")
    print(f"Adam, lr {LR:g}, batch {BATCH}, at most {MAX_STEPS} steps, hidden size {HIDDEN},")
    print(f"seeds {SEEDS[0]}-{SEEDS[-1]}; median (range) over the runs")
    print("\nmodel      solved   steps to solve")
    values = {"seeds": n, "T": T, "max_steps": MAX_STEPS}
    for kind in KINDS:
        key = kind.split()[-1]
        solved = [r[kind]["steps"] for r in runs if r[kind]["solved"]]
        print(f"{kind:9s}  {len(solved)} of {n}   {median_range(solved, '{:.0f}', ' to ')}")
        values[f"solved_{key}"] = len(solved)
        if solved:
            values[f"median_steps_{key}"] = round(statistics.median(solved))
    rnn_mse = [r["tanh RNN"]["mse"] for r in runs]
    print(
        f"tanh RNN, test MSE after {MAX_STEPS} steps: {median_range(rnn_mse, '{:.3f}', ' to ')}; "
        f"a constant scores {float(constant_baseline_mse()):.3f}"
    )
    values["rnn_mse"] = round(statistics.median(rnn_mse), 3)

    print(f"\nR = ||dL/dh_1|| / ||dL/dh_{T}|| on {PROBE_SIZE} test sequences (c: the LSTM's cell)")
    print("at initialisation, every run:")
    states = [
        (kind, state) for kind in KINDS for state in (("h", "c") if kind == "LSTM" else ("h",))
    ]
    for kind, state in states:
        ratios = [float(r[kind]["init"][state][0]) for r in runs]
        print(f"  {kind:8s} {state}: {median_range(ratios, '{:.1e}', ' to ')}")
    print("after training, the runs that solved the task:")
    for kind, state in states:
        ratios = [float(r[kind]["trained"][state][0]) for r in runs if r[kind]["solved"]]
        if ratios:
            print(f"  {kind:8s} {state}: {median_range(ratios, '{:.2f}', ' to ')}")
            values[f"trained_ratio_{kind.split()[-1]}_{state}"] = round(
                statistics.median(ratios), 2
            )
    # The smallest R of the trained tanh RNN depends on the CPU's kernels by orders of
    # magnitude (its training is chaotic); the largest does not: print that one.
    log_r = [float(np.log10(r["tanh RNN"]["trained"]["h"][0])) for r in runs]
    print(f"after training, the tanh RNN: largest R over the runs 10^{max(log_r):.1f}")
    values["rnn_log10_max"] = round(max(log_r), 1)

    print(
        f"\nRuns with R below {VANISHING_RATIO:g} ('vanishing' for the diagnosis chapter's monitor):"
    )
    for kind in KINDS:
        key = kind.split()[-1]
        low = {
            when: [float(r[kind][when]["h"][0]) < VANISHING_RATIO for r in runs]
            for when in ("init", "trained")
        }
        solved = [r[kind]["solved"] for r in runs]
        among = sum(v for v, s in zip(low["trained"], solved, strict=True) if s)
        print(
            f"  {kind:9s} at init: {sum(low['init'])} of {n}   after training: "
            f"{sum(low['trained'])} of {n}   ({among} of the {sum(solved)} solved runs)"
        )
        values |= {
            f"vanishing_init_{key}": sum(low["init"]),
            f"vanishing_trained_{key}": sum(low["trained"]),
        }

    print("\nKeep gate (LSTM: forget gate f_t, GRU: update gate u_t), mean over steps,")
    print("in the runs that solved the task:")
    print("       all units, init     all units, trained   most open unit, trained")
    for kind in ("LSTM", "GRU"):
        done = [r[kind]["kept"] for r in runs if r[kind]["solved"]]
        if not done:
            print(f"{kind:5s}  no run solved the task")
            continue
        mean_0 = [k[0][0] for k in done]
        mean_1 = [k[1][0] for k in done]
        top_1 = [k[1][1] for k in done]
        print(
            f"{kind:5s}  {median_range(mean_0, '{:.2f}', ' to '):18s}  {median_range(mean_1, '{:.2f}', ' to '):19s}"
            f"  {median_range(top_1, '{:.2f}', ' to ')}"
        )
        values |= {
            f"keep_init_{kind}": round(statistics.median(mean_0), 2),
            f"keep_trained_{kind}": round(statistics.median(mean_1), 2),
            f"top_keep_min_{kind}": f"{100 * min(top_1):.0f}%",
        }
    with open("gated_profiles.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1)
        handle.write("\n")
    plot(runs)
# --8<-- [end:main]
