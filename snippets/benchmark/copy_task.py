"""`python copy_task.py`: what docs/benchmark.md prints from the book's library module rnnbook.copying.

rnnbook/copying.py: The copy-memory task: read ten symbols, wait T steps, then write them out again.
"""

import numpy as np

from rnnbook.copying import (
    CATEGORIES,
    CHECK_SEED,
    CHECK_SIZE,
    LENGTHS,
    copy_tokens,
    cross_entropy,
    memoryless_baseline,
    memoryless_log_probs,
    show,
)
from rnnbook.protocol import SOLVED_FRACTION

if __name__ == "__main__":
    inputs, targets = copy_tokens(np.random.default_rng(0), batch=1, delay=5)
    print("One sequence with T = 5 ('.' blank, ':' delimiter, 1-8 symbols):")
    print(f"  input:  {show(inputs[0])}")
    print(f"  target: {show(targets[0])}")

    print("\nMemoryless baseline, 10 ln 8 / (T + 20) nats per step:")
    for delay in LENGTHS:
        inputs, targets = copy_tokens(np.random.default_rng(CHECK_SEED), CHECK_SIZE, delay)
        measured = cross_entropy(memoryless_log_probs(delay), targets)
        print(
            f"  T = {delay:3d}: formula {memoryless_baseline(delay):.4f}, "
            f"measured on {CHECK_SIZE:,} sequences {measured:.4f}; "
            f"solved below {SOLVED_FRACTION * memoryless_baseline(delay):.4f}"
        )
    print(f"Recall accuracy without memory: 1/{CATEGORIES} = {1 / CATEGORIES:.3f}")
