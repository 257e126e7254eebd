"""The gradient-health monitor on three kinds of real run, five seeds each.

- exploding: the exploding-gradients chapter's run (ReLU RNN, running-sum task,
  W_hh = 1.1 Q, SGD at lr = 0.1);
- vanishing: the vanishing-gradients chapter's recall task with the bit 40 steps back
  (tanh RNN, PyTorch's default initialisation, SGD at lr = 0.1);
- healthy: the same recall task with the bit 5 steps back, same model and learning rate.

Every run goes through the training loop of monitored_training.py, seeds 0-4 (the seed
sets the initial weights and the data). For each kind: in how many seeds the monitor
names it correctly, and the measurements behind the verdict, as median and range.

Run: python monitor_runs.py   (prints the summary; writes monitor_runs.svg,
monitor_runs_table.md and monitor_runs.json)
"""

import json
import math

import matplotlib.pyplot as plt
import torch

from rnnbook import exploding, recall
from rnnbook.monitor import SPIKE_FACTOR, VANISHING_RATIO, GradMonitor
from rnnbook.monitored_training import LastStep, train
from rnnbook.report import median_range

SEEDS = range(5)
STEPS = 200
FAR, NEAR = 40, 5  # recall distances of the vanishing and the healthy run


def sum_batches(data: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The exploding run's task: the sum of 20 numbers, scaled to variance 1."""
    return exploding.make_batch(exploding.BATCH, exploding.SEQ_LEN, data)


def far_recall(data: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The vanishing run's task: recall a bit seen FAR steps ago."""
    return recall.remember_first_bit(recall.BATCH, FAR, data)


def near_recall(data: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """The healthy run's task: recall a bit seen NEAR steps ago."""
    return recall.remember_first_bit(recall.BATCH, NEAR, data)


# --8<-- [start:runs]
def exploding_run(seed: int, steps: int = STEPS) -> GradMonitor:
    """The exploding chapter's run at lr = 0.1."""
    model = exploding.make_model(seed)
    return train(model, sum_batches, lr=exploding.LR_HIGH, steps=steps, optimizer="sgd", seed=seed)


def vanishing_run(seed: int, steps: int = STEPS) -> GradMonitor:
    """The vanishing chapter's recall task, the bit 40 steps back."""
    model = LastStep(*recall.make_model(seed))
    return train(model, far_recall, lr=recall.LR, steps=steps, optimizer="sgd", seed=seed)


def healthy_run(seed: int, steps: int = STEPS) -> GradMonitor:
    """The same task and model, the bit 5 steps back."""
    model = LastStep(*recall.make_model(seed))
    return train(model, near_recall, lr=recall.LR, steps=steps, optimizer="sgd", seed=seed)


RUNS = {"exploding": exploding_run, "vanishing": vanishing_run, "healthy": healthy_run}
# --8<-- [end:runs]


def last_loss(m: GradMonitor, width: int = 20) -> float:
    """Mean of the last `width` finite losses."""
    finite = [loss for loss in m.losses if math.isfinite(loss)][-width:]
    return sum(finite) / len(finite)


def summary(runs: dict[str, list[GradMonitor]]) -> tuple[list[str], dict[str, object]]:
    """Lines to print and the values the page quotes."""
    n = len(SEEDS)
    named = {kind: sum(m.diagnose().name == kind for m in ms) for kind, ms in runs.items()}
    boom = runs["exploding"]
    nan_steps = [m.nonfinite_at for m in boom if m.nonfinite_at is not None]
    spikes = [m.first_spike() for m in boom]
    warned = [
        m.nonfinite_at - s[0] for m, s in zip(boom, spikes, strict=True) if s and m.nonfinite_at
    ]
    calm_jumps = [m.largest_jump()[1] for m in runs["healthy"]]
    boom_jumps = [m.largest_jump()[1] for m in boom]
    ratios = {kind: [m.early_to_late() for m in ms] for kind, ms in runs.items()}
    values = {
        "seeds": n,
        "exploding_named": named["exploding"],
        "vanishing_named": named["vanishing"],
        "healthy_named": named["healthy"],
        "nan_seeds": len(nan_steps),
        "nan_step": median_range(nan_steps, "{:.0f}"),
        "warning_steps": median_range(warned, "{:.0f}"),
        "warned_seeds": len(warned),
        "healthy_jump": median_range(calm_jumps, "{:.2g}"),
        "healthy_jump_max": f"{max(calm_jumps):.2g}",
        "exploding_jump_min": f"{min(boom_jumps):.0e}",
        "vanishing_ratio": median_range(ratios["vanishing"], "{:.0e}"),
        "vanishing_ratio_max": f"{max(ratios['vanishing']):.0e}",
        "healthy_ratio": median_range(ratios["healthy"], "{:.2f}"),
        "healthy_loss": median_range([last_loss(m) for m in runs["healthy"]], "{:.2f}"),
        "vanishing_loss": median_range([last_loss(m) for m in runs["vanishing"]], "{:.2f}"),
    }
    lines = [
        f"seeds {SEEDS.start}-{SEEDS.stop - 1}; spike factor {SPIKE_FACTOR:g}, "
        f"vanishing ratio {VANISHING_RATIO:g}",
        f"exploding: named exploding in {named['exploding']} of {n} seeds; NaN in "
        f"{len(nan_steps)} of {n}, at step {values['nan_step']}; flagged in {len(warned)} "
        f"of {n}, {values['warning_steps']} steps before the NaN; every run jumped more "
        f"than {values['exploding_jump_min']}x",
        f"vanishing: named vanishing in {named['vanishing']} of {n} seeds; early/late "
        f"{values['vanishing_ratio']}; loss, last 20 steps {values['vanishing_loss']}",
        f"healthy: named healthy in {named['healthy']} of {n} seeds; largest jump "
        f"{values['healthy_jump']}x; early/late {values['healthy_ratio']}; loss, last 20 "
        f"steps {values['healthy_loss']}",
    ]
    return lines, values


HEADER = ["run", "named correctly", "NaN", "largest jump", "early/late", "loss, last 20 steps"]


def table(runs: dict[str, list[GradMonitor]]) -> str:
    """One row per kind of run: median (range) over the seeds."""
    rows = []
    for kind, ms in runs.items():
        nans = [m.nonfinite_at for m in ms if m.nonfinite_at is not None]
        jumps = [m.largest_jump()[1] for m in ms]
        rows.append(
            [
                kind,
                f"{sum(m.diagnose().name == kind for m in ms)} of {len(ms)}",
                f"{len(nans)} of {len(ms)}"
                + (f", step {median_range(nans, '{:.0f}')}" if nans else ""),
                f"more than {min(jumps):.0e}x" if nans else median_range(jumps, "{:.2g}") + "x",
                median_range([m.early_to_late() for m in ms], "{:.0e}"),
                "-" if nans else median_range([last_loss(m) for m in ms], "{:.2f}"),
            ]
        )
    head = "| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n"
    return head + "".join("| " + " | ".join(r) + " |\n" for r in rows)


def plot(runs: dict[str, list[GradMonitor]], path: str = "monitor_runs.svg") -> None:
    """Gradient norm per step (top) and early/late ratio per probe (bottom), every seed."""
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 5.2))
    styles = zip(["C1", "C0", "C2"], ["-", "--", ":"], strict=True)
    for (label, ms), (colour, ls) in zip(runs.items(), styles, strict=True):
        for i, m in enumerate(ms):
            finite = [(s, g) for s, g in enumerate(m.grad_norms) if math.isfinite(g)]
            top.plot(
                *zip(*finite, strict=True),
                lw=0.8,
                alpha=0.6,
                color=colour,
                ls=ls,
                label=label if i == 0 else None,
            )
            if m.nonfinite_at is not None:
                top.plot(*finite[-1], "x", color=colour, ms=6, mew=1.5)
            steps = sorted(m.probes)
            ratios = [(m.probes[s][0] / m.probes[s][-1]).item() for s in steps]
            bottom.plot(steps, ratios, marker="o", ms=2.5, lw=0.8, alpha=0.6, color=colour, ls=ls)
    top.set_yscale("log")
    top.set_ylabel("gradient norm\n(all parameters)")
    top.legend(loc="upper right")
    top.set_title(
        f"What the monitor records, seeds {SEEDS.start}-{SEEDS.stop - 1} (x: the last step before a NaN)"
    )
    bottom.axhline(VANISHING_RATIO, color="0.4", lw=0.8, ls=":")
    bottom.text(
        0.99,
        VANISHING_RATIO * 1.5,
        "vanishing threshold",
        color="0.3",
        fontsize="small",
        ha="right",
        va="bottom",
        transform=bottom.get_yaxis_transform(),
    )
    bottom.set_yscale("log")
    bottom.set_ylabel("‖∂L/∂h₁‖ / ‖∂L/∂h_T‖")
    bottom.set_xlabel("training step")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    runs = {kind: [run(seed) for seed in SEEDS] for kind, run in RUNS.items()}
    lines, values = summary(runs)
    print("\n".join(lines))
    print("\nseed 0, what diagnose() says:")
    for kind, ms in runs.items():
        print(f"{kind}: {ms[0].diagnose()}")
    with open("monitor_runs_table.md", "w", encoding="utf-8") as out:
        out.write(table(runs))
    with open("monitor_runs.json", "w", encoding="utf-8") as out:
        json.dump(values, out, indent=1, ensure_ascii=False)
        out.write("\n")
    plot(runs)
# --8<-- [end:main]
