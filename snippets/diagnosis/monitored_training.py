"""`python monitored_training.py`: what docs/diagnosis.md prints from the book's library module rnnbook.monitored_training.

rnnbook/monitored_training.py: A complete training script with the gradient-health monitor in it.
"""

import json
import math

import torch

from rnnbook.monitor import VANISHING_RATIO
from rnnbook.monitored_training import (
    BATCH,
    DISTANCE,
    HIDDEN,
    LR,
    SEEDS,
    SITUATIONS,
    SOLVED,
    STEPS,
    describe,
    make_model,
    mean,
    recall_batches,
    train,
)
from rnnbook.report import median_range

# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    print(f"Recall a bit {DISTANCE} steps back: nn.RNN, {HIDDEN} units, Adam at lr {LR},")
    print(f"batch {BATCH}, {STEPS} optimizer steps")
    seeds = [train(make_model(s), recall_batches, lr=LR, steps=STEPS, seed=s) for s in SEEDS]
    ratios = [m.early_to_late() for m in seeds]
    values = {
        "seeds": len(SEEDS),
        "solved": sum(mean(m.losses[-20:]) < SOLVED for m in seeds),
        "healthy": sum(m.diagnose().name == "healthy" for m in seeds),
        "ratio": median_range(ratios, "{:.0e}"),
        "small_ratio": sum(r < VANISHING_RATIO for r in ratios),
    }
    print(
        f"float32, seeds {SEEDS.start}-{SEEDS.stop - 1}: solved (loss of the last 20 steps below "
        f"{SOLVED:g}) in {values['solved']} of {len(SEEDS)}; named healthy in "
        f"{values['healthy']}; early/late {values['ratio']}, below {VANISHING_RATIO:g} in "
        f"{values['small_ratio']}"
    )
    print("Seed 0 in each situation (the same initial weights and batches):")
    monitors = {"float32": seeds[0]}
    for name, options in list(SITUATIONS.items())[1:]:
        monitors[name] = train(make_model(), recall_batches, lr=LR, steps=STEPS, **options)
    for name, monitor in monitors.items():
        print(describe(name, monitor))
    plain, split = monitors["float32"], list(monitors.values())[-1]
    same = math.isclose(plain.grad_norms[0], split.grad_norms[0], rel_tol=1e-5) and bool(
        torch.allclose(plain.probes[0], split.probes[0], rtol=1e-5)
    )
    print(f"step 0, float32 vs accumulation: same gradient norm and ||dL/dh_t|| to 1e-5: {same}")
    values["skipped"] = len(monitors["float16 + GradScaler"].skipped)
    with open("monitored_training.json", "w", encoding="utf-8") as out:
        json.dump(values, out, indent=1, ensure_ascii=False)
        out.write("\n")
# --8<-- [end:main]
