"""The per-timestep figure: its numbers, the one-pass method behind it, and the bound."""

import per_step_norms as psn
import pytest
import torch
from support import expected_output

from rnnbook import gradients as step_grads


@pytest.fixture(scope="module")
def profiles():
    return {(a, s): psn.gradient_profile(a, s) for a in psn.ACTIVATIONS for s in psn.SCALES}


def test_page_table_is_what_the_code_computes(profiles):
    text = expected_output("vanishing/per_step_norms")
    for (activation, scale), profile in profiles.items():
        ratio = profile[0].item()
        row = f"{activation:10s}  {scale:7g}  {psn.GAMMA[activation] * scale:7g}  {ratio:9.1e}"
        assert row in text


def test_every_network_obeys_the_bound_and_the_claims_hold(profiles):
    for (activation, scale), profile in profiles.items():
        per_step = profile[0].item() ** (1 / (psn.T - 1))
        assert per_step <= psn.GAMMA[activation] * scale  # (gamma s)^(T-1) bounds the ratio
        if psn.GAMMA[activation] * scale <= 1:
            assert profile[0] < 1e-8, (activation, scale)  # guaranteed vanishing, and it does
    # Sigmoid vanishes at every scale shown, even s = 4 where gamma*s = 1.
    assert all(profiles["sigmoid", s][0] < 1e-12 for s in psn.SCALES)
    # tanh and ReLU at s = 2 and 4 grow instead: the early steps get MORE gradient.
    assert all(profiles[a, s][0] > 1 for a in ("tanh", "relu") for s in (2.0, 4.0))
    # The lines are straight on the log scale, the slope set by s: normalised at t = T.
    assert all(p[-1] == 1 for p in profiles.values())


def test_relu_vanishes_like_tanh_at_unit_scale(profiles):
    """ReLU's slope of 1 does not save it: inactive units have slope 0."""
    relu, tanh = (profiles[a, 1.0][0].item() ** (1 / (psn.T - 1)) for a in ("relu", "tanh"))
    assert relu < 0.7 and abs(relu - tanh) < 0.05


def test_the_profile_comes_from_one_backward_pass(monkeypatch):
    calls = []
    real = torch.autograd.grad

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(torch.autograd, "grad", counting)
    psn.gradient_profile("tanh", 1.0)
    assert len(calls) == 1


def test_one_pass_equals_T_passes_on_this_network():
    cell = psn.ElmanCell("sigmoid", 2.0, seed=3)
    x = torch.randn(4, 12, psn.INPUT, dtype=torch.float64)
    states = step_grads.unroll(cell, x)
    loss = states[-1].pow(2).sum()
    one = step_grads.per_step_grad_norms(loss, states)
    many = step_grads.per_step_grad_norms_loop(loss, states)
    assert torch.allclose(one, many, rtol=1e-12, atol=0)


def test_recurrent_matrix_has_every_singular_value_equal_to_the_scale():
    for scale in psn.SCALES:
        s = torch.linalg.svdvals(psn.ElmanCell("tanh", scale).W_hh.detach())
        assert torch.allclose(s, torch.full_like(s, scale), rtol=1e-12)


@pytest.mark.parametrize(
    ("args", "message"), [(("softplus", 1.0), "activation must be"), (("tanh", 0.0), "scale must")]
)
def test_bad_input_gets_a_clear_error(args, message):
    with pytest.raises(ValueError, match=message):
        psn.ElmanCell(*args)
