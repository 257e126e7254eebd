"""The adding problem: add two numbers seen far apart in a long sequence.

Each sequence has T steps and two input channels. Channel 0 holds values drawn uniformly
from [0, 1]; channel 1 is 0 everywhere except at two marked steps, one in the first half
of the sequence and one in the second half. After the last step the network must output
the sum of the two marked values. To do better than guessing it has to hold a value for
up to T - 1 steps while ignoring everything else it reads.

Run: python adding_task.py   (prints an example and checks the baselines)

Taught in docs/benchmark.md; run by snippets/benchmark/adding_task.py.
"""

from fractions import Fraction

import numpy as np


def check_count(value: int, name: str, minimum: int) -> int:
    """Return value after checking it is a whole number >= minimum."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


# --8<-- [start:task]
def adding_batch(
    rng: np.random.Generator, batch: int, length: int, last: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """x (batch, length, 2) float32: values, markers; y (batch,): sum of the two marked values.

    The marks fall one in each half of the sequence, or, with `last`, one in each half of
    its last `last` steps (the control: the same length, a short dependency)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
    batch = check_count(batch, "batch", 1)
    length = check_count(length, "length", 2)
    window = length if last is None else check_count(last, "last", 2)
    if window > length:
        raise ValueError(f"last must be at most length ({length}), got {last}")
    values = rng.random((batch, length))
    start, half = length - window, window // 2
    first = start + rng.integers(0, half, size=batch)  # a step in the first half
    second = start + rng.integers(half, window, size=batch)  # a step in the second half
    markers = np.zeros((batch, length))
    rows = np.arange(batch)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    return x, y


# --8<-- [end:task]


# --8<-- [start:baselines]
def uniform_moments() -> tuple[Fraction, Fraction]:
    """E[U] and E[U^2] for U uniform on [0, 1]: the integrals of u and u^2 over [0, 1]."""
    return Fraction(1, 2), Fraction(1, 3)


def constant_baseline_mse() -> Fraction:
    """Best MSE without memory: predict E[y] = 1; the error is Var(U1 + U2) = 2 Var(U)."""
    mean, second_moment = uniform_moments()
    return 2 * (second_moment - mean**2)


def one_value_mse() -> Fraction:
    """MSE when only one marked value is remembered: predict U2 + 1/2; the error is Var(U1)."""
    mean, second_moment = uniform_moments()
    return second_moment - mean**2


# --8<-- [end:baselines]

EXAMPLE_SEED, CHECK_SEED, CHECK_SIZE, CHECK_LENGTH = 0, 1, 100_000, 100
