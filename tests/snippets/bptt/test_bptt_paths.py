"""BPTT written as a sum of Jacobian products: the terms, their sizes, and note 004's formula."""

import numpy as np
import pytest
from bptt_paths import (
    SHOWN,
    SIZES,
    T,
    explicit_term,
    four_steps_back,
    percent,
    recurrent_terms,
    total_from_direct,
)
from support import expected_output

from rnnbook import bptt_numpy as rn


def case(activation: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((T, SIZES["input_size"]))
    target = rng.standard_normal(SIZES["output_size"])
    params = rn.init_params(**SIZES, recurrent_scale=1.0, seed=0)
    return params, rn.forward(params, xs, activation=activation), target, rng


@pytest.mark.parametrize("activation", rn.ACTIVATIONS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_terms_add_up_to_bptt_and_match_explicit_products(activation, seed):
    params, trace, target, _ = case(activation, seed)
    terms = recurrent_terms(params, trace, target)
    grads, _ = rn.backward(params, trace, target, loss_at="last")
    assert np.allclose(sum(terms), grads.W_hh, rtol=1e-12, atol=1e-15)
    for k in range(1, T + 1, 7):
        assert np.allclose(explicit_term(params, trace, target, k), terms[k - 1], atol=1e-15)
    assert np.all(terms[0] == 0)  # W_hh meets h_0 = 0 at step 1


def test_readout_gradient_is_one_term_without_jacobians():
    params, trace, target, _ = case("tanh")
    grads, _ = rn.backward(params, trace, target, loss_at="last")
    e_T = trace.ys[-1] - target
    assert np.allclose(grads.W_hy, np.outer(e_T, trace.hs[-1]))


def test_page_output():
    text = expected_output("bptt/bptt_paths")
    assert "The 30 terms add up to BPTT's dL/dW_hh (tanh, sigmoid): [True, True]" in text
    assert "Explicit Jacobian products give the same terms:        [True, True]" in text
    norms, shares, rest = {}, [], []
    for activation in ("tanh", "sigmoid"):
        params, trace, target, _ = case(activation)
        terms = recurrent_terms(params, trace, target)
        norms[activation] = [np.linalg.norm(term) for term in terms]
        grads, _ = rn.backward(params, trace, target, loss_at="last")
        shares.append(np.linalg.norm(sum(terms[-5:])) / np.linalg.norm(grads.W_hh))
        rest.append(np.linalg.norm(sum(terms[:-5])) / np.linalg.norm(grads.W_hh))
        if activation == "tanh":
            assert f"e_T h_T^T, of norm {np.linalg.norm(grads.W_hy):.1e}" in text
    for n in SHOWN:
        tanh, sigmoid = norms["tanh"][T - 1 - n], norms["sigmoid"][T - 1 - n]
        assert f"{n:5d}   {tanh:7.1e}   {sigmoid:7.1e}" in text
    assert min(shares) > 0.99  # "essentially the whole gradient"
    assert "in the last 5 terms: " + "  ".join(f"{100 * v:.1f}%" for v in shares) in text
    # The norm share misleads: the earlier terms still move the gradient by several per cent
    # in the tanh network, as the page says; in the sigmoid one they are negligible.
    assert "change dL/dW_hh by:   " + "  ".join(percent(v) for v in rest) in text
    assert rest[0] > 0.05 > 0.01 > rest[1]
    # The terms shrink with the number of Jacobians they carry (the figure).
    for activation in ("tanh", "sigmoid"):
        assert norms[activation][T - 1] > 1e3 * norms[activation][T - 21]


def test_note_004_sum_needs_the_direct_derivative():
    params, trace, _, rng = case("tanh")
    targets = rng.standard_normal((T, 1))  # the same draw as the snippet's
    direct = (trace.ys - targets) @ params.W_hy
    total = total_from_direct(params, trace, direct)
    _, dh_norms = rn.backward(params, trace, targets, loss_at="every")
    assert np.allclose(np.linalg.norm(total, axis=1), dh_norms, rtol=1e-12)
    wrong = total_from_direct(params, trace, total)
    ratio = np.linalg.norm(wrong[0]) / dh_norms[0]
    assert f"||dL/dh_1|| is {ratio:.2f} times too large" in expected_output("bptt/bptt_paths")
    assert ratio > 1.5
    assert np.allclose(wrong[-1], total[-1])  # only the last step, with no later paths, agrees


def test_bad_input_gets_a_clear_error():
    params, trace, _, _ = case("tanh")
    with pytest.raises(ValueError, match="targets"):
        recurrent_terms(params, trace, np.ones(3))


@pytest.mark.parametrize("activation", rn.ACTIVATIONS)
def test_note_001_five_step_formula_against_the_chain_rule(activation):
    params, _, target, _ = case(activation)
    xs = np.random.default_rng(0).standard_normal((T, SIZES["input_size"]))[:5]
    trace = rn.forward(params, xs, activation=activation)
    _, dh_norms = rn.backward(params, trace, target, loss_at="last")
    correct, note = four_steps_back(params, trace, params.W_hy.T @ (trace.ys[-1] - target))
    assert np.linalg.norm(correct) == pytest.approx(dh_norms[0], rel=1e-12)
    assert not np.allclose(note, correct, rtol=1e-2)
    if activation == "tanh":
        text = expected_output("bptt/bptt_paths")
        assert f"4 Jacobians (t = 5, 4, 3, 2): {dh_norms[0]:.4e}" in text
        assert f"5 slopes at h:     {np.linalg.norm(note):.4e}" in text
