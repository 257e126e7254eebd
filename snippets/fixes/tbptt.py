"""Truncated BPTT: carry the hidden state across chunks, cut the graph with detach().

A long stream is processed in chunks of K2 steps, one optimizer step per chunk (k1 = k2). The hidden
state must go on from one chunk to the next (it is the network's memory), but the graph
behind it must not: h = h.detach() keeps the value and drops the history, so the next
backward() stops at the chunk boundary. Forget it and the second backward() fails with
"Trying to backward through the graph a second time". retain_graph=True silences that
error and is the wrong fix: each backward() then runs back through every earlier chunk
(the graph, and the time per step, grow with the stream), through activations that the
optimizer has since made stale; and as soon as an optimizer step has changed the weights
those old activations were computed with, autograd refuses with a second error.

Run: python tbptt.py   (prints the outcomes, writes tbptt_table.md)
"""

import torch
from torch import nn

K2, CHUNKS, BATCH, HIDDEN = 10, 12, 8, 16


class Echo(nn.Module):
    """A tanh RNN with a linear read-out at every step."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(1, HIDDEN, batch_first=True)
        self.readout = nn.Linear(HIDDEN, 1)


def stream(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A long input stream (batch, K2 * CHUNKS, 1) and a target, the input one step earlier."""
    x = torch.randn(BATCH, K2 * CHUNKS, 1, generator=torch.Generator().manual_seed(seed))
    return x, torch.roll(x, 1, dims=1)


# --8<-- [start:tbptt]
def train_tbptt(model: Echo, x: torch.Tensor, y: torch.Tensor, k2: int, lr: float = 0.01):
    """One pass over a long stream: an optimizer step every k2 steps, the state carried over."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    h = None  # nn.RNN starts from zeros
    for start in range(0, x.shape[1], k2):
        if h is not None:
            h = h.detach()  # keep the value, drop the graph: backward stops here
        out, h = model.rnn(x[:, start : start + k2], h)
        loss = nn.functional.mse_loss(model.readout(out), y[:, start : start + k2])
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()


# --8<-- [end:tbptt]


def graph_size(tensor: torch.Tensor) -> int:
    """Number of autograd nodes reachable from `tensor`: what a backward() would visit."""
    seen, todo = set(), [tensor.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        todo.extend(parent for parent, _ in node.next_functions)
    return len(seen)


# --8<-- [start:variants]
def run(variant: str, seed: int = 0) -> dict:
    """Train over the stream chunk by chunk; record graph sizes and any error."""
    torch.manual_seed(seed)
    model, (x, y) = Echo(), stream(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    record = {"nodes": [], "error": None}
    h = None
    for start in range(0, x.shape[1], K2):
        if variant == "detach" and h is not None:
            h = h.detach()
        out, h = model.rnn(x[:, start : start + K2], h)
        loss = nn.functional.mse_loss(model.readout(out), y[:, start : start + K2])
        optimizer.zero_grad()
        record["nodes"].append(graph_size(loss))
        try:
            loss.backward(retain_graph=variant.startswith("retain_graph"))
        except RuntimeError as error:
            record["error"] = (len(record["nodes"]), str(error).split(". ")[0].split(": [")[0])
            break
        if variant != "retain_graph, no optimizer step":
            optimizer.step()
    return record


VARIANTS = ("no detach", "retain_graph=True", "retain_graph, no optimizer step", "detach")
# --8<-- [end:variants]


def outcome(record: dict) -> str:
    """What happened, in one table cell."""
    if record["error"] is not None:
        chunk, message = record["error"]
        return f"RuntimeError at chunk {chunk}: {message}"
    return f"ran all {CHUNKS} chunks"


HEADER = ["variant", "outcome", "nodes per backward, first → last chunk", "nodes, all chunks run"]


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    records = {variant: run(variant) for variant in VARIANTS}
    rows = []
    for variant, r in records.items():
        nodes = f"{r['nodes'][0]} → {r['nodes'][-1]}"
        total = "-" if r["error"] else str(sum(r["nodes"]))
        rows.append([variant, outcome(r), nodes, total])
        print(f"{variant}:\n  {outcome(r)}\n  graph nodes per backward: {r['nodes']}")
        if not r["error"]:
            print(f"  nodes visited by all {CHUNKS} backward passes: {total}")
    with open("tbptt_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    torch.manual_seed(0)
    train_tbptt(Echo(), *stream(), k2=K2)  # the loop above runs without error
# --8<-- [end:main]
