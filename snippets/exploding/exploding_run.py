"""`python exploding_run.py`: what docs/exploding.md prints from the book's library module rnnbook.exploding.

rnnbook/exploding.py: A real exploding gradient: a small ReLU RNN, plain SGD, and a learning rate one notch too high.
"""

import json
from pathlib import Path

import torch

from rnnbook.exploding import (
    LR_HIGH,
    LR_LOW,
    SEEDS,
    STEPS,
    Outcome,
    example_table,
    mean_loss,
    plot,
    report,
    train,
)
from rnnbook.stats import paired_comparison_phrase

# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    outcomes = [
        Outcome(lr, [train(lr=lr, steps=STEPS, seed=seed) for seed in SEEDS])
        for lr in (LR_HIGH, LR_LOW)
    ]
    print(f"Seeds {SEEDS.start}-{SEEDS.stop - 1}, {STEPS} steps of SGD each")
    values: dict[str, object] = {"steps": STEPS}
    for outcome in outcomes:
        lines, found = report(outcome)
        print("\n".join(lines))
        values |= found
    # Seed k draws the same initial weights and batches at both rates: each seed is a pair.
    high, low = ([h.diverged_at is not None for h in outcome.runs] for outcome in outcomes)
    values["rates_compared"] = paired_comparison_phrase(high, low)
    print(f"blow-ups, lr = {LR_HIGH} against lr = {LR_LOW}: {values['rates_compared']}")
    with open("exploding_run.csv", "w", encoding="utf-8") as table:
        table.write("lr,seed,diverged_at,first20_loss,last20_loss,max_W_hh_norm\n")
        for outcome in outcomes:
            for seed, h in enumerate(outcome.runs):
                last = "" if h.diverged_at is not None else f"{mean_loss(h, first=False):.4f}"
                table.write(
                    f"{outcome.lr},{seed},{h.diverged_at if h.diverged_at is not None else ''},"
                    f"{mean_loss(h, first=True):.4f},{last},{max(h.recurrent_norms):.4g}\n"
                )
    Path("exploding_run.json").write_text(json.dumps(values, indent=1) + "\n", encoding="utf-8")
    seed0 = outcomes[0].runs[0]
    if seed0.diverged_at is not None:
        example_table(seed0)
    plot(outcomes)
# --8<-- [end:main]
