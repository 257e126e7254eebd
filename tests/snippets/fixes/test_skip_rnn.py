"""Skip connections across time shorten the gradient path: the numbers on the page."""

import pytest
import skip_rnn as sr
import torch
from support import expected_output
from torch import nn


def test_without_skip_it_is_the_plain_tanh_rnn():
    model, _ = sr.make_model(None)
    rnn = nn.RNN(2, sr.lrt.HIDDEN, batch_first=True)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(rnn, f"{name}_l0").copy_(getattr(model.cell, name))
    x = torch.randn(4, 12, 2)
    assert torch.allclose(torch.stack(model(x), dim=1), rnn(x)[0], atol=1e-6)
    assert model.w_skip is None


def test_skip_feeds_h_t_minus_k_into_h_t():
    model, _ = sr.make_model(5)
    states = model(torch.randn(3, 12, 2))
    assert torch.autograd.grad(states[11].sum(), states[6], retain_graph=True)[0].abs().sum() > 0
    # Before step k + 1 there is no shortcut: h_5 reads only h_4.
    assert (
        torch.autograd.grad(states[4].sum(), states[0], retain_graph=True, allow_unused=True)[0]
        .abs()
        .sum()
        > 0
    )
    assert sum(p.numel() for p in model.w_skip.parameters()) == sr.lrt.HIDDEN**2


def test_the_shortcut_keeps_the_gradient_alive():
    plain, five, ten = (sr.step_norms(k) for k in sr.SKIPS)
    assert plain[0] < 1e-7 and five[0] > 1e-2 and ten[0] > 1e-2
    assert 1e6 < five[0] / plain[0] < 1e8  # "seven orders of magnitude larger"
    # With k = 10 the profile is a saw: it jumps at the steps a shortcut lands on.
    assert ten[19] > 5 * ten[20]


@pytest.fixture(scope="module")
def curves():
    torch.set_num_threads(1)
    return {skip: sr.train(skip) for skip in sr.SKIPS}


def test_page_output(curves):
    text = expected_output("fixes/skip_rnn")
    for skip, losses in curves.items():
        cells = sr.row(skip, losses)
        assert " | ".join(f"{h}: {v}" for h, v in zip(sr.HEADER, cells, strict=True)) in text
    assert (
        "network: plain RNN | ‖∂L/∂h₁‖ / ‖∂L/∂h₄₀‖ at init: 9.0e-09 | loss, steps 1-50: 1.015 | last-50 loss: 1.004"
        in text
    )
    assert "network: skip k = 5 | ‖∂L/∂h₁‖ / ‖∂L/∂h₄₀‖ at init: 7.8e-02 |" in text
    for skip in (5, 10):
        assert sum(curves[skip][-50:]) / 50 < 1e-3


@pytest.mark.parametrize("skip", [1, 0, 2.5, True])
def test_bad_skip(skip):
    with pytest.raises(ValueError, match="skip must be an integer >= 2 or None"):
        sr.SkipRNN(2, 4, skip)


def test_plot_is_byte_stable(tmp_path, curves):
    sr.plot(curves, str(tmp_path / "a.svg"))
    sr.plot(curves, str(tmp_path / "b.svg"))
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()
