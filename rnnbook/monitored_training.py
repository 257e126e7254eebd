"""A complete training script with the gradient-health monitor in it.

A recurrent network learns the recall task of the vanishing-gradients chapter (a bit at
step 1, noise after it, output the bit at step T; answering 0 scores 1). The training
loop is an ordinary one: the lines marked `# monitor` are all the monitor needs. The same
loop runs in three situations:

- plain float32;
- mixed precision: float16 autocast with a GradScaler, on the CPU. The scaler starts at
  a loss scale of 2**24 on purpose, so that its first steps overflow and are skipped,
  as happens routinely while a GradScaler searches for its scale;
- gradient accumulation: every batch of 32 as 4 micro-batches of 8, one optimizer step.

The model is an nn.RNN; nn.LSTM and nn.GRU work the same way (the tests run all three).
On the CPU, PyTorch 2.13 has no float16 kernel for a fused nn.LSTM, and without AVX-512
no bfloat16 one either.

Run: python monitored_training.py   (prints the runs; writes monitored_training.json)

Taught in docs/diagnosis.md; run by snippets/diagnosis/monitored_training.py.
"""

import math
from collections.abc import Callable

import torch
from torch import nn

from rnnbook import recall
from rnnbook.monitor import PROBE_EVERY, GradMonitor

DISTANCE, HIDDEN, BATCH, STEPS, LR = 10, 32, 32, 200, 0.01
MICRO_BATCHES = 4
Batches = Callable[[torch.Generator], tuple[torch.Tensor, torch.Tensor]]
OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}


class LastStep(nn.Module):
    """A recurrent layer and a linear read-out of its last state."""

    def __init__(self, rnn: nn.Module, readout: nn.Linear):
        super().__init__()
        self.rnn, self.readout = rnn, readout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(x)
        return self.readout(output[:, -1])


def make_model(seed: int = 0, layer: type[nn.Module] = nn.RNN) -> LastStep:
    """nn.RNN (or nn.LSTM, nn.GRU) with 2 inputs and HIDDEN units, PyTorch's default init."""
    torch.manual_seed(seed)
    return LastStep(layer(2, HIDDEN, batch_first=True), nn.Linear(HIDDEN, 1))


def recall_batches(data: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch of the recall task, DISTANCE steps."""
    return recall.remember_first_bit(BATCH, DISTANCE, data)


# --8<-- [start:loop]
def train(
    model: nn.Module,
    batches: Batches,
    *,
    lr: float,
    steps: int,
    optimizer: str = "adam",
    micro_batches: int = 1,
    amp: torch.dtype | None = None,
    init_scale: float = 2.0**16,
    seed: int = 0,
    stop_below: float | None = None,
    probe_every: int = PROBE_EVERY,
) -> GradMonitor:
    """An ordinary training loop; it stops at the first NaN/Inf, before stepping on it,
    and once the mean loss of the last 10 steps is below stop_below (if given)."""
    check_micro_batches(micro_batches)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {optimizer!r}")
    opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler("cpu", init_scale=init_scale, enabled=amp == torch.float16)
    monitor = GradMonitor(model, scaler=scaler, probe_every=probe_every)  # monitor
    data = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x, y = batches(data)
        opt.zero_grad()
        step_loss = 0.0
        check_micro_batches(micro_batches, len(x))  # equal parts: the mean loss stays exact
        for x_part, y_part in zip(x.chunk(micro_batches), y.chunk(micro_batches), strict=True):
            with (
                torch.autocast("cpu", dtype=amp or torch.bfloat16, enabled=amp is not None),
                monitor.probe(),  # monitor: on probe steps the layer runs unrolled
            ):
                prediction = model(x_part)
            loss = nn.functional.mse_loss(prediction.to(y.dtype), y_part) / micro_batches
            scaler.scale(loss).backward()  # hooks record ||dL/dh_t|| on probe steps
            step_loss += loss.item()
        scaler.unscale_(opt)  # no-op without a scaler
        monitor.record(step_loss)  # monitor: unscaled, before clipping, step and update
        if monitor.nonfinite_at is not None:  # monitor
            break
        recent = monitor.losses[-10:]
        if stop_below is not None and len(recent) == 10 and sum(recent) / 10 < stop_below:
            break
        scaler.step(opt)  # skips the step if the scaled gradient overflowed
        scaler.update()
    return monitor


# --8<-- [end:loop]


def check_micro_batches(micro_batches: int, batch_size: int | None = None) -> None:
    """Raise unless micro_batches is a positive integer that splits the batch evenly."""
    if isinstance(micro_batches, bool) or not isinstance(micro_batches, int) or micro_batches < 1:
        raise ValueError(f"micro_batches must be a positive integer, got {micro_batches!r}")
    if batch_size is not None and batch_size % micro_batches:
        raise ValueError(f"a batch of {batch_size} does not split into {micro_batches} equal parts")


def mean(values: list[float]) -> float:
    """Arithmetic mean of the finite values."""
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite)


SEEDS = range(5)
SOLVED = 0.1  # mean loss of the last 20 steps; answering 0 scores 1
SITUATIONS = {
    "float32": {},
    "float16 + GradScaler": {"amp": torch.float16, "init_scale": 2.0**24},
    f"accumulation, {MICRO_BATCHES} x {BATCH // MICRO_BATCHES}": {"micro_batches": MICRO_BATCHES},
}


def describe(name: str, monitor: GradMonitor) -> str:
    """One line: records, probes, skipped steps, loss, verdict."""
    return (
        f"{name}: {len(monitor.losses)} records, {len(monitor.probes)} probes, "
        f"{len(monitor.skipped)} skipped steps; loss {mean(monitor.losses[:20]):.2f} -> "
        f"{mean(monitor.losses[-20:]):.3f}; diagnosis {monitor.diagnose().name}"
    )
