"""Per-step gradients of the LRU against the tanh RNN and the LSTM: the claims of the page."""

import lru_profiles as lp
import pytest
import torch
from support import expected_output, generated_values

from rnnbook import lru
from rnnbook.gradients import per_step_grad_norms


@pytest.fixture(scope="module")
def found():
    return lp.measure()


def test_the_lru_gradient_is_conj_lambda_powers_times_the_last_one():
    """dL/dh_t = conj(λ)^(T-t) ⊙ dL/dh_T elementwise (PyTorch's convention for a real loss)."""
    torch.manual_seed(0)
    layer = lru.LRU(3, 5).double()
    u = torch.randn(2, 12, 3, dtype=torch.float64)
    states = layer.states(u)
    loss = layer.read_out(states[-1], u[:, -1]).pow(2).sum()
    grads = torch.autograd.grad(loss, states)
    lam = layer.eigenvalues().detach()
    for t, g in enumerate(grads):
        assert torch.allclose(g, lam.conj() ** (11 - t) * grads[-1], atol=1e-12)


def test_each_ring_bounds_the_ratio(found):
    for (r_min, r_max), (profile, low, high) in found["rings"].items():
        assert r_min - 1e-6 <= low and high <= r_max + 1e-6
        steps_back = torch.arange(lp.T - 1, -1, -1, dtype=torch.float64)
        assert torch.all(profile <= high**steps_back * (1 + 1e-9))
        assert torch.all(profile >= low**steps_back * (1 - 1e-9))


def test_the_ring_decides_how_far_back_the_gradient_reaches(found):
    ratios = [profile[0].item() for profile, _, _ in found["rings"].values()]
    assert ratios == sorted(ratios)
    assert ratios[0] < 1e-25  # |λ| <= 0.5: vanishing again
    assert ratios[1] < 1e-4
    assert 0.05 < ratios[2] < 1  # the default ring [0.9, 0.999]
    assert ratios[3] > 0.9


def test_lru_keeps_what_the_rnn_and_the_lstm_lose(found):
    models = found["models"]
    assert models["LRU"][0] > 0.05
    for name in ("tanh RNN", "LSTM, h_t", "LSTM, c_t"):
        assert models[name][0] < 1e-15, name
        assert models[name][0] < models["LRU"][0] * 1e-10


def test_per_step_norms_match_step_grads_on_a_plain_sum():
    """The profile helper uses the site's one-pass tool; check it against T passes here."""
    torch.manual_seed(1)
    layer = lru.LRU(2, 3).double()
    u = torch.randn(1, 6, 2, dtype=torch.float64)
    states = layer.states(u)
    loss = layer.read_out(states[-1], u[:, -1]).sum()
    one = per_step_grad_norms(loss, states)
    many = [torch.autograd.grad(loss, h, retain_graph=True)[0].norm() for h in states]
    assert torch.allclose(one, torch.stack(many), rtol=1e-12)


def test_page_output_and_values():
    text = expected_output("linear/lru_profiles")
    assert text.count("True") == 4 and "False" not in text
    values = generated_values("linear/lru_profiles")
    assert set(values) == {
        "ring_00",
        "ring_05",
        "ring_09",
        "ring_0999",
        "lru_ratio",
        "tanh_ratio",
        "lstm_h_ratio",
        "lstm_c_ratio",
    }
    assert values["lru_ratio"] == values["ring_09"]


def test_sci_formats_for_prose():
    assert lp.sci(3.14e-5) == "3.1 × 10⁻⁵"
    assert lp.sci(0.95) == "9.5 × 10⁻¹"
