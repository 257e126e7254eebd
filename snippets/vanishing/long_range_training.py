"""`python long_range_training.py`: what docs/vanishing.md prints from the book's library module rnnbook.recall.

rnnbook/recall.py: What a vanishing gradient looks like in training: the loss stays at the baseline.
"""

import json
import math
import statistics

import torch

from rnnbook.recall import (
    BATCH,
    DISTANCES,
    HIDDEN,
    LR,
    RATIO_ONLY,
    SEEDS,
    SMOOTH,
    SOLVED_LOSS,
    STEPS,
    early_to_late_ratio,
    outcome,
    plot,
    solved_at,
    train,
)
from rnnbook.report import median_range, scientific

# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    runs = {T: [train(T, seed=seed, stop_when_solved=True) for seed in SEEDS] for T in DISTANCES}
    print(f"Recall the bit of step 1 at step T; answering 0 scores 1. tanh RNN, {HIDDEN} units,")
    print(f"SGD lr {LR}, batch {BATCH}, at most {STEPS} steps, seeds {SEEDS[0]}-{SEEDS[-1]}.")
    print(f"Solved: loss, mean of {SMOOTH} steps, below {SOLVED_LOSS}; the run then stops.")
    print()
    print(" T   solved  diverged  solved at step:        loss, last 50 steps,")
    print("                       median (range)         runs not solved: median (range)")
    values = {"seeds": len(SEEDS), "steps": STEPS}
    for T, seeds in runs.items():
        kinds = [outcome(losses) for losses in seeds]
        steps = [
            solved_at(losses) for losses, kind in zip(seeds, kinds, strict=True) if kind == "solved"
        ]
        stuck = [
            sum(losses[-50:]) / 50
            for losses, kind in zip(seeds, kinds, strict=True)
            if kind == "not solved"
        ]
        print(
            f"{T:2d}   {kinds.count('solved')} of {len(SEEDS)}  {kinds.count('diverged'):5d}"
            f"     {median_range(steps, '{:.0f}', ' to '):21s}  {median_range(stuck, '{:.3f}', ' to ')}"
        )
        values |= {
            f"solved_{T}": kinds.count("solved"),
            f"diverged_{T}": kinds.count("diverged"),
            f"not_solved_{T}": kinds.count("not solved"),
        }
        if steps:
            values[f"median_step_{T}"] = round(statistics.median(steps))
        if stuck:
            values[f"stuck_loss_min_{T}"] = round(min(stuck), 3)
            values[f"stuck_loss_max_{T}"] = round(max(stuck), 3)

    print("\nR = ||dL/dh_1|| / ||dL/dh_T|| at initialisation, over the same seeds")
    print(" T   median   (range)")
    for T in DISTANCES + RATIO_ONLY:
        ratios = [early_to_late_ratio(T, seed) for seed in SEEDS]
        print(f"{T:2d}   {median_range(ratios, '{:.0e}', ' to ')}")
        values[f"ratio_{T}"] = scientific(statistics.median(ratios))
        values[f"ratio_orders_{T}"] = math.floor(-math.log10(statistics.median(ratios)))
    with open("long_range_training.json", "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    plot(runs)
# --8<-- [end:main]
