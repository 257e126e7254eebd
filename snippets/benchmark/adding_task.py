"""`python adding_task.py`: what docs/benchmark.md prints from the book's library module rnnbook.adding.

rnnbook/adding.py: The adding problem: add two numbers seen far apart in a long sequence.
"""

import numpy as np

from rnnbook.adding import (
    CHECK_LENGTH,
    CHECK_SEED,
    CHECK_SIZE,
    EXAMPLE_SEED,
    adding_batch,
    constant_baseline_mse,
    one_value_mse,
)
from rnnbook.protocol import SOLVED_FRACTION

if __name__ == "__main__":
    x, y = adding_batch(np.random.default_rng(EXAMPLE_SEED), batch=1, length=10)
    print("One sequence with T = 10 (values rounded to 2 decimals):")
    print("  values: ", " ".join(f"{v:.2f}" for v in x[0, :, 0]))
    print("  markers:", " ".join(f"{m:4.0f}" for m in x[0, :, 1]))
    marked = x[0, x[0, :, 1] == 1, 0]
    print(f"  target: {marked[0]:.2f} + {marked[1]:.2f} = {y[0]:.2f}")

    base, half = constant_baseline_mse(), one_value_mse()
    print("\nBaselines (exact):")
    print(f"  predict 1 always:           MSE = {base} = {float(base):.4f}")
    print(f"  remember one value only:    MSE = {half} = {float(half):.4f}")
    print(f"  solved means MSE below {SOLVED_FRACTION:.0%} of 1/6 = {SOLVED_FRACTION * base:.5f}")

    rng = np.random.default_rng(CHECK_SEED)
    x, y = adding_batch(rng, batch=CHECK_SIZE, length=CHECK_LENGTH)
    second_half = x[:, CHECK_LENGTH // 2 :]
    later = second_half[..., 0][second_half[..., 1] == 1]  # the marked value in the second half
    print(f"\nChecked on {CHECK_SIZE:,} random sequences with T = {CHECK_LENGTH}:")
    print(f"  predict 1 always:           MSE = {np.mean((y - 1.0) ** 2):.4f}")
    print(f"  remember one value only:    MSE = {np.mean((y - later - 0.5) ** 2):.4f}")
    counts = np.unique(x[..., 1].sum(axis=1))
    print(f"  mean target = {y.mean():.4f}; markers per sequence: {counts.astype(int).tolist()}")
