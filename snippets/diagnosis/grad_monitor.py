"""`python grad_monitor.py`: what docs/diagnosis.md prints from the book's library module rnnbook.monitor.

rnnbook/monitor.py: A gradient-health monitor that drops into an ordinary PyTorch training loop.
"""

import torch
from torch import nn

from rnnbook.monitor import (
    SPIKE_FACTOR,
    SYMPTOMS,
    VANISHING_RATIO,
    WINDOW,
    hooked_norms,
    reference_norms,
    table_markdown,
)

# --8<-- [start:main]
if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(8, 30, 3, dtype=torch.float64)
    print("||dL/dh_t||, t = 1..30: hooks in the monitor vs. torch's cells + autograd.grad")
    print("(float64, batch 8, 16 units, PyTorch's default initialisation)")
    for layer_type in (nn.RNN, nn.LSTM, nn.GRU):
        rnn = layer_type(3, 16, batch_first=True).double()
        readout = nn.Linear(16, 1).double()
        hooked, reference = hooked_norms(rnn, x, readout), reference_norms(rnn, x, readout)
        error = ((hooked - reference).abs() / reference).max().item()
        agree = "yes" if error < 1e-10 else f"NO ({error:.1e})"
        print(
            f"  {layer_type.__name__:4s} h_1: {reference[0]:.2e}, h_30: {reference[-1]:.2e};"
            f" agree to 1e-10: {agree}"
        )
    print()
    for key, row in SYMPTOMS.items():
        print(f"[{key}] {row.seen}\n  cause: {row.cause}\n  confirm: {row.confirm}")
        print(f"  first aid: {row.first_aid}\n")
    print(f"thresholds: spike factor {SPIKE_FACTOR:g} over the median of {WINDOW} steps;")
    print(f"vanishing below an early/late ratio of {VANISHING_RATIO:g}")
    with open("grad_monitor_table.md", "w", encoding="utf-8") as out:
        out.write(table_markdown())
# --8<-- [end:main]
