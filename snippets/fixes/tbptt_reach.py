"""The cost of truncation: a dependency longer than the truncation length is never learned.

The task: a stream of random bits +-1; at every step the network must output the bit it
saw d steps earlier (an echo with delay d). Training: truncated BPTT over the stream in
chunks of k2 steps (state carried over, graph detached at each boundary, one Adam step
per chunk, so k1 = k2), a tanh RNN with 32 units. After training, the accuracy of the
sign of the output over the last 50 chunks, for delays around two truncation lengths,
five seeds each. Then one network that must echo every delay from 2 to k2 + 1 at once
(one read-out per delay): the memory it builds for the reachable delays serves the
unreachable one too.

Within a chunk, a target at position j has a gradient path back to the inputs at
positions 0..j only; its input is d steps back, so it is reachable only if j >= d, and
for d >= k2 no target ever is: the gradient that would teach that echo is exactly zero.

Run: python tbptt_reach.py   (prints the table; writes tbptt_reach.svg and tbptt_reach.json,
the numbers the page quotes)
"""

import json
import statistics

import matplotlib.pyplot as plt
import torch
from torch import nn

TRUNCATIONS = (4, 8)
UPDATES, BATCH, HIDDEN, LR = 200, 32, 32, 0.01
SEEDS = range(5)


def delays_around(k2: int) -> tuple[int, ...]:
    """The delays measured for a truncation length: two below it, k2 itself, one above."""
    return (k2 - 2, k2 - 1, k2, k2 + 1)


SCORED = 50  # chunks at the end whose accuracy is reported


def bits(batch: int, length: int, generator: torch.Generator) -> torch.Tensor:
    """Random +-1 of shape (batch, length, 1)."""
    return torch.randint(0, 2, (batch, length, 1), generator=generator).float() * 2 - 1


# --8<-- [start:train]
def echo_accuracy(
    k2: int, delays: tuple[int, ...], updates: int = UPDATES, seed: int = 0
) -> list[float]:
    """Truncated BPTT in chunks of k2 steps on the echo task, one read-out per delay;
    the accuracy of each read-out over the last SCORED chunks."""
    for name, n in [("k2", k2), *(("delay", d) for d in delays)]:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    torch.manual_seed(seed)
    rnn, readout = nn.RNN(1, HIDDEN, batch_first=True), nn.Linear(HIDDEN, len(delays))
    optimizer = torch.optim.Adam([*rnn.parameters(), *readout.parameters()], lr=LR)
    longest = max(delays)
    x = bits(BATCH, longest + updates * k2, torch.Generator().manual_seed(seed))
    h, correct = None, []
    for u in range(updates):
        start = longest + u * k2
        chunk = x[:, start : start + k2]
        # the target of read-out d at each position: the input d steps before it
        target = torch.cat([x[:, start - d : start - d + k2] for d in delays], dim=-1)
        out, h = rnn(chunk, h)
        prediction = readout(out)
        loss = nn.functional.mse_loss(prediction, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        h = h.detach()  # the state goes on, the gradient stops at the chunk boundary
        if u >= updates - SCORED:
            correct.append((prediction.sign() == target).float().mean(dim=(0, 1)))
    return torch.stack(correct).mean(dim=0).tolist()


# --8<-- [end:train]


def plot(single: dict[int, dict[int, list[float]]], path: str = "tbptt_reach.svg") -> None:
    """Accuracy against delay for each k2: every seed faint, the median bold, k2 marked."""
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for k2, by_delay in single.items():
        delays = sorted(by_delay)
        median = [100 * statistics.median(by_delay[d]) for d in delays]
        (line,) = ax.plot(
            delays, median, marker="o", label=f"k₂ = {k2} (median of {len(SEEDS)} seeds)"
        )
        for seed in range(len(SEEDS)):
            ax.plot(
                delays,
                [100 * by_delay[d][seed] for d in delays],
                color=line.get_color(),
                lw=0.6,
                alpha=0.35,
            )
        ax.axvline(k2 - 0.5, color=line.get_color(), lw=0.8, ls=":")
        ax.text(k2 - 0.45, 75, f"d = k₂ = {k2}", color=line.get_color(), fontsize="small")
    ax.axhline(50, color="0.5", lw=0.8, ls=":")
    ax.text(2, 51, "chance", color="0.4", fontsize="small", ha="left", va="bottom")
    ax.set_xlabel("delay d (steps between an input and its target)")
    ax.set_ylabel("accuracy, last 50 chunks (%)")
    ax.set_title("One delay per network: learned below k₂, not from k₂ on")
    ax.set_xticks(range(2, max(TRUNCATIONS) + 2))
    ax.legend(loc="lower left", fontsize="small")
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    single = {
        k2: {d: [echo_accuracy(k2, (d,), seed=s)[0] for s in SEEDS] for d in delays_around(k2)}
        for k2 in TRUNCATIONS
    }
    print(f"one delay per network: echo accuracy, last {SCORED} chunks; chance is 50%")
    print(f"median of {len(SEEDS)} seeds (lowest seed in brackets)")
    rows = []
    for k2, by_delay in single.items():
        for d, acc in by_delay.items():
            reach = "reachable" if d < k2 else "cut off"
            rows.append(
                [f"k₂ = {k2}", f"d = {d}", reach, f"{statistics.median(acc):.0%} ({min(acc):.0%})"]
            )
    for r in rows:
        print(" | ".join(r))
    k2 = TRUNCATIONS[0]
    together = [echo_accuracy(k2, tuple(range(2, k2 + 2)), seed=s) for s in SEEDS]
    shared = statistics.median(acc[-1] for acc in together)
    print(
        f"one network echoing every delay from 2 to {k2 + 1}, k₂ = {k2}: "
        f"d = {k2 + 1} at {shared:.0%} (median of {len(SEEDS)} seeds)"
    )
    cut = [a for k, by in single.items() for d, acc in by.items() if d >= k for a in acc]
    kept = [a for k, by in single.items() for d, acc in by.items() if d < k for a in acc]
    values = {
        "seeds": len(SEEDS),
        "reachable_lowest": f"{min(kept):.0%}",
        "cut_median": f"{statistics.median(cut):.0%}",
        "cut_highest": f"{max(cut):.0%}",
        "shared_k2": k2,
        "shared_delay": k2 + 1,
        "shared_accuracy": f"{shared:.0%}",
    }
    with open("tbptt_reach.json", "w", encoding="utf-8") as out:
        json.dump(values, out, indent=1)
    plot(single)
# --8<-- [end:main]
