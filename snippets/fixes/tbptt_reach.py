"""The cost of truncation: a dependency longer than the truncation length is never learned.

The task: a stream of random bits +-1; at every step the network must output the bit it
saw d steps earlier (an echo with delay d). Training: truncated BPTT over the stream in
chunks of k steps (state carried over, graph detached at each boundary, one Adam step
per chunk), a tanh RNN with 32 units. After training, the accuracy of the sign of the
output over the last 50 chunks, for every delay d and two truncation lengths k.

Within a chunk, a target at position j has a gradient path back to the inputs at
positions 0..j only; its input is d steps back, so it is reachable only if j >= d, and
for d >= k no target ever is: the gradient that would teach the echo is exactly zero.

Run: python tbptt_reach.py   (prints the table, writes tbptt_reach.svg and
tbptt_reach_table.md)
"""

import matplotlib.pyplot as plt
import torch
from torch import nn

TRUNCATIONS = (4, 8)
DELAYS = (2, 3, 4, 5, 6, 7, 8, 9)
UPDATES, BATCH, HIDDEN, LR = 200, 32, 32, 0.01
SCORED = 50  # chunks at the end whose accuracy is reported


def bits(batch: int, length: int, generator: torch.Generator) -> torch.Tensor:
    """Random +-1 of shape (batch, length, 1)."""
    return torch.randint(0, 2, (batch, length, 1), generator=generator).float() * 2 - 1


# --8<-- [start:train]
def echo_accuracy(delay: int, k: int, updates: int = UPDATES, seed: int = 0) -> float:
    """Truncated BPTT with chunks of k steps on the echo task; accuracy at the end."""
    if delay < 1 or k < 1:
        raise ValueError(f"delay and k must be positive, got delay={delay}, k={k}")
    torch.manual_seed(seed)
    rnn, readout = nn.RNN(1, HIDDEN, batch_first=True), nn.Linear(HIDDEN, 1)
    optimizer = torch.optim.Adam([*rnn.parameters(), *readout.parameters()], lr=LR)
    x = bits(BATCH, delay + updates * k, torch.Generator().manual_seed(seed))
    h, correct = None, []
    for u in range(updates):
        start = delay + u * k
        chunk, target = x[:, start : start + k], x[:, start - delay : start - delay + k]
        out, h = rnn(chunk, h)
        prediction = readout(out)
        loss = nn.functional.mse_loss(prediction, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        h = h.detach()  # the state goes on, the gradient stops at the chunk boundary
        if u >= updates - SCORED:
            correct.append((prediction.sign() == target).float().mean().item())
    return sum(correct) / len(correct)


# --8<-- [end:train]


def plot(acc: dict[int, list[float]], path: str = "tbptt_reach.svg") -> None:
    """Accuracy against delay, one line per truncation length, with k marked."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for k, values in acc.items():
        (line,) = ax.plot(DELAYS, [100 * a for a in values], marker="o", label=f"k = {k}")
        ax.axvline(k - 0.5, color=line.get_color(), lw=0.8, ls=":")
        ax.text(k - 0.45, 75, f"d = k = {k}", color=line.get_color(), fontsize="small")
    ax.axhline(50, color="0.5", lw=0.8, ls=":")
    ax.text(DELAYS[0], 51, "chance", color="0.4", fontsize="small", ha="left", va="bottom")
    ax.set_xlabel("delay d (steps between an input and its target)")
    ax.set_ylabel("accuracy, last 50 chunks (%)")
    ax.set_title("Truncated BPTT with chunks of k steps learns every delay below k")
    ax.set_xticks(DELAYS)
    ax.legend(loc="upper right")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    acc = {k: [echo_accuracy(d, k) for d in DELAYS] for k in TRUNCATIONS}
    header = ["delay d", *(f"k = {k}" for k in TRUNCATIONS)]
    rows = [[str(d), *(f"{acc[k][i]:.0%}" for k in TRUNCATIONS)] for i, d in enumerate(DELAYS)]
    print("echo accuracy, last 50 chunks, for chunks of k steps; chance is 50%")
    for r in [header, *rows]:
        print(" ".join(f"{c:>7}" for c in r))
    with open("tbptt_reach_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
    plot(acc)
# --8<-- [end:main]
