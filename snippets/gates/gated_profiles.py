"""Per-timestep gradient norms of a tanh RNN, an LSTM and a GRU, before and after training.

The task is the adding problem with T = 30 (adding_task.py): the first of the two marked
values lies in steps 1..15, so the answer needs something from at least 15 steps back.
Each model is a fused PyTorch layer at its default initialisation, trained with Adam
until it solves the task (test MSE below 5% of the 1/6 a constant predictor scores) or
MAX_STEPS have passed. Before and after, we unroll a hand-written cell that shares the
layer's weights and take ||dL/dh_t|| (and ||dL/dc_t|| for the LSTM) for every t from one
backward pass, on 100 test sequences, in float64.

Run: python gated_profiles.py   (prints the table, writes gated_profiles.svg; needs
gate_cells.py, step_grads.py, grad_monitor.py and adding_task.py beside it)
"""

import copy

import matplotlib.pyplot as plt
import numpy as np
import torch
from adding_task import SOLVED_FRACTION, adding_batch, constant_baseline_mse
from gate_cells import GRUByHand, LSTMByHand, unroll_lstm
from grad_monitor import VANISHING_RATIO
from step_grads import cell_from_rnn, per_step_grad_norms, unroll
from torch import nn

T, HIDDEN, BATCH, LR = 30, 32, 32, 1e-2
MAX_STEPS, EVAL_EVERY, TEST_SIZE, PROBE_SIZE = 600, 25, 500, 100
KINDS = ("tanh RNN", "LSTM", "GRU")
SOLVED_MSE = SOLVED_FRACTION * float(constant_baseline_mse())


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
    """Forget gate f_t (LSTM) or update gate z_t (GRU) over x: mean, and the most open unit's."""
    if isinstance(layer, nn.RNN):
        return None
    from gate_cells import gate_slices, lstm_step

    with torch.no_grad():
        h = x.new_zeros(x.shape[0], HIDDEN)
        c, kept = torch.zeros_like(h), []
        for t in range(x.shape[1]):
            if isinstance(layer, nn.LSTM):
                h, c, gates = lstm_step(layer, x[:, t], h, c)
                kept.append(gates["f"])
            else:
                z = gate_slices(layer)["z"]
                kept.append(torch.sigmoid(x[:, t] @ z["W_x"].T + h @ z["W_h"].T + z["b"]))
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
            "kept": (kept_before, keep_gate(layer, probe[0])),
        }
    return found


def plot(found: dict[str, dict[str, object]], path: str = "gated_profiles.svg") -> None:
    """Two panels (at initialisation, after training): one line per model and state."""
    fig, axes = plt.subplots(1, 2, sharey=True, figsize=(8.0, 3.8))
    t = np.arange(1, T + 1)
    for ax, when in zip(axes, ("init", "trained"), strict=True):
        ax.axvspan(1, T // 2, color="0.93", lw=0)  # where the first marked value can be
        for kind in KINDS:
            profile = found[kind][when]
            ax.plot(t, profile["h"].numpy(), label=f"{kind}: ‖∂L/∂hₜ‖")
            if "c" in profile:
                ax.plot(t, profile["c"].numpy(), label=f"{kind}: ‖∂L/∂cₜ‖")
        ax.set_yscale("log")
        ax.set_xlim(1, T)
    axes[0].set_title("at initialisation")
    trained = ", ".join(f"{k} {found[k]['steps']}" for k in KINDS)
    axes[1].set_title(f"after training (steps: {trained})", fontsize="small")
    axes[0].set_ylabel("‖∂L/∂sₜ‖ / ‖∂L/∂s₃₀‖  (log scale)")
    axes[0].set_ylim(1e-9, 1e2)
    axes[0].legend(loc="lower right", fontsize="small")
    axes[0].text(T // 4, 3e1, "first marked\nvalue in here", ha="center", va="top", fontsize=8)
    fig.supxlabel(
        "time step t   (adding problem, T = 30; the loss reads the last state)", fontsize="medium"
    )
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    found = run()
    print(f"Adding problem, T = {T}; solved = test MSE below {SOLVED_MSE:.5f} (5% of 1/6)")
    print(f"Adam, lr {LR:g}, batch {BATCH}, at most {MAX_STEPS} steps, hidden size {HIDDEN}")
    print("\nmodel      steps  test MSE  solved")
    for kind, row in found.items():
        print(f"{kind:9s}  {row['steps']:5d}  {row['mse']:8.4f}  {row['mse'] < SOLVED_MSE}")

    print("\nGradient reaching step 1 relative to step 30, on 100 test sequences:")
    print(f"{'':36s}  {'at init':>8s}  {'trained':>8s}")
    for kind, row in found.items():
        print(
            f"{kind + ':':10s}||dL/dh_1|| / ||dL/dh_30||  {row['init']['h'][0]:8.1e}"
            f"  {row['trained']['h'][0]:8.1e}"
        )
        if "c" in row["init"]:
            print(
                f"{kind + ':':10s}||dL/dc_1|| / ||dL/dc_30||  {row['init']['c'][0]:8.1e}"
                f"  {row['trained']['c'][0]:8.1e}"
            )

    print(f"\nThe gradient monitor calls a ratio below {VANISHING_RATIO:g} vanishing:")
    for kind, row in found.items():
        verdicts = [
            "vanishing" if row[when]["h"][0] < VANISHING_RATIO else "not vanishing"
            for when in ("init", "trained")
        ]
        print(f"  {kind:9s} at init: {verdicts[0]:9s}  trained: {verdicts[1]}")

    print("\nKeep gate (LSTM: forget gate f_t, GRU: update gate z_t), mean over steps:")
    print("         all units: init  trained   most open unit: init  trained")
    for kind in ("LSTM", "GRU"):
        (mean_0, top_0), (mean_1, top_1) = found[kind]["kept"]
        print(f"{kind:5s}{mean_0:17.3f}  {mean_1:7.3f}  {top_0:21.3f}  {top_1:7.3f}")
    plot(found)
# --8<-- [end:main]
