"""Truncated BPTT with two lengths: an update every k1 steps, k2 steps back-propagated.

Williams & Peng (1990) run the network forward over a long stream and, every k1 steps,
back-propagate the losses of those k1 steps through the last k2 steps only (written
TBPTT(k1, k2) by Sutskever, 2013; k1 = k2 = k is the chunked loop of the fixes chapter).
What it costs:

* memory: the activations of the last k2 steps, whatever the stream's length;
* work: T/k1 updates of k2 steps back each, about T k2 / k1 backward steps in all;
* reach: a loss at the end of a window sends its gradient k2 steps back, the loss at its
  first step only k2 - k1 + 1: with k2 > k1 every loss gets at least k2 - k1 + 1 steps.

In PyTorch the last k2 steps cannot be kept as a graph and back-propagated again after an
optimizer step: the weights they saved have changed in place, and autograd refuses (see
the fixes chapter). So every update re-runs its k2 steps from the state stored k2 steps
back, with the current weights, and back-propagates through that fresh graph: k2 forward
steps per update as well.

Run: python tbptt_k1k2.py   (prints the table, writes tbptt_k1k2_table.md)
"""

import torch
from torch import nn

from rnnbook.bptt_memory import SavedBytes

BATCH, HIDDEN, INPUT, LENGTH, LR = 32, 64, 1, 256, 0.01
SETTINGS = ((LENGTH, LENGTH), (32, 32), (16, 32), (4, 32), (32, 64))  # (k1, k2)


class Echo(nn.Module):
    """A tanh RNN cell and a linear read-out at every step."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.cell, self.readout = nn.RNNCell(INPUT, HIDDEN), nn.Linear(HIDDEN, 1)


def stream(length: int = LENGTH, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs (T, B, 1) and targets: the input 4 steps earlier."""
    x = torch.randn(length, BATCH, INPUT, generator=torch.Generator().manual_seed(seed))
    return x, torch.roll(x, 4, dims=0)


# --8<-- [start:tbptt]
def tbptt(model: Echo, x: torch.Tensor, y: torch.Tensor, k1: int, k2: int, lr: float = LR) -> dict:
    """TBPTT(k1, k2) over one stream: every k1 steps, re-run the last k2 steps from the
    stored state, back-propagate the losses of the last k1 of them, take an SGD step."""
    for name, k in (("k1", k1), ("k2", k2)):
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"{name} must be a positive integer, got {k!r}")
    if k2 < k1:
        raise ValueError(
            f"k2 >= k1 needed (each loss of a window gets a step back), got {k1=}, {k2=}"
        )
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    states = {0: torch.zeros(BATCH, HIDDEN)}  # detached states: values without history
    stats = {"updates": 0, "forward": 0, "backward": 0, "bytes": 0}
    for end in range(k1, len(x) + 1, k1):
        begin = max(0, end - k2)
        h, loss = states[begin], 0.0
        with SavedBytes(exclude=[*model.parameters(), x, y]) as saved:
            for t in range(begin, end):
                h = model.cell(x[t], h)
                states[t + 1] = h.detach()
                if t >= end - k1:  # the losses of the last k1 steps
                    loss = loss + (model.readout(h) - y[t]).square().mean()
        optimizer.zero_grad()
        loss.backward()  # through end - begin <= k2 steps, back to the stored state
        optimizer.step()
        for old in [s for s in states if s < end + k1 - k2]:
            del states[old]  # only the last k2 states can start a window
        stats["updates"] += 1
        stats["forward"] += end - begin
        stats["backward"] += end - begin
        stats["bytes"] = max(stats["bytes"], saved.bytes)
    return stats


# --8<-- [end:tbptt]


def first_gradient(k1: int, k2: int, length: int = 16) -> list[torch.Tensor]:
    """The weight gradients of the first update of TBPTT(k1, k2) (for the tests)."""
    model, (x, y) = Echo(), stream(length)
    tbptt(model, x[:k1], y[:k1], k1, k2, lr=0.0)
    return [p.grad.clone() for p in model.parameters()]


def name(k1: int, k2: int) -> str:
    return "full BPTT" if k1 == k2 == LENGTH else f"TBPTT({k1}, {k2})"


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    x, y = stream()
    header = [
        "setting",
        "k₁",
        "k₂",
        "updates",
        "forward steps",
        "backward steps",
        "bytes held",
        "steps back from a loss",
    ]
    rows = []
    print(f"One stream of T = {LENGTH} steps, tanh RNN cell, B = {BATCH}, H = {HIDDEN}, float32")
    print("setting          updates   forward   backward   bytes held   steps back")
    for k1, k2 in SETTINGS:
        s = tbptt(Echo(), x, y, k1, k2)
        reach = f"{k2 - k1 + 1} to {k2}"
        print(
            f"{name(k1, k2):15s}  {s['updates']:7d}  {s['forward']:8d}  {s['backward']:9d}  {s['bytes']:11,d}   {reach}"
        )
        rows.append(
            [
                name(k1, k2),
                str(k1),
                str(k2),
                str(s["updates"]),
                str(s["forward"]),
                str(s["backward"]),
                f"{s['bytes']:,}",
                reach,
            ]
        )
    with open("tbptt_k1k2_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(header) + " |\n|---|" + "---:|" * (len(header) - 1) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
# --8<-- [end:main]
