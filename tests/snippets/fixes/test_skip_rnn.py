"""Skip connections across time shorten the gradient path: the numbers on the page."""

import skip_rnn as sr
import torch
from support import generated_output, generated_values
from torch import nn

from rnnbook import recall


def test_without_skip_it_is_the_plain_tanh_rnn():
    model, _ = sr.make_model(None)
    rnn = nn.RNN(2, recall.HIDDEN, batch_first=True)
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
    assert sum(p.numel() for p in model.w_skip.parameters()) == recall.HIDDEN**2


def test_the_shortcut_keeps_the_gradient_alive():
    plain, five, ten = (sr.step_norms(k) for k in sr.SKIPS)
    assert plain[0] < 1e-7 and five[0] > 1e-2 and ten[0] > 1e-2
    assert 1e5 < five[0] / plain[0] < 1e9  # "orders of magnitude larger"
    # With k = 10 the profile is a saw: it jumps at the steps a shortcut lands on.
    assert ten[19] > 5 * ten[20]


def test_with_the_shortcut_most_seeds_solve_and_without_none_does():
    values = generated_values("fixes/skip_rnn")
    assert values["seeds"] == 5
    assert generated_values("fixes/recurrent_init")["default_lr01_solved"] == 0  # the plain RNN
    assert values["skip5_solved"] >= 4 and values["skip10_solved"] >= 4
    assert float(values["plain_ratio"]) < 1e-6


def test_table_rows():
    lines = generated_output("fixes/skip_rnn").splitlines()
    assert lines[1].startswith("plain RNN: R = ") and lines[2] == " | ".join(sr.HEADER)
    assert [line.split(" | ")[0] for line in lines[3:]] == [sr.name(s) for s in sr.TRAINED]
