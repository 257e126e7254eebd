"""The gradient-health monitor on three real runs: one explodes, one vanishes, one is healthy.

- exploding: the exploding-gradients chapter's run (ReLU RNN, running-sum task, W_hh = 1.1 Q,
  SGD at lr = 0.1), which turns NaN at step 31;
- healthy: the same model and data at lr = 0.01;
- vanishing: the vanishing-gradients chapter's recall task with the bit 40 steps back
  (tanh RNN, PyTorch's default initialisation, SGD at lr = 0.1), whose loss never leaves 1.

All three go through the same training loop, written in the order the monitor needs.

Run: python monitor_runs.py   (prints the three diagnoses, writes monitor_runs.svg
and monitor_runs_table.md; needs grad_monitor.py, step_grads.py, exploding_run.py and
long_range_training.py beside it)
"""

import math
from collections.abc import Callable

import exploding_run as er
import long_range_training as lrt
import matplotlib.pyplot as plt
import torch
from grad_monitor import SPIKE_FACTOR, VANISHING_RATIO, GradMonitor
from step_grads import cell_from_rnn, unroll
from torch import nn

STEPS = 300
RECALL_DISTANCE = 40
Batches = Callable[[torch.Generator], tuple[torch.Tensor, torch.Tensor]]


# --8<-- [start:loop]
def monitored_run(
    rnn: nn.RNN, readout: nn.Linear, batches: Batches, *, lr: float, steps: int, seed: int = 0
) -> GradMonitor:
    """SGD on a loss at the last step, with the monitor in the order it needs."""
    model = nn.ModuleDict({"rnn": rnn, "readout": readout})
    cell = cell_from_rnn(rnn)  # shares rnn's weights; unrolled, every h_t stays in the graph
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    data = torch.Generator().manual_seed(seed)
    monitor = GradMonitor()
    for _ in range(steps):
        x, y = batches(data)
        states = unroll(cell, x)
        loss = nn.functional.mse_loss(readout(states[-1]), y)
        if monitor.wants_time_steps():
            monitor.time_steps(loss, states)  # 1. before backward(): needs the graph
        optimizer.zero_grad()
        loss.backward()  # 2.
        monitor.record(loss, model)  # 3. after backward(), before clipping and the step
        if monitor.nonfinite_at is not None:
            break  # nothing sensible left to learn from
        optimizer.step()
    return monitor


# --8<-- [end:loop]


def sum_batches(data: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The exploding run's task: sum of 20 numbers, scaled."""
    return er.make_batch(er.BATCH, er.SEQ_LEN, data)


def recall_batches(data: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The vanishing run's task: recall a bit seen RECALL_DISTANCE steps ago."""
    return lrt.remember_first_bit(lrt.BATCH, RECALL_DISTANCE, data)


def exploding_run(steps: int = STEPS) -> GradMonitor:
    """The exploding chapter's run at lr = 0.1."""
    model = er.make_model(0)
    return monitored_run(model.rnn, model.readout, sum_batches, lr=er.LR_HIGH, steps=steps)


def healthy_run(steps: int = STEPS) -> GradMonitor:
    """The same model and data at lr = 0.01."""
    model = er.make_model(0)
    return monitored_run(model.rnn, model.readout, sum_batches, lr=er.LR_LOW, steps=steps)


def vanishing_run(steps: int = STEPS) -> GradMonitor:
    """The vanishing chapter's recall task, the bit 40 steps back."""
    rnn, readout = lrt.make_model(0)
    return monitored_run(rnn, readout, recall_batches, lr=lrt.LR, steps=steps)


def row(label: str, m: GradMonitor) -> list[str]:
    """One table row: steps run, first and last loss, largest jump, ratio, diagnosis."""
    step, jump = m.largest_jump()
    ratio = m.early_to_late()
    last = m.losses[-1] if m.nonfinite_at is None else m.losses[m.nonfinite_at - 1]
    return [
        label,
        str(len(m.losses)),
        f"{m.losses[0]:.3g} → {last:.3g}",
        f"{jump:.3g}x (step {step})",
        f"{ratio:.1e}",
        f"**{m.diagnose().name}**",
    ]


HEADER = ["run", "steps", "loss (first → last finite)", "largest jump", "early/late", "diagnosis"]


def plot(runs: dict[str, GradMonitor], path: str = "monitor_runs.svg") -> None:
    """Gradient norm per step (top) and early/late ratio per probe (bottom), log scale."""
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 5.2))
    for label, m in runs.items():
        finite = [(s, g) for s, g in enumerate(m.grad_norms) if math.isfinite(g)]
        (line,) = top.plot(*zip(*finite, strict=True), lw=1.0, label=label)
        if m.nonfinite_at is not None:
            s, g = finite[-1]
            top.plot([s], [g], "x", color=line.get_color(), ms=9, mew=2)
            top.annotate(
                f"NaN at step {m.nonfinite_at}",
                (s, g),
                xytext=(8, -4),
                textcoords="offset points",
                color=line.get_color(),
                fontsize="small",
            )
        steps = sorted(m.probes)
        ratios = [(m.probes[s][0] / m.probes[s][-1]).item() for s in steps]
        bottom.plot(steps, ratios, marker="o", ms=3, color=line.get_color(), label=label)
    top.set_yscale("log")
    top.set_ylabel("gradient norm\n(all parameters)")
    top.legend(loc="upper right")
    top.set_title("What the monitor records")
    bottom.axhline(VANISHING_RATIO, color="0.4", lw=0.8, ls=":")
    bottom.text(
        STEPS,
        VANISHING_RATIO * 1.5,
        "vanishing threshold",
        color="0.3",
        fontsize="small",
        ha="right",
        va="bottom",
    )
    bottom.set_yscale("log")
    bottom.set_ylabel("‖∂L/∂h₁‖ / ‖∂L/∂h_T‖")
    bottom.set_xlabel("training step")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    runs = {"exploding": exploding_run(), "vanishing": vanishing_run(), "healthy": healthy_run()}
    for label, monitor in runs.items():
        print(f"{label} run, {len(monitor.losses)} steps:\n  {monitor.diagnose()}\n")
    rows = [row(label, m) for label, m in runs.items()]
    print(f"spike factor {SPIKE_FACTOR:g}, vanishing ratio {VANISHING_RATIO:g}")
    for r in rows:
        print(" | ".join(r).replace("**", ""))
    with open("monitor_runs_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    plot(runs)
# --8<-- [end:main]
