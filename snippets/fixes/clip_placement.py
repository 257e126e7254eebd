"""Where the clipping call goes: plain training, mixed precision, gradient accumulation.

The rule is the same in all three: clip the gradient that the optimizer is about to use,
in its true units, once per optimizer step. That is
- after loss.backward() and before optimizer.step();
- with a GradScaler (mixed precision), after scaler.unscale_(optimizer): before it, the
  gradients are multiplied by the loss scale (65536 at the start) and the threshold means
  nothing;
- with gradient accumulation, once, after the last micro-batch's backward().

Each function below is one optimizer step you can copy. The demo takes one step of the
exploding-gradients chapter's model on one batch each way and compares the update with a
plain full-batch step in float32. Mixed precision runs on the CPU here (float16 autocast;
on a GPU write "cuda").

Run: python clip_placement.py   (prints the comparison, writes clip_placement_table.md)
"""

import torch
from torch import nn

from rnnbook import exploding

CLIP_NORM = 1.0
LR = 0.1
MICRO_BATCHES = 4


# --8<-- [start:plain]
def plain_step(model: nn.Module, optimizer, x: torch.Tensor, y: torch.Tensor) -> float:
    """One step: backward, clip, step. Returns the gradient norm before clipping."""
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)  # after backward...
    optimizer.step()  # ...before step
    return norm.item()


# --8<-- [end:plain]


# --8<-- [start:amp]
def amp_step(model: nn.Module, optimizer, scaler, x: torch.Tensor, y: torch.Tensor) -> float:
    """One mixed-precision step: unscale, then clip, then let the scaler step."""
    optimizer.zero_grad()
    with torch.autocast(device_type="cpu", dtype=torch.float16):
        prediction = model(x)
    loss = nn.functional.mse_loss(prediction.float(), y)
    scaler.scale(loss).backward()  # gradients are now multiplied by the loss scale
    scaler.unscale_(optimizer)  # divide them back to true units, in place
    norm = nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
    scaler.step(optimizer)  # skips the step if unscale_ found an Inf or NaN
    scaler.update()
    return norm.item()


# --8<-- [end:amp]


def amp_step_clip_too_early(model: nn.Module, optimizer, scaler, x, y) -> float:
    """The WRONG order: clip the still-scaled gradients, then let the scaler unscale them."""
    optimizer.zero_grad()
    with torch.autocast(device_type="cpu", dtype=torch.float16):
        prediction = model(x)
    loss = nn.functional.mse_loss(prediction.float(), y)
    scaler.scale(loss).backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)  # sees scale x the norm
    scaler.step(optimizer)  # unscales now: the clipped gradient shrinks 65536-fold
    scaler.update()
    return norm.item()


# --8<-- [start:accumulate]
def accumulated_step(model: nn.Module, optimizer, x: torch.Tensor, y: torch.Tensor) -> float:
    """One step from MICRO_BATCHES micro-batches: accumulate, then clip once, then step."""
    if x.shape[0] % MICRO_BATCHES:  # equal micro-batches, or the mean of means is wrong
        raise ValueError(f"batch of {x.shape[0]} does not split into {MICRO_BATCHES} equal parts")
    optimizer.zero_grad()
    for xs, ys in zip(x.chunk(MICRO_BATCHES), y.chunk(MICRO_BATCHES), strict=True):
        loss = nn.functional.mse_loss(model(xs), ys) / MICRO_BATCHES  # mean over the batch
        loss.backward()  # adds to .grad
    norm = nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)  # once, on the sum
    optimizer.step()
    return norm.item()


# --8<-- [end:accumulate]


def accumulated_step_clip_each(model: nn.Module, optimizer, x, y) -> float:
    """The WRONG way: clip after every micro-batch, i.e. clip partial sums."""
    optimizer.zero_grad()
    norms = []
    for xs, ys in zip(x.chunk(MICRO_BATCHES), y.chunk(MICRO_BATCHES), strict=True):
        (nn.functional.mse_loss(model(xs), ys) / MICRO_BATCHES).backward()
        norms.append(nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM).item())
    optimizer.step()
    return norms[-1]


def update_of(step, *extra) -> tuple[torch.Tensor, float]:
    """Take one step of a fresh model on the fixed batch: (parameter change, norm seen)."""
    model = exploding.make_model(0)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = exploding.make_batch(
        exploding.BATCH, exploding.SEQ_LEN, torch.Generator().manual_seed(0)
    )
    before = nn.utils.parameters_to_vector(model.parameters()).detach().clone()
    norm = step(model, optimizer, *extra, x, y)
    return nn.utils.parameters_to_vector(model.parameters()).detach() - before, norm


def compare(update: torch.Tensor, reference: torch.Tensor) -> tuple[float, float]:
    """Size of an update relative to the reference, and their relative difference."""
    size = (update.norm() / reference.norm()).item()
    return size, ((update - reference).norm() / reference.norm()).item()


HEADER = ["placement", "norm clip_grad_norm_ saw", "update size / reference", "difference"]


# --8<-- [start:main]
if __name__ == "__main__":
    torch.set_num_threads(1)
    reference, norm = update_of(plain_step)
    scaler = torch.amp.GradScaler("cpu")
    cases = {
        "plain: backward, clip, step (reference)": (reference, norm),
        "mixed precision: unscale_, then clip": update_of(amp_step, torch.amp.GradScaler("cpu")),
        "mixed precision: clip before unscale_ (wrong)": update_of(
            amp_step_clip_too_early, torch.amp.GradScaler("cpu")
        ),
        f"{MICRO_BATCHES} micro-batches: clip once": update_of(accumulated_step),
        f"{MICRO_BATCHES} micro-batches: clip each (wrong)": update_of(accumulated_step_clip_each),
    }
    print(f"one SGD step (lr {LR}), max_norm {CLIP_NORM}, loss scale {scaler.get_scale():g}")
    rows = []
    for name, (update, seen) in cases.items():
        size, diff = compare(update, reference)
        rows.append([name, f"{seen:.4g}", f"{size:.3g}", f"{diff:.1e}"])
        print(f"{name}: norm seen {seen:.4g}, update size {size:.3g}, difference {diff:.1e}")
    with open("clip_placement_table.md", "w", encoding="utf-8") as table:
        table.write("| " + " | ".join(HEADER) + " |\n|" + "---|" * len(HEADER) + "\n")
        table.writelines("| " + " | ".join(r) + " |\n" for r in rows)
# --8<-- [end:main]
