"""The benchmark's protocol: the two tasks as PyTorch losses, the settings, the training loop.

One protocol for every model, task and sequence length: Adam, a fixed number of steps, a
fresh batch at every step (the same batches for every model), a fixed test set scored
every 50 steps, fixed seeds, one CPU thread (or the GPU, when there is one). The result
of a run is the test loss after the last step, judged against the memoryless baseline.

Shared by benchmark_adding_vanilla.py, benchmark_adding_gated.py and benchmark_copy.py.

Run: python benchmark_train.py   (a smoke run in a few seconds: all five models on the
adding problem with T = 10)
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from adding_task import adding_batch, constant_baseline_mse
from benchmark_models import KINDS, LABELS, Recurrent, count_parameters
from copy_task import (
    CLASSES,
    SYMBOLS,
    TOKENS,
    copy_batch,
    cross_entropy,
    memoryless_baseline,
    memoryless_log_probs,
)
from torch import nn
from tqdm import tqdm

SOLVED_FRACTION = 0.05  # solved: test loss below 5% of the memoryless baseline
AT_BASELINE_FRACTION = 0.9  # nothing long-range learned: 90% of the baseline or more


# --8<-- [start:tasks]
@dataclass(frozen=True)
class Task:
    """A long-range task: how to draw a batch, how to score outputs, its baseline."""

    name: str
    n_in: int
    n_out: int
    make_batch: Callable[[np.random.Generator, int, int], tuple[np.ndarray, np.ndarray]]
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    baseline: Callable[[int], float]
    loss_name: str
    memoryless: Callable[[np.ndarray, int], float]  # its loss on given targets, length T
    accuracy: Callable[[torch.Tensor, torch.Tensor], float] | None = None


def last_step_mse(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Adding problem: only the output after the last step counts."""
    return nn.functional.mse_loss(outputs[:, -1, 0], targets)


def per_step_cross_entropy(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Copy task: cross-entropy averaged over every step (blanks included)."""
    return nn.functional.cross_entropy(outputs.reshape(-1, CLASSES), targets.reshape(-1))


def recall_accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Copy task: fraction of the ten recalled symbols that are right (1/8 by guessing)."""
    guesses = outputs[:, -SYMBOLS:].argmax(dim=-1)
    return (guesses == targets[:, -SYMBOLS:]).float().mean().item()


def predict_one_mse(targets: np.ndarray, length: int) -> float:
    """Adding problem: MSE of the constant prediction 1 (1/6 in expectation)."""
    return float(np.mean((targets - 1.0) ** 2))


def memoryless_cross_entropy(targets: np.ndarray, length: int) -> float:
    """Copy task: cross-entropy of the memoryless predictor (exactly the baseline)."""
    return cross_entropy(memoryless_log_probs(length), targets)


ADDING = Task(
    name="adding",
    n_in=2,
    n_out=1,
    make_batch=adding_batch,
    loss=last_step_mse,
    baseline=lambda length: float(constant_baseline_mse()),  # 1/6 whatever T is
    loss_name="MSE",
    memoryless=predict_one_mse,
)
COPY = Task(
    name="copy",
    n_in=TOKENS,
    n_out=CLASSES,
    make_batch=copy_batch,
    loss=per_step_cross_entropy,
    baseline=memoryless_baseline,  # 10 ln 8 / (T + 20)
    loss_name="cross-entropy",
    memoryless=memoryless_cross_entropy,
    accuracy=recall_accuracy,
)
# --8<-- [end:tasks]


# --8<-- [start:settings]
@dataclass(frozen=True)
class Settings:
    """Everything that defines a benchmark run besides the task and the models."""

    lengths: tuple[int, ...] = (20, 50, 100)
    steps: int = 1500
    batch: int = 32
    lr: float | tuple[tuple[str, float], ...] = 0.01  # one rate, or (kind, rate) pairs
    clip: float = 1.0  # max gradient norm, for the models that clip
    clipped: tuple[str, ...] = ("tanh_clip",)
    eval_every: int = 50
    test_size: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("steps", "batch", "eval_every", "test_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not self.lengths or any(not isinstance(t, int) or t < 2 for t in self.lengths):
            raise ValueError(f"lengths must be integers >= 2, got {self.lengths!r}")
        if self.steps % self.eval_every:
            raise ValueError("steps must be a multiple of eval_every")
        rates = [rate for _, rate in self.lr] if isinstance(self.lr, tuple) else [self.lr]
        if isinstance(self.lr, tuple) and sorted(kind for kind, _ in self.lr) != sorted(KINDS):
            raise ValueError(f"lr pairs must name every model kind once: {', '.join(KINDS)}")
        for name, value in [*(("lr", rate) for rate in rates), ("clip", self.clip)]:
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not number or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive finite number, got {value!r}")
        unknown = set(self.clipped) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown model kinds in clipped: {sorted(unknown)}")

    def lr_for(self, kind: str) -> float:
        """The learning rate of one model kind."""
        return dict(self.lr)[kind] if isinstance(self.lr, tuple) else self.lr


# Per-model learning rates: for each model, the best of 1e-3, 3e-3, 1e-2 and 3e-2 in a pilot
# on the adding problem with a different seed (seed 1) and 1000 steps. Both tanh RNNs get
# the same rate so that clipping is the only difference between them.
LEARNING_RATES = (
    ("tanh", 1e-3),
    ("tanh_clip", 1e-3),
    ("irnn", 3e-3),
    ("lstm", 3e-2),
    ("gru", 3e-2),
)
ADDING_SETTINGS = Settings(steps=1500, lr=LEARNING_RATES, clipped=("tanh_clip", "irnn"))
COPY_SETTINGS = Settings(steps=400, lr=LEARNING_RATES, clipped=("tanh_clip", "irnn"))
# --8<-- [end:settings]


@dataclass
class Run:
    """The outcome of training one model at one sequence length."""

    kind: str
    length: int
    lr: float
    parameters: int
    baseline: float
    curve: list[tuple[int, float]]  # (step, test loss)
    accuracy: float | None = None

    @property
    def final(self) -> float:
        return self.curve[-1][1]

    @property
    def ratio(self) -> float:
        return self.final / self.baseline

    @property
    def diverged(self) -> bool:
        return not math.isfinite(self.final)

    @property
    def solved(self) -> bool:
        return self.ratio < SOLVED_FRACTION

    @property
    def solved_at(self) -> int | None:
        """First scored step with the test loss below 5% of the baseline."""
        threshold = SOLVED_FRACTION * self.baseline
        return next((step for step, loss in self.curve if loss < threshold), None)

    @property
    def verdict(self) -> str:
        """solved / partly learned / not learned / diverged."""
        if self.diverged:
            return "diverged"
        if self.solved:
            return "solved"
        if self.ratio >= AT_BASELINE_FRACTION:
            return "not learned"
        return "partly learned"


def pick_device() -> torch.device:
    """The GPU when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def to_tensors(
    batch: tuple[np.ndarray, np.ndarray], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """A NumPy (x, y) pair as tensors on `device`."""
    x, y = batch
    return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)


def test_set(task: Task, settings: Settings, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed test set for one T: its own seed, the same for every model."""
    return task.make_batch(np.random.default_rng(settings.seed + 1), settings.test_size, length)


# --8<-- [start:train]
def train_run(
    task: Task,
    kind: str,
    length: int,
    settings: Settings,
    device: torch.device | None = None,
    progress: tqdm | None = None,
) -> Run:
    """Train one model on `task` at sequence length `length`; score it on a fixed test set."""
    device = device or pick_device()
    torch.manual_seed(settings.seed)  # the same initial weights for a kind at every T
    model = Recurrent(kind, task.n_in, task.n_out).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr_for(kind))
    data = np.random.default_rng(settings.seed)  # the same batches for every model
    test_x, test_y = to_tensors(test_set(task, settings, length), device)
    curve = []
    for step in range(1, settings.steps + 1):
        x, y = to_tensors(task.make_batch(data, settings.batch, length), device)
        loss = task.loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        if kind in settings.clipped:
            nn.utils.clip_grad_norm_(model.parameters(), settings.clip)
        optimizer.step()
        if step % settings.eval_every == 0:
            with torch.no_grad():
                curve.append((step, task.loss(model(test_x), test_y).item()))
            if progress is not None:
                progress.update(settings.eval_every)
            if not math.isfinite(curve[-1][1]):
                break  # diverged: report it rather than step on NaN
    accuracy = None
    if task.accuracy is not None:
        with torch.no_grad():
            accuracy = task.accuracy(model(test_x), test_y)
    lr, parameters = settings.lr_for(kind), count_parameters(model)
    return Run(kind, length, lr, parameters, task.baseline(length), curve, accuracy)


# --8<-- [end:train]


def run_benchmark(
    task: Task,
    settings: Settings,
    kinds: Sequence[str] = KINDS,
    device: torch.device | None = None,
) -> list[Run]:
    """Every model at every length; a progress bar on a terminal, silent otherwise."""
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"kinds must be a non-empty selection of {', '.join(KINDS)}")
    total = len(kinds) * len(settings.lengths) * settings.steps
    with tqdm(total=total, desc=task.name, unit="step", disable=None) as progress:
        return [
            train_run(task, kind, length, settings, device, progress)
            for length in settings.lengths
            for kind in kinds
        ]


SMOKE = Settings(lengths=(10,), steps=300, lr=LEARNING_RATES, clipped=("tanh_clip", "irnn"))

if __name__ == "__main__":
    torch.set_num_threads(1)
    runs = run_benchmark(ADDING, SMOKE, device=torch.device("cpu"))
    print(f"Smoke run: adding problem, T = 10, {SMOKE.steps} steps, baseline MSE 1/6")
    for run in runs:
        print(
            f"  {LABELS[run.kind]:16s} test MSE {run.final:.3g}"
            f"  ({run.ratio:.2g} of the baseline: {run.verdict})"
        )
