"""The benchmark's protocol: the tasks as PyTorch losses, the settings, the training loop.

One protocol for every model, task, sequence length and seed: Adam, a budget of steps, a
fresh batch at every step (for a given seed, the same batches for every model), a fixed
test set per length scored every 100 steps, one CPU thread. A run stops early once it has
solved its task (test loss below 5% of the memoryless baseline), recording the step; a run
that has not solved it always gets the whole budget, so "not solved" never rests on a
shortened run. The result of a run is its test loss when it stopped.

Shared by every benchmark_*.py file.

Run: python benchmark_train.py   (a smoke run in a few seconds: the models on the adding
problem with T = 10, one seed)

Taught in docs/benchmark.md; run by snippets/benchmark/benchmark_train.py.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from rnnbook.adding import adding_batch, constant_baseline_mse
from rnnbook.copying import (
    CLASSES,
    SYMBOLS,
    TOKENS,
    copy_batch,
    cross_entropy,
    memoryless_baseline,
    memoryless_log_probs,
)
from rnnbook.models import KINDS, count_parameters, make_model
from rnnbook.protocol import SOLVED_FRACTION  # the one "solved": below 5% of memoryless

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
LATE_WINDOW = 10  # the control: both marks among the last 10 steps
ADDING_LATE = Task(
    name="adding, marks in the last 10 steps",
    n_in=2,
    n_out=1,
    make_batch=lambda rng, batch, length: adding_batch(rng, batch, length, last=LATE_WINDOW),
    loss=last_step_mse,
    baseline=lambda length: float(constant_baseline_mse()),
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

    lengths: tuple[int, ...] = (20, 100)
    steps: int = 600  # the budget; a run stops earlier only once solved
    batch: int = 32
    lr: float | tuple[tuple[str, float], ...] = 0.01  # one rate, or (kind, rate) pairs
    clip: float = 1.0  # max gradient norm, for the models that clip
    clipped: tuple[str, ...] = ("tanh",)
    eval_every: int = 100
    test_size: int = 500
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)

    def __post_init__(self) -> None:
        for name in ("steps", "batch", "eval_every", "test_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not self.lengths or any(not isinstance(t, int) or t < 2 for t in self.lengths):
            raise ValueError(f"lengths must be integers >= 2, got {self.lengths!r}")
        if not self.seeds or any(not isinstance(s, int) or s < 0 for s in self.seeds):
            raise ValueError(f"seeds must be non-negative integers, got {self.seeds!r}")
        if self.steps % self.eval_every:
            raise ValueError("steps must be a multiple of eval_every")
        rates = [rate for _, rate in self.lr] if isinstance(self.lr, tuple) else [self.lr]
        if isinstance(self.lr, tuple) and not {kind for kind, _ in self.lr} <= set(KINDS):
            raise ValueError(f"lr pairs must name model kinds among: {', '.join(KINDS)}")
        for name, value in [*(("lr", rate) for rate in rates), ("clip", self.clip)]:
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not number or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive finite number, got {value!r}")
        unknown = set(self.clipped) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown model kinds in clipped: {sorted(unknown)}")

    def lr_for(self, kind: str) -> float:
        """The learning rate of one model kind."""
        if not isinstance(self.lr, tuple):
            return self.lr
        rates = dict(self.lr)
        if kind not in rates:
            raise ValueError(f"no learning rate for {kind!r} in these settings")
        return rates[kind]


# Per-model learning rates, from benchmark_lr_pilot.py: for each model the best of a grid of
# rates a factor 3 apart, on short sequences (T = 5) and other seeds. The pilot's output
# checks that each rate below is its choice and is not at the edge of its grid.
LEARNING_RATES = (
    ("tanh", 1e-2),
    ("lstm", 3e-2),
    ("gru", 1e-1),
    ("lru", 1e-2),
)
ADDING_SETTINGS = Settings(lengths=(20, 100), lr=LEARNING_RATES)
COPY_SETTINGS = Settings(lengths=(100,), steps=400, lr=LEARNING_RATES)
# --8<-- [end:settings]


@dataclass
class Run:
    """The outcome of training one model at one sequence length from one seed."""

    kind: str
    length: int
    seed: int
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
    def solved_at(self) -> int | None:
        """The step at which the test loss first fell below 5% of the baseline."""
        threshold = SOLVED_FRACTION * self.baseline
        return next((step for step, loss in self.curve if loss < threshold), None)


def to_tensors(batch: tuple[np.ndarray, np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """A NumPy (x, y) pair as tensors."""
    x, y = batch
    return torch.from_numpy(x), torch.from_numpy(y)


def test_set(task: Task, settings: Settings, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The fixed test set for one T: its own seed, the same for every model and seed."""
    return task.make_batch(np.random.default_rng(10_000 + length), settings.test_size, length)


# --8<-- [start:train]
def train_run(
    task: Task,
    kind: str,
    length: int,
    settings: Settings,
    seed: int,
    progress: tqdm | None = None,
) -> Run:
    """Train one model from one seed on `task` at length `length`; stop once solved."""
    torch.manual_seed(seed)  # the initial weights
    model = make_model(kind, task.n_in, task.n_out)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr_for(kind))
    data = np.random.default_rng(seed)  # the batches: the same for every model
    test_x, test_y = to_tensors(test_set(task, settings, length))
    threshold = SOLVED_FRACTION * task.baseline(length)
    curve = []
    for step in range(1, settings.steps + 1):
        x, y = to_tensors(task.make_batch(data, settings.batch, length))
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
            if not math.isfinite(curve[-1][1]) or curve[-1][1] < threshold:
                break  # diverged, or solved: the budget is not needed
    if progress is not None:
        progress.update(settings.steps - step)
    accuracy = None
    if task.accuracy is not None:
        with torch.no_grad():
            accuracy = task.accuracy(model(test_x), test_y)
    lr, parameters = settings.lr_for(kind), count_parameters(model)
    return Run(kind, length, seed, lr, parameters, task.baseline(length), curve, accuracy)


# --8<-- [end:train]


def run_benchmark(task: Task, settings: Settings, kinds: Sequence[str]) -> list[Run]:
    """Every model at every length from every seed; a progress bar on a terminal."""
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"kinds must be a non-empty selection of {', '.join(KINDS)}")
    cells = [(length, kind) for length in settings.lengths for kind in kinds]
    total = len(cells) * len(settings.seeds) * settings.steps
    with tqdm(total=total, desc=task.name, unit="step", disable=None) as progress:
        return [
            train_run(task, kind, length, settings, seed, progress)
            for length, kind in cells
            for seed in settings.seeds
        ]


SMOKE = Settings(lengths=(10,), steps=300, lr=LEARNING_RATES, seeds=(0,))
