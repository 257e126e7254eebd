"""`python bptt_memory.py`: what docs/dynamics.md prints from the book's library module rnnbook.bptt_memory.

rnnbook/bptt_memory.py: What BPTT holds in memory, and what gradient checkpointing buys back.
"""

import json

import torch
from torch import nn

from rnnbook.bptt_memory import (
    BATCH,
    CELLS,
    HIDDEN,
    INPUT,
    LENGTHS,
    LONG,
    REPEATS,
    SEGMENTS,
    TIMED_LENGTH,
    TIMED_SEGMENTS,
    WINDOW,
    checkpointed_bytes,
    full_bptt_bytes,
    gradients,
    plot,
    timed,
)

# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rnn = nn.RNNCell(INPUT, HIDDEN)
    print("Bytes saved for backward (float32), weights and input sequence not counted")
    print(f"\n1. Full BPTT, tanh RNN cell, B = {BATCH}, H = {HIDDEN}")
    print("      T   bytes saved   = (T + 1) x B x H x 4")
    full = [full_bptt_bytes(rnn, T) for T in LENGTHS]
    for T, n in zip(LENGTHS, full, strict=True):
        print(f"  {T:5d}   {n:11,d}     {n == (T + 1) * BATCH * HIDDEN * 4}")

    print(f"\n2. Bytes per step and sequence (T = 32 minus T = 16, divided by 16 B), H = {HIDDEN}")
    per_cell = {}
    for name, kind in CELLS.items():
        cell = kind(INPUT, HIDDEN)
        per = (full_bptt_bytes(cell, 32) - full_bptt_bytes(cell, 16)) // (16 * BATCH)
        per_cell[name] = per
        print(f"  {name:8s}  {per:5d} bytes = {per // (4 * HIDDEN)} x 4H")
    for hidden in (16, 256):
        cell = nn.RNNCell(INPUT, hidden)
        per = (full_bptt_bytes(cell, 32) - full_bptt_bytes(cell, 16)) // (16 * BATCH)
        print(f"  tanh RNN, H = {hidden:3d}: {per:5d} bytes = 4 H")

    print(f"\n3. Checkpointing, T = {LONG}: segments of m steps, non-reentrant checkpoint")
    print("      m   held after forward   one segment   peak (sum)   vs full BPTT")
    by_segment = {m: checkpointed_bytes(rnn, LONG, m) for m in SEGMENTS}
    full_at_long = full[LENGTHS.index(LONG)]
    for m, (held, one) in by_segment.items():
        print(
            f"  {m:5d}   {held:18,d}   {one:11,d}   {held + one:10,d}   {(held + one) / full_at_long:10.3f}"
        )
    reference, steps_full = gradients(rnn, LONG, None)
    grads, steps_ckpt = gradients(rnn, LONG, 16)
    same = all(torch.equal(a, b) for a, b in zip(reference, grads, strict=True))
    print(f"  steps computed: {steps_full} without checkpointing, {steps_ckpt} with (m = 16)")
    print(f"  gradients identical to full BPTT, bit for bit: {same}")
    best = min(by_segment, key=lambda m: sum(by_segment[m]))
    values = {
        "full_longest": f"{full[-1]:,}",
        "full_long": f"{full_at_long:,}",
        "best_segment": best,
        "best_peak": f"{sum(by_segment[best]):,}",
        "best_percent": round(100 * sum(by_segment[best]) / full_at_long, 1),
        "steps_checkpointed": steps_ckpt,
        "gated_vectors": per_cell["LSTM"] // (4 * HIDDEN),
    }
    with open("bptt_memory.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1)
        handle.write("\n")

    roots = {T: max(1, round(T**0.5)) for T in LENGTHS}
    ckpt = [checkpointed_bytes(rnn, T, roots[T]) for T in LENGTHS]
    by_length = {
        "full": full,
        "held": [h for h, _ in ckpt],
        "peak": [h + o for h, o in ckpt],
        "window": full_bptt_bytes(rnn, WINDOW),
    }
    plot(by_length, by_segment)

    base = timed(rnn, TIMED_LENGTH, None)
    rows = [f"| full BPTT | {base * 1e3:.1f} | 1.00 |"]
    for m in TIMED_SEGMENTS:
        t = timed(rnn, TIMED_LENGTH, m)
        rows.append(f"| checkpointing, m = {m} | {t * 1e3:.1f} | {t / base:.2f} |")
    with open("bptt_memory_timing.md", "w", encoding="utf-8") as handle:
        handle.write(
            f"| T = {TIMED_LENGTH}, forward + backward | ms (median of {REPEATS}) | ratio |\n"
        )
        handle.write("|---|---:|---:|\n" + "\n".join(rows) + "\n")
# --8<-- [end:main]
