"""Clip after backward and before step; after unscale_ with a GradScaler; once per
optimizer step with gradient accumulation."""

import clip_placement as cp
import pytest
import torch
from torch import nn

from rnnbook import exploding as er


@pytest.fixture(scope="module")
def updates():
    return {
        "plain": cp.update_of(cp.plain_step),
        "amp": cp.update_of(cp.amp_step, torch.amp.GradScaler("cpu")),
        "amp_early": cp.update_of(cp.amp_step_clip_too_early, torch.amp.GradScaler("cpu")),
        "accumulate": cp.update_of(cp.accumulated_step),
        "clip_each": cp.update_of(cp.accumulated_step_clip_each),
    }


def test_plain_step_returns_the_norm_before_clipping_and_clips(updates):
    update, seen = updates["plain"]
    model = er.make_model(0)
    x, y = er.make_batch(er.BATCH, er.SEQ_LEN, torch.Generator().manual_seed(0))
    nn.functional.mse_loss(model(x), y).backward()
    assert seen == pytest.approx(
        nn.utils.get_total_norm([p.grad for p in model.parameters()]).item()
    )
    assert seen > cp.CLIP_NORM  # so the clip is active in this comparison
    # SGD moved the weights by lr x the clipped gradient, whose norm is CLIP_NORM.
    assert update.norm().item() == pytest.approx(cp.LR * cp.CLIP_NORM, rel=1e-4)


def test_amp_clips_true_gradients_only_after_unscale(updates):
    reference, true_norm = updates["plain"]
    update, seen = updates["amp"]
    assert seen == pytest.approx(true_norm, rel=1e-2)  # float16 forward: close, not equal
    assert cp.compare(update, reference)[1] < 1e-2
    update, seen = updates["amp_early"]
    assert seen == pytest.approx(65536 * true_norm, rel=1e-2)  # the scaled gradient
    size, _ = cp.compare(update, reference)
    assert size == pytest.approx(1 / 65536, rel=0.05)  # the real step shrinks 65536-fold


def test_accumulation_clipped_once_equals_the_full_batch(updates):
    reference, true_norm = updates["plain"]
    update, seen = updates["accumulate"]
    assert seen == pytest.approx(true_norm, rel=1e-5)
    assert cp.compare(update, reference)[1] < 1e-5
    update, _ = updates["clip_each"]
    assert cp.compare(update, reference)[1] > 1e-3  # clipping partial sums: another update


def test_clipping_before_unscale_sees_the_scaled_norm(updates):
    # Clipping before unscale_ sees the scaled norm, 65536 times the true one (float16
    # rounding aside), and shrinks the update by about as much.
    reference, _ = updates["plain"]
    assert updates["amp_early"][1] == pytest.approx(65536 * updates["plain"][1], rel=2e-3)
    assert cp.compare(updates["amp_early"][0], reference)[0] == pytest.approx(1 / 65536, rel=0.01)


def test_uneven_micro_batches_are_rejected():
    model = er.make_model(0)
    optimizer = torch.optim.SGD(model.parameters(), lr=cp.LR)
    x, y = er.make_batch(30, er.SEQ_LEN, torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="does not split into 4 equal parts"):
        cp.accumulated_step(model, optimizer, x, y)
