"""What one backward pass saves: per-timestep gradient norms the fast way and the slow way.

Times `per_step_grad_norms` (one autograd call for all T states) against
`per_step_grad_norms_loop` (T calls, one per state) on a tanh RNN cell at
T = 50, 100, 200. stdout holds only what does not depend on the machine (that both
give the same norms); the measured times go to grad_speedup_timing.md, which the
vanishing chapter shows and `make bench` repeats.

Run: python grad_speedup.py
"""

import statistics
import time

import torch
from torch import nn

from rnnbook.gradients import per_step_grad_norms, per_step_grad_norms_loop, unroll

LENGTHS = (50, 100, 200)
BATCH, INPUT, HIDDEN = 16, 8, 64


def problem(length: int, seed: int = 0) -> tuple[nn.RNNCell, torch.Tensor]:
    """A tanh RNN cell and a batch of inputs with `length` steps."""
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    torch.manual_seed(seed)
    return nn.RNNCell(INPUT, HIDDEN), torch.randn(BATCH, length, INPUT)


def timed(method, cell: nn.RNNCell, x: torch.Tensor, repeats: int) -> tuple[float, torch.Tensor]:
    """Median seconds of `method` over `repeats` fresh graphs (the unroll is not timed)."""
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    seconds = []
    for _ in range(repeats):
        states = unroll(cell, x)
        loss = states[-1].pow(2).sum()  # a loss at the last step, as in the chapter
        start = time.perf_counter()
        norms = method(loss, states)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), norms


def measure(lengths=LENGTHS, repeats: int = 5) -> list[dict]:
    """For each T: both methods' times (ms) and their largest relative disagreement.

    The one-pass time is the median of `repeats` runs; the T-pass method is timed once,
    since at T = 200 a single run already takes a large part of a second.
    """
    rows = []
    for length in lengths:
        cell, x = problem(length)
        fast, a = timed(per_step_grad_norms, cell, x, repeats)
        slow, b = timed(per_step_grad_norms_loop, cell, x, 1)
        gap = ((a - b).abs() / b.abs().clamp_min(1e-30)).max().item()
        rows.append(
            {"T": length, "one_pass_ms": fast * 1e3, "many_passes_ms": slow * 1e3, "gap": gap}
        )
    return rows


def speedup_table(rows: list[dict]) -> str:
    """The times as a Markdown table, with the speed-up of one pass over T passes."""
    lines = [
        "| T | one backward pass (ms) | T backward passes (ms) | speed-up |",
        "|---:|---:|---:|---:|",
    ]
    for row in rows:
        ratio = row["many_passes_ms"] / row["one_pass_ms"]
        lines.append(
            f"| {row['T']} | {row['one_pass_ms']:.1f} | {row['many_passes_ms']:.1f} | {ratio:.0f}× |"
        )
    return "\n".join(lines) + "\n"


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    rows = measure()
    print(f"tanh RNN cell, hidden {HIDDEN}, batch {BATCH}, loss at the last step")
    for row in rows:
        same = "the same norms" if row["gap"] < 1e-5 else "DIFFERENT norms"
        print(f"T = {row['T']:3d}: one pass and {row['T']} passes give {same}")
    with open("grad_speedup_timing.md", "w", encoding="utf-8") as handle:
        handle.write(speedup_table(rows))
# --8<-- [end:main]
