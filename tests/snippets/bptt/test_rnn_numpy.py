"""The hand-written BPTT is the site's reference: it must agree with torch.autograd."""

import numpy as np
import pytest
import rnn_numpy  # the demo: what the page runs
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from support import expected_output

from rnnbook import bptt_numpy as rn

TOLERANCE = 1e-6


def torch_reference(params: rn.Params, xs, h0, targets, activation: str, loss_at: str):
    """The same model written with torch ops in float64; autograd gives the gradients."""
    leaves = {
        name: torch.tensor(p, dtype=torch.float64, requires_grad=True) for name, p in params.items()
    }
    phi = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[activation]
    h = torch.tensor(h0, dtype=torch.float64)
    states, outputs = [], []
    for x in torch.tensor(xs, dtype=torch.float64):
        h = phi(leaves["W_hh"] @ h + leaves["W_xh"] @ x + leaves["b_h"])
        h.retain_grad()
        states.append(h)
        outputs.append(leaves["W_hy"] @ h + leaves["b_y"])
    y = torch.stack(outputs)
    y_star = torch.tensor(targets, dtype=torch.float64)
    err = (y[-1] - y_star) if loss_at == "last" else (y - y_star)
    loss = 0.5 * (err**2).sum()
    loss.backward()
    grads = {name: leaf.grad.numpy() for name, leaf in leaves.items()}
    # h.grad of a retained intermediate is the total derivative dL/dh_t.
    dh_norms = np.array([float(s.grad.norm()) if s.grad is not None else 0.0 for s in states])
    return float(loss.detach()), grads, dh_norms


def random_case(seed: int, D: int, H: int, D_y: int, T: int, scale: float, loss_at: str):
    rng = np.random.default_rng(seed)
    params = rn.init_params(D, H, D_y, recurrent_scale=scale, seed=seed)
    xs = rng.standard_normal((T, D))
    h0 = 0.5 * rng.standard_normal(H)
    targets = rng.standard_normal(D_y) if loss_at == "last" else rng.standard_normal((T, D_y))
    return params, xs, h0, targets


@pytest.mark.parametrize("activation", rn.ACTIVATIONS)
@pytest.mark.parametrize("loss_at", rn.LOSS_AT)
@pytest.mark.parametrize("seed", range(5))
def test_every_gradient_matches_autograd_in_float64(activation, loss_at, seed):
    params, xs, h0, targets = random_case(seed, D=3, H=5, D_y=2, T=7, scale=1.2, loss_at=loss_at)
    trace = rn.forward(params, xs, h0, activation)
    grads, dh_norms = rn.backward(params, trace, targets, loss_at)
    ref_loss, ref_grads, ref_dh = torch_reference(params, xs, h0, targets, activation, loss_at)
    assert rn.loss(trace, targets, loss_at) == pytest.approx(ref_loss, rel=1e-12)
    for name, g in grads.items():
        assert np.any(g != 0), f"{name}: gradient is identically zero, the check would be empty"
        assert rn.relative_error(g, ref_grads[name]) < TOLERANCE, name
    assert rn.relative_error(dh_norms, ref_dh) < TOLERANCE


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    T=st.integers(1, 12),
    H=st.integers(1, 6),
    scale=st.floats(0.1, 3.0),
    activation=st.sampled_from(rn.ACTIVATIONS),
    loss_at=st.sampled_from(rn.LOSS_AT),
)
def test_random_shapes_and_scales_match_autograd(seed, T, H, scale, activation, loss_at):
    params, xs, h0, targets = random_case(seed, D=2, H=H, D_y=3, T=T, scale=scale, loss_at=loss_at)
    trace = rn.forward(params, xs, h0, activation)
    grads, dh_norms = rn.backward(params, trace, targets, loss_at)
    _, ref_grads, ref_dh = torch_reference(params, xs, h0, targets, activation, loss_at)
    for name, g in grads.items():
        assert np.allclose(g, ref_grads[name], rtol=TOLERANCE, atol=1e-12), name
    assert np.allclose(dh_norms, ref_dh, rtol=TOLERANCE, atol=1e-12)


@pytest.mark.parametrize("activation", rn.ACTIVATIONS)
def test_step_jacobian_is_diag_phi_prime_times_W_hh(activation):
    params, xs, h0, _ = random_case(3, D=3, H=4, D_y=2, T=4, scale=1.0, loss_at="last")
    trace = rn.forward(params, xs, h0, activation)
    t = 2  # dh_t/dh_{t-1} at the stored state
    phi = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[activation]
    W_hh, W_xh, b = (torch.tensor(a) for a in (params.W_hh, params.W_xh, params.b_h))
    x = torch.tensor(trace.xs[t - 1])
    jac = torch.autograd.functional.jacobian(
        lambda h: phi(W_hh @ h + W_xh @ x + b), torch.tensor(trace.hs[t - 1])
    )
    J = rn.step_jacobian(params, trace.zs[t - 1], activation)
    assert np.allclose(J, jac.numpy())
    # Note 004's W_hh^T diag(phi') is the transpose of this Jacobian, not the Jacobian.
    slopes = rn.derivative(trace.zs[t - 1], activation)
    assert np.allclose(params.W_hh.T @ np.diag(slopes), J.T)


@pytest.mark.parametrize("activation", rn.ACTIVATIONS)
def test_transposed_jacobian_sends_a_column_gradient_back(activation):
    """W_hh^T diag(phi'(z_t)) multiplies a COLUMN gradient from the left; a row gradient
    goes the other way, g^T diag(phi'(z_t)) W_hh. Both give autograd's dL/dh_{t-1}."""
    params, xs, h0, _ = random_case(4, D=3, H=4, D_y=2, T=3, scale=1.3, loss_at="last")
    trace = rn.forward(params, xs, h0, activation)
    t = 3
    phi = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[activation]
    W_hh, W_xh, b = (torch.tensor(a) for a in (params.W_hh, params.W_xh, params.b_h))
    g = np.random.default_rng(0).standard_normal(4)  # some dL/dh_t
    h_prev = torch.tensor(trace.hs[t - 1], requires_grad=True)
    h_t = phi(W_hh @ h_prev + W_xh @ torch.tensor(trace.xs[t - 1]) + b)
    (reference,) = torch.autograd.grad(h_t, h_prev, grad_outputs=torch.tensor(g))
    slopes = rn.derivative(trace.zs[t - 1], activation)
    column = params.W_hh.T @ np.diag(slopes) @ g  # (dh_t/dh_{t-1})^T g
    row = g @ np.diag(slopes) @ params.W_hh  # g^T (dh_t/dh_{t-1})
    assert np.allclose(column, reference.numpy()) and np.allclose(row, reference.numpy())
    # A row gradient on the LEFT of note 004's matrix is a different vector in general.
    if activation != "relu" or np.any(slopes):
        assert not np.allclose(g @ params.W_hh.T @ np.diag(slopes), reference.numpy())


def test_derivatives_are_taken_at_the_pre_activation():
    z = np.linspace(-4, 4, 81)
    h = np.tanh(z)
    assert np.allclose(rn.derivative(z, "tanh"), 1 - h**2)
    # Evaluating at h instead of z (as note 001's formula does) gives a different number.
    assert not np.allclose(rn.derivative(h, "tanh"), rn.derivative(z, "tanh"))
    s = rn.activate(z, "sigmoid")
    assert np.allclose(rn.derivative(z, "sigmoid"), s * (1 - s))
    assert np.array_equal(rn.derivative(np.array([-1.0, 0.0, 2.0]), "relu"), [0.0, 0.0, 1.0])


def test_central_differences_agree_too():
    params, xs, h0, targets = random_case(9, D=2, H=3, D_y=2, T=5, scale=1.0, loss_at="every")
    grads, _ = rn.backward(params, rn.forward(params, xs, h0), targets, "every")

    def f() -> float:
        return rn.loss(rn.forward(params, xs, h0), targets, "every")

    for (name, g), (_, p) in zip(grads.items(), params.items(), strict=True):
        assert rn.relative_error(g, rn.numerical_gradient(f, p)) < 1e-7, name


def test_page_output():
    text = expected_output("bptt/rnn_numpy")
    assert text.count("finite differences agree to < 1e-6") == 6
    params = rn.init_params(**rnn_numpy.SIZES, recurrent_scale=1.0, seed=0)
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((rnn_numpy.T, 3))
    targets = rng.standard_normal((rnn_numpy.T, 2))
    trace = rn.forward(params, xs, activation="sigmoid")
    _, dh_norms = rn.backward(params, trace, targets[-1], "last")
    line = "  ||dL/dh_t||, t = 1..6: " + " ".join(f"{n:.4f}" for n in dh_norms)
    assert line in text.split("sigmoid, loss at the last step")[1]
    # With the loss at the last step and a sigmoid, the norm shrinks at every step back,
    # by a factor of four or five each time (as the page says).
    factors = dh_norms[1:] / dh_norms[:-1]
    assert np.all((factors > 3.5) & (factors < 5.5)), factors


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda p: rn.forward(p, np.ones((4, 2))), ValueError, r"xs must have shape \(T, 3\)"),
        (lambda p: rn.forward(p, np.ones((0, 3))), ValueError, "T >= 1"),
        (lambda p: rn.forward(p, np.ones((4, 3)), h0=np.ones(2)), ValueError, "h0 must have"),
        (lambda p: rn.forward(p, np.full((4, 3), np.nan)), ValueError, "NaN"),
        (lambda p: rn.forward(p, np.ones((4, 3)), activation="gelu"), ValueError, "activation"),
        (lambda p: rn.loss(rn.forward(p, np.ones((4, 3))), np.ones(3)), ValueError, "targets"),
        (
            lambda p: rn.loss(rn.forward(p, np.ones((4, 3))), np.ones(2), "all"),
            ValueError,
            "loss_at",
        ),
        (
            lambda p: rn.backward(p, rn.forward(p, np.ones((4, 3))), np.ones(2), loss_at="every"),
            ValueError,
            r"targets must have shape \(4, 2\)",
        ),
        (lambda p: rn.step_jacobian(p, np.ones(3)), ValueError, "z must have shape"),
        (lambda p: rn.Params(p.W_xh, p.W_hh[:3], p.b_h, p.W_hy, p.b_y), ValueError, "inconsistent"),
        (lambda p: rn.Params(p.W_xh, p.W_hh * np.nan, p.b_h, p.W_hy, p.b_y), ValueError, "NaN"),
        (lambda p: rn.init_params(0, 4, 2, recurrent_scale=1.0), ValueError, "positive integer"),
        (lambda p: rn.init_params(3, 4, 2, recurrent_scale=-1.0), ValueError, "recurrent_scale"),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    params = rn.init_params(3, 4, 2, recurrent_scale=1.0)
    with pytest.raises(error, match=message):
        call(params)
