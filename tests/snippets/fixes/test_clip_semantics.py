"""clip_grad_norm_ and clip_grad_value_: global norm, returned value, direction, NaN/Inf."""

import math

import clip_semantics as cs
import pytest
import torch
from support import expected_output
from torch import nn


def test_global_norm_is_one_vector_and_returned_before_clipping():
    params = cs.with_grads([3.0, 0.0, 4.0], [12.0, 0.0])
    returned = nn.utils.clip_grad_norm_(params, max_norm=1.0)
    assert returned.item() == 13.0  # sqrt(5^2 + 12^2), not max(5, 12) nor 5 + 12
    after = torch.cat([p.grad for p in params])
    assert after.norm().item() == pytest.approx(13 / (13 + 1e-6), abs=1e-7)
    # One factor for every parameter: the 5 : 12 ratio survives.
    assert params[1].grad.norm() / params[0].grad.norm() == pytest.approx(12 / 5)


def test_small_gradient_passes_untouched():
    params = cs.with_grads([0.3, -0.4])
    before = params[0].grad.clone()
    assert nn.utils.clip_grad_norm_(params, max_norm=1.0).item() == pytest.approx(0.5)
    assert torch.equal(params[0].grad, before)


def test_by_norm_keeps_the_direction_and_by_value_turns_it():
    clipped = cs.clip_both_ways(cs.GRADIENT_2D)
    original = clipped["original"]
    assert cs.angle_degrees(original, clipped["clip_grad_norm_"]) < 0.05
    assert clipped["clip_grad_norm_"].norm().item() == pytest.approx(1.0, abs=1e-6)
    assert clipped["clip_grad_value_"].tolist() == [1.0, 0.5]
    exact = math.degrees(math.atan(0.5 / 1.0) - math.atan(0.5 / 3.0))
    assert cs.angle_degrees(original, clipped["clip_grad_value_"]) == pytest.approx(exact, abs=1e-3)
    assert f"{exact:.1f}" == "17.1"


def test_nonfinite_gradients():
    params = cs.with_grads([1.0, math.inf], [2.0])
    assert math.isinf(nn.utils.clip_grad_norm_(params, 1.0).item())
    # The factor max_norm / (inf + 1e-6) is 0: finite entries become 0, the Inf becomes NaN.
    assert params[0].grad[0].item() == 0.0 and math.isnan(params[0].grad[1].item())
    assert params[1].grad.tolist() == [0.0]
    params = cs.with_grads([1.0, math.nan], [2.0])
    assert math.isnan(nn.utils.clip_grad_norm_(params, 1.0).item())
    assert all(math.isnan(v) for p in params for v in p.grad.tolist())
    params = cs.with_grads([1.0, math.inf], [2.0])
    with pytest.raises(RuntimeError, match="is non-finite, so it cannot be clipped"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_page_output_and_table():
    text = expected_output("fixes/clip_semantics")
    assert "clip_grad_norm_ returned 13 (the norm BEFORE clipping)" in text
    assert "after clipping: global norm 0.9999999, per-parameter norms 0.3846 and 0.9231" in text
    assert "a gradient of norm 0.5 < 1: unchanged = True" in text
    for row in cs.table_rows(cs.clip_both_ways(cs.GRADIENT_2D)):
        assert (
            f"{row[0].strip('`'):22s} {row[1]:16s} norm {row[2]}  angle to the original {row[3]}"
            in text
        )
    assert "(1.000, 0.500)   norm 1.118  angle to the original 17.1°" in text
    assert "an Inf in one gradient: returned norm inf, gradients now [0.0, nan] and [0.0]" in text
    assert "a NaN in one gradient: returned norm nan, gradients now [nan, nan] and [nan]" in text
    assert "error_if_nonfinite=True raises RuntimeError: The total norm of order 2.0" in text


def test_bad_input():
    with pytest.raises(ValueError, match="two finite numbers"):
        cs.clip_both_ways((1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="two finite numbers"):
        cs.clip_both_ways((math.nan, 1.0))
    with pytest.raises(ValueError, match="zero vector"):
        cs.angle_degrees(torch.zeros(2), torch.ones(2))
