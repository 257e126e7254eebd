"""What BPTT holds in memory, and what gradient checkpointing buys back.

Backpropagation through time needs, for every step, the tensors the backward pass of that
step reads: for a tanh RNN cell, its output h_t (tanh' = 1 - h_t^2) and its input h_{t-1}
(for the gradient of W_hh). Autograd keeps them from the forward pass until backward()
has used them, so a sequence of T steps holds O(T B H) numbers. This file counts them
exactly: torch.autograd.graph.saved_tensors_hooks sees every tensor the forward pass
saves for backward, and we add up the bytes of the distinct storages behind them, leaving
out the weights and the input sequence, which exist anyway.

Gradient checkpointing (torch.utils.checkpoint; Chen et al., 2016; Gruslys et al., 2016)
keeps only the state at the start of every segment of m steps and recomputes a segment's
activations when backward() reaches it: about T/m + m states instead of T, smallest near
m = sqrt(T), for one extra forward pass. The gradient is unchanged.

Run: python bptt_memory.py   (prints the tables, writes bptt_memory.svg,
bptt_memory.json and bptt_memory_timing.md)

Taught in docs/dynamics.md; run by snippets/dynamics/bptt_memory.py.
"""

import statistics
import time

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

BATCH, HIDDEN, INPUT = 32, 64, 1
LENGTHS = (16, 32, 64, 128, 256, 512, 1024)
LONG = 256  # the sequence length of the checkpointing sweep
SEGMENTS = (2, 4, 8, 16, 32, 64, 128, 256)
WINDOW = 32  # a truncated-BPTT window of k2 = 32 steps, for comparison
CELLS = {"tanh RNN": nn.RNNCell, "GRU": nn.GRUCell, "LSTM": nn.LSTMCell}
TIMED_LENGTH, TIMED_SEGMENTS, REPEATS = 128, (4, 16, 64), 3


# --8<-- [start:count]
class SavedBytes(torch.autograd.graph.saved_tensors_hooks):
    """Within `with SavedBytes(exclude) as saved:`, add up the bytes autograd saves for
    backward, counting each storage once and leaving out the tensors in `exclude`.

    Tensors are keyed by the address of their storage; the graph keeps every saved
    tensor alive while the count runs, so no address is reused for another tensor."""

    def __init__(self, exclude=()) -> None:
        self.skip = {t.untyped_storage().data_ptr() for t in exclude}
        self.storages: dict[int, int] = {}

        def pack(tensor: torch.Tensor) -> torch.Tensor:
            storage = tensor.untyped_storage()
            if storage.data_ptr() not in self.skip:
                self.storages[storage.data_ptr()] = storage.nbytes()
            return tensor  # keep it as autograd would: we only count

        super().__init__(pack, lambda tensor: tensor)

    def __enter__(self) -> "SavedBytes":  # type: ignore[override]  # the counter, to read after
        super().__enter__()
        return self

    @property
    def bytes(self) -> int:
        return sum(self.storages.values())


# --8<-- [end:count]


class Stepper:
    """Run a recurrent cell over a sequence; count every step it computes."""

    def __init__(self, cell: nn.Module) -> None:
        if not isinstance(cell, nn.RNNCellBase):
            raise TypeError(
                f"need an nn.RNNCell, nn.GRUCell or nn.LSTMCell, got {type(cell).__name__}"
            )
        self.cell, self.steps = cell, 0

    def run(self, x: torch.Tensor, state):
        """The state after reading x (T, B, D), one step at a time."""
        for x_t in x:
            state = self.cell(x_t, state)
            self.steps += 1
        return state

    def start(self) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """A zero state (h, or (h, c) for an LSTM)."""
        h = torch.zeros(BATCH, self.cell.hidden_size)
        return (h, torch.zeros_like(h)) if isinstance(self.cell, nn.LSTMCell) else h


def inputs(length: int, seed: int = 0) -> torch.Tensor:
    """A random input sequence (length, BATCH, INPUT)."""
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    return torch.randn(length, BATCH, INPUT, generator=torch.Generator().manual_seed(seed))


def last_hidden(state) -> torch.Tensor:
    return state[0] if isinstance(state, tuple) else state


# --8<-- [start:measure]
def full_bptt_bytes(cell: nn.Module, length: int) -> int:
    """Bytes saved for backward by an ordinary unrolled forward pass of `length` steps."""
    stepper, x = Stepper(cell), inputs(length)
    with SavedBytes(exclude=[*cell.parameters(), x]) as saved:
        loss = last_hidden(stepper.run(x, stepper.start())).square().sum()
    del loss
    return saved.bytes


def checkpointed_forward(cell: nn.Module, x: torch.Tensor, segment: int):
    """The loss after a forward pass that keeps only each segment's start state."""
    if isinstance(segment, bool) or not isinstance(segment, int) or segment < 1:
        raise ValueError(f"segment must be a positive integer, got {segment!r}")
    stepper = Stepper(cell)
    state = stepper.start()
    for start in range(0, len(x), segment):
        state = checkpoint(stepper.run, x[start : start + segment], state, use_reentrant=False)
    return last_hidden(state).square().sum(), stepper


def checkpointed_bytes(cell: nn.Module, length: int, segment: int) -> tuple[int, int]:
    """Bytes held between forward and backward, and bytes one segment saves when its
    forward pass is recomputed during backward (a plain pass of `segment` steps)."""
    x = inputs(length)
    with SavedBytes(exclude=[*cell.parameters(), x]) as held:
        loss, _ = checkpointed_forward(cell, x, segment)
    del loss
    one = full_bptt_bytes(cell, min(segment, length))
    start = Stepper(cell).start()
    start_bytes = sum(t.nbytes for t in (start if isinstance(start, tuple) else (start,)))
    return held.bytes, one - start_bytes  # its start state is among the held ones


# --8<-- [end:measure]


def gradients(cell: nn.Module, length: int, segment: int | None) -> tuple[list, int]:
    """The weight gradients of the loss, and the number of steps computed on the way."""
    x = inputs(length)
    if segment is None:
        stepper = Stepper(cell)
        loss = last_hidden(stepper.run(x, stepper.start())).square().sum()
    else:
        loss, stepper = checkpointed_forward(cell, x, segment)
    cell.zero_grad()
    loss.backward()
    return [
        torch.zeros_like(p) if p.grad is None else p.grad.clone() for p in cell.parameters()
    ], stepper.steps


def timed(cell: nn.Module, length: int, segment: int | None, repeats: int = REPEATS) -> float:
    """Median wall-clock seconds of forward + backward (a measurement: never compared)."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        gradients(cell, length, segment)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def plot(by_length: dict, by_segment: dict, path: str = "bptt_memory.svg") -> None:
    """Left: bytes held against T. Right: bytes against the segment length at T = LONG."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9.6, 3.8))
    T = list(LENGTHS)
    ax.plot(T, by_length["full"], marker="o", label="full BPTT")
    ax.plot(T, by_length["peak"], marker="s", label="checkpointing, m ≈ √T: peak")
    ax.plot(T, by_length["held"], marker="^", label="checkpointing: held after forward")
    ax.plot(T, [by_length["window"]] * len(T), label=f"truncated BPTT, k₂ = {WINDOW}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T (steps)")
    ax.set_ylabel("activation memory (bytes)")
    ax.set_title(f"tanh RNN cell, B = {BATCH}, H = {HIDDEN}")
    ax.legend(loc="upper left", fontsize="small")

    m = list(SEGMENTS)
    held, one = zip(*(by_segment[s] for s in m), strict=True)
    bx.plot(
        m,
        [h + o for h, o in zip(held, one, strict=True)],
        marker="s",
        label="peak ≈ held + one segment",
    )
    bx.plot(m, held, marker="^", label="held after forward: T/m + 1 states")
    bx.plot(m, one, marker="v", label="one segment, recomputed: m states")
    bx.axhline(
        by_length["full"][LENGTHS.index(LONG)], color="0.4", lw=1.0, ls="--", label="full BPTT"
    )
    bx.set_xscale("log", base=2)
    bx.set_yscale("log")
    bx.set_xlabel(f"checkpoint segment length m (steps), T = {LONG}")
    bx.set_ylabel("activation memory (bytes)")
    bx.set_title("Checkpointing: smallest near m = √T")
    bx.set_ylim(2e2, 4e6)
    bx.legend(loc="lower center", fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)
