"""What a probe step costs: the monitor's unrolled forward and backward against the fused one.

For nn.RNN, nn.LSTM and nn.GRU (2 inputs, 32 units, batch 32, T = 20, one
thread), time one training step (forward, loss at the last step, backward) with the fused
layer and with the monitor's probe, alternately, REPEATS times after a warm-up, and report
the median ratio of the two times. With one probe every PROBE_EVERY steps, the monitor adds
(ratio - 1) / PROBE_EVERY to the time of training. Times are measurements: they depend on
the machine and on what else runs on it.

Run: python probe_cost.py   (writes probe_cost_timing.md)
"""

import statistics
import time

import torch
from torch import nn

from rnnbook.monitor import PROBE_EVERY, GradMonitor

BATCH, T, HIDDEN, REPEATS, WARM_UP = 32, 20, 32, 40, 5


def step_time(model: nn.ModuleDict, x: torch.Tensor, monitor: GradMonitor | None) -> float:
    """Seconds for one forward and backward, fused (monitor None) or as a probe step."""
    start = time.perf_counter()
    if monitor is None:
        output, _ = model["rnn"](x)
    else:
        monitor.probes.clear()  # every call is a probe step
        with monitor.probe():
            output, _ = model["rnn"](x)
    loss = model["readout"](output[:, -1]).pow(2).mean()
    model.zero_grad()
    loss.backward()
    if monitor is not None:
        monitor.record(loss)
    return time.perf_counter() - start


def cost_ratio(layer: type[nn.Module]) -> float:
    """Median over REPEATS pairs of (probe step time) / (fused step time)."""
    torch.manual_seed(0)
    model = nn.ModuleDict(
        {"rnn": layer(2, HIDDEN, batch_first=True), "readout": nn.Linear(HIDDEN, 1)}
    )
    x = torch.randn(BATCH, T, 2)
    monitor = GradMonitor(model)
    ratios = []
    for i in range(WARM_UP + REPEATS):
        fused, probed = step_time(model, x, None), step_time(model, x, monitor)
        if i >= WARM_UP:
            ratios.append(probed / fused)
    return statistics.median(ratios)


def table(ratios: dict[str, float]) -> str:
    """The measured ratios as a Markdown table."""
    lines = [
        f"| layer | probe step / fused step | added by one probe every {PROBE_EVERY} steps |",
        "|---|---|---|",
    ]
    for name, ratio in ratios.items():
        lines.append(f"| `nn.{name}` | {ratio:.1f} | {(ratio - 1) / PROBE_EVERY:.0%} |")
    return "\n".join(lines) + "\n"


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    layers = (nn.RNN, nn.LSTM, nn.GRU)
    ratios = {layer.__name__: cost_ratio(layer) for layer in layers}
    print(f"batch {BATCH}, T = {T}, {HIDDEN} units, one thread; median of {REPEATS} pairs")
    print("timed: " + ", ".join(ratios) + "; the ratios depend on the machine, so they go")
    print("to probe_cost_timing.md and are not compared with a committed copy")
    with open("probe_cost_timing.md", "w", encoding="utf-8") as out:
        out.write(table(ratios))
# --8<-- [end:main]
