"""The loop and the parallel scan compute the same LRU, and what each costs on a CPU.

1. Same numbers: an LRUModel (two layers) and the input-dependent recurrence
   h_t = a_t ⊙ h_{t-1} + v_t, run both ways in float64 on a length (77) that is not a
   power of two: outputs and the gradients of every parameter agree to rounding.
2. Same work? The loop does T steps of one multiply-add on a (batch, N) tensor; the scan
   does ceil(log2 T) steps on the whole (batch, T, N) tensor, about T log2 T multiply-adds
   in all: more arithmetic, in far fewer (larger) operations. The counts are printed.
3. Time: forward + backward of the recurrence alone (complex, float32, one thread), for
   three sizes of (batch × state) and growing T, median of REPEATS runs, in CPU time of
   this process (time.process_time: on a shared machine, less disturbed by other
   programs than the wall clock). Timings depend on the machine, so they go to
   lru_scan_timing.md, which the page shows and the build never compares.

Run: python lru_scan.py   (imports rnnbook.lru)
"""

import math
import statistics
import time

import torch

from rnnbook.lru import LRUModel, parallel_scan, sequential

CHECK_T = 77
LENGTHS = (16, 64, 256, 1024)
# (batch, state size N, longest T): per step the loop handles batch × N complex numbers
SIZES = {"small": (8, 16, 1024), "medium": (8, 64, 1024), "large": (32, 256, 256)}
REPEATS = 3


# --8<-- [start:check]
def max_relative_gap(first: list[torch.Tensor], second: list[torch.Tensor]) -> float:
    """Largest |a - b| / max|a| over pairs of tensors."""
    return max(
        ((a - b).abs().max() / a.abs().max()).item() for a, b in zip(first, second, strict=True)
    )


def model_gaps(seed: int = 0) -> tuple[float, float]:
    """LRUModel run by scan and by loop, float64: gaps in outputs and in all gradients."""
    torch.manual_seed(seed)
    model = LRUModel(n_in=3, n_out=2, d_model=8, d_state=16, layers=2).double()
    x = torch.randn(4, CHECK_T, 3, dtype=torch.float64)
    outputs, grads = [], []
    for scan in (True, False):
        y = model(x, scan=scan)
        outputs.append(y)
        grads.append(torch.autograd.grad(y.pow(2).mean(), list(model.parameters())))
    return max_relative_gap([outputs[0]], [outputs[1]]), max_relative_gap(*grads)


def selective_gaps(seed: int = 0) -> tuple[float, float]:
    """h_t = a_t ⊙ h_{t-1} + v_t with a_t different at every step: the same check."""
    generator = torch.Generator().manual_seed(seed)
    shape = (4, CHECK_T, 8)
    a = torch.rand(shape, generator=generator, dtype=torch.float64).requires_grad_()
    v = torch.randn(shape, generator=generator, dtype=torch.float64).requires_grad_()
    by_scan = parallel_scan(a, v)
    by_loop = torch.stack(sequential(a, v), dim=1)
    grads = [torch.autograd.grad(h.pow(2).sum(), [a, v]) for h in (by_scan, by_loop)]
    return max_relative_gap([by_scan], [by_loop]), max_relative_gap(*grads)


# --8<-- [end:check]


def work(T: int) -> tuple[int, int, int]:
    """(loop steps, scan steps, scan multiply-adds per state unit): T, ceil(log2 T), Σ (T - d)."""
    levels = math.ceil(math.log2(T)) if T > 1 else 0
    return T, levels, sum(T - 2**j for j in range(levels))


# --8<-- [start:timing]
def time_recurrence(batch: int, N: int, T: int, scan: bool) -> float:
    """Median CPU seconds of forward + backward through the recurrence alone."""
    generator = torch.Generator().manual_seed(0)
    v = torch.randn(batch, T, N, dtype=torch.complex64, generator=generator).requires_grad_()
    lam = torch.polar(torch.full((N,), 0.99), torch.rand(N, generator=generator))
    lam.requires_grad_()
    seconds = []
    for _ in range(REPEATS):
        start = time.process_time()
        h = parallel_scan(lam, v) if scan else torch.stack(sequential(lam, v), dim=1)
        h.abs().pow(2).mean().backward()
        seconds.append(time.process_time() - start)
    return statistics.median(seconds)


# --8<-- [end:timing]


def timing_table() -> str:
    """Markdown: CPU ms per forward + backward, loop and scan, and the ratio."""
    lines = [
        "| batch × N | T | loop (ms) | scan (ms) | loop / scan |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (batch, N, longest) in SIZES.items():
        for T in (T for T in LENGTHS if longest >= T):
            loop, scan = (time_recurrence(batch, N, T, s) for s in (False, True))
            lines.append(
                f"| {name}: {batch} × {N} | {T} | {1000 * loop:.1f} | {1000 * scan:.1f} "
                f"| {loop / scan:.1f} |"
            )
    return "\n".join(lines) + "\n"


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    out_gap, grad_gap = model_gaps()
    print(f"LRUModel, 2 layers, float64, T = {CHECK_T}: scan against loop")
    print(f"  outputs agree to 1e-12 (relative): {out_gap < 1e-12}")
    print(f"  gradients of all parameters agree to 1e-10 (relative): {grad_gap < 1e-10}")
    out_gap, grad_gap = selective_gaps()
    print("Input-dependent a_t, float64: scan against loop")
    print(f"  states agree to 1e-12: {out_gap < 1e-12}; gradients to 1e-10: {grad_gap < 1e-10}")

    print("\nWork for one sequence and one state unit:")
    print(
        f"{'T':>6s} {'loop steps':>11s} {'scan steps':>11s} {'loop mult-adds':>15s}"
        f" {'scan mult-adds':>15s}"
    )
    for T in LENGTHS:
        loop_steps, scan_steps, scan_ops = work(T)
        print(f"{T:6d} {loop_steps:11d} {scan_steps:11d} {T:15d} {scan_ops:15d}")

    with open("lru_scan_timing.md", "w", encoding="utf-8") as f:
        f.write(timing_table())
# --8<-- [end:main]
