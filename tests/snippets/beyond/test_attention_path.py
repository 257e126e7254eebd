"""RNN against attention: how the first input's influence on the output depends on T."""

import itertools
import math

import attention_path as ap
import pytest
import torch
from support import generated_output

from gtt import compare


@pytest.fixture(scope="module")
def found():
    return ap.influence_table()


def at(found, name, length):
    return found[name][ap.LENGTHS.index(length)]


def test_rnn_influence_falls_geometrically(found):
    rnn = found["tanh RNN"]
    assert at(found, "tanh RNN", 200) / at(found, "tanh RNN", 100) < 1e-20
    assert at(found, "tanh RNN", 200) < 1e-50
    assert all(b < a for a, b in itertools.pairwise(rnn[2:]))  # falls from T = 3 on


def test_attention_reaches_x1_in_one_step_but_softmax_dilutes_it(found):
    diffuse = ap.loglog_slope(ap.LENGTHS, found["attention, diffuse"], 10, 200)
    assert -1.2 < diffuse < -0.8  # like 1/T: polynomial, not exponential
    sharp = ap.loglog_slope(ap.LENGTHS, found["attention, sharp"], 10, 200)
    assert 0 < sharp < 0.3 and at(found, "attention, sharp", 200) > 0.5  # even rises
    # Even the diluted attention gradient at T = 200 beats the RNN's at T = 20.
    assert at(found, "attention, diffuse", 200) > at(found, "tanh RNN", 20)


def test_the_pages_formula_for_dy_dx1():
    """dy/dx_1 = alpha_1 (W_V^T w_y + (w_y^T v_1 - y) W_K^T q / sqrt(D)) for T > 1, no bonus."""
    model = ap.AttentionReadout()
    x = ap.marked_sequences(7)
    x_tilde = x + ap.sinusoidal_positions(7)
    with torch.no_grad():
        q = x_tilde[:, -1] @ model.W_Q.T
        keys, v = x_tilde @ model.W_K.T, x_tilde @ model.W_V.T
        alpha = torch.softmax((keys @ q[:, :, None])[..., 0] / ap.D**0.5, dim=1)
        y = model(x)
        score_term = (v[:, 0] @ model.w_y - y)[:, None] * (q @ model.W_K) / ap.D**0.5
        by_hand = alpha[:, :1] * (model.W_V.T @ model.w_y + score_term)
    x.requires_grad_(True)
    (grad,) = torch.autograd.grad(model(x).sum(), x)
    assert torch.allclose(grad[:, 0], by_hand, rtol=1e-10, atol=1e-14)


def test_softmax_weight_on_the_first_position():
    x = ap.marked_sequences(200)
    assert ap.attention_weight_on_first(ap.AttentionReadout(), x) < 2 / 200
    assert ap.attention_weight_on_first(ap.AttentionReadout(bonus=ap.SHARP_BONUS), x) > 0.5
    one = ap.marked_sequences(1)
    assert ap.attention_weight_on_first(ap.AttentionReadout(), one) == 1.0


def test_a_fixed_score_margin_is_diluted_by_more_positions():
    """alpha_1 = e^beta / (e^beta + sum of the others): the margin must grow like log T."""
    text = generated_output("beyond/attention_path")
    sharp = ap.AttentionReadout(bonus=ap.SHARP_BONUS)
    weights = {}
    for length in (10, 200):
        x = ap.marked_sequences(length)
        weights[length] = ap.attention_weight_on_first(sharp, x)
        diffuse = ap.attention_weight_on_first(ap.AttentionReadout(), x)
        line = f"weight on position 1 at T = {length}: diffuse {diffuse:.4f}, sharp {weights[length]:.4f}"
        assert line in text
    assert weights[10] > 0.98 and 0.75 < weights[200] < 0.85


def test_without_positions_attention_cannot_see_order():
    assert ap.permutation_changes_output(ap.AttentionReadout(positions=False)) < 1e-12
    assert ap.permutation_changes_output(ap.AttentionReadout()) > 0.1


def test_sinusoidal_positions_match_the_formula():
    p = ap.sinusoidal_positions(50, 8)
    assert p[7, 2].item() == pytest.approx(math.sin(7 / 10000 ** (2 / 8)))
    assert p[7, 3].item() == pytest.approx(math.cos(7 / 10000 ** (2 / 8)))
    assert torch.allclose(p.pow(2).sum(1), torch.full((50,), 4.0, dtype=torch.float64))


def test_page_output(found):
    """This build's output (the RNN's last digits depend on the CPU's float64 kernels)."""
    text = generated_output("beyond/attention_path")
    lines = text.splitlines()
    for length in ap.SHOWN:
        i = ap.LENGTHS.index(length)
        # The build ran as another CPU: the RNN's column carries the page's 1% tolerance.
        cells = [f"{found[n][i]:21.2e}" + ("{±1%}" if n == "tanh RNN" else "") for n in found]
        mine = f"{length:<9d}" + "".join(cells)
        built = next(line for line in lines if line.startswith(f"{length:<9d}"))
        assert not compare.mismatches(mine, built), (mine, built)
    per_step = (at(found, "tanh RNN", 200) / at(found, "tanh RNN", 100)) ** (1 / 100)
    built = next(line for line in lines if "per extra step" in line)
    assert abs(float(built.split("a factor of ")[1].split()[0]) - per_step) <= 0.002
    for name in ("attention, diffuse", "attention, sharp"):
        slope = ap.loglog_slope(ap.LENGTHS, found[name], 10, 200)
        assert f"{name}: ||dy/dx_1|| ~ T^{slope:.2f}" in text
    assert "without position codes: 0.00  (below 1e-12, rounding only: True)" in text


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: ap.AttentionReadout()(torch.zeros(2, 5, 3, dtype=torch.float64)),
            ValueError,
            r"\(batch, T, 8\)",
        ),
        (lambda: ap.RNNReadout()(torch.zeros(2, 0, 8, dtype=torch.float64)), ValueError, "T >= 1"),
        (
            lambda: ap.first_input_influence(ap.RNNReadout(), torch.full((1, 3, 8), float("nan"))),
            ValueError,
            "NaN",
        ),
        (lambda: ap.AttentionReadout(bonus=float("inf")), ValueError, "finite"),
        (lambda: ap.sinusoidal_positions(0), ValueError, "positive integer"),
        (lambda: ap.marked_sequences(2.5), ValueError, "positive integer"),
        (
            lambda: ap.loglog_slope(ap.LENGTHS, [1.0] * len(ap.LENGTHS), 10, 11),
            ValueError,
            "two different lengths",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
