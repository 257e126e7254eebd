# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Lab: recurrence and backpropagation through time
#
# This notebook goes with the chapter [Recurrence and BPTT](../../../bptt/). In a few cells
# it writes a vanilla RNN and its backward pass in plain NumPy, checks the gradient against
# finite differences, and splits the gradient of the recurrent matrix into one term per
# time step. Then come three exercises: a gradient you work out by hand on a three-step
# sequence, a backward pass with a planted bug, and a network whose gradient terms do not
# shrink. Only NumPy and matplotlib are needed, and every cell runs in well under a second.
#
# Each exercise has a worked solution below it, folded away: try first, then open it.

# %% [markdown]
# ## The model
#
# With column vectors, one step of the network reads
#
# $$
# z_t = W_{hh} h_{t-1} + b_h + W_{xh} x_t, \qquad h_t = \phi(z_t), \qquad t = 1, \dots, T,
# $$
#
# starting from $h_0 = 0$. We score only the last state: $y = W_{hy} h_T + b_y$ and
# $L = \tfrac12 \lVert y - y^\ast \rVert^2$. The parameters live in a dictionary so that the
# gradient check below can loop over them.

# %%
import matplotlib.pyplot as plt
import numpy as np


def phi(z, activation):
    """The activation, elementwise."""
    if activation == "tanh":
        return np.tanh(z)
    if activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return z.copy()  # "linear"


def phi_slope(z, activation):
    """phi'(z), taken at the pre-activation z."""
    if activation == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if activation == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 - s)
    return np.ones_like(z)


def random_params(inputs, hidden, outputs, scale=1.0, seed=0):
    """Random weights; W_hh is `scale` times a random orthogonal matrix."""
    rng = np.random.default_rng(seed)
    Q, R = np.linalg.qr(rng.standard_normal((hidden, hidden)))
    return {
        "W_xh": rng.standard_normal((hidden, inputs)) / np.sqrt(inputs),
        "W_hh": scale * Q * np.sign(np.diag(R)),
        "b_h": 0.1 * rng.standard_normal(hidden),
        "W_hy": rng.standard_normal((outputs, hidden)) / np.sqrt(hidden),
        "b_y": 0.1 * rng.standard_normal(outputs),
    }


def forward(p, xs, activation="tanh"):
    """Pre-activations z_1..z_T, states h_0..h_T (row 0 is h_0) and the output y."""
    T, H = len(xs), p["W_hh"].shape[0]
    zs, hs = np.zeros((T, H)), np.zeros((T + 1, H))
    for t in range(1, T + 1):
        zs[t - 1] = p["W_hh"] @ hs[t - 1] + p["W_xh"] @ xs[t - 1] + p["b_h"]
        hs[t] = phi(zs[t - 1], activation)
    return zs, hs, p["W_hy"] @ hs[T] + p["b_y"]


def loss(p, xs, target, activation="tanh"):
    return 0.5 * np.sum((forward(p, xs, activation)[2] - target) ** 2)


# %% [markdown]
# ## The backward pass
#
# Let $\delta_t = \partial L / \partial h_t$. At the top, $\delta_T = W_{hy}^\top e$ with
# $e = y - y^\ast$. Going one step back multiplies by the transposed recurrent Jacobian:
#
# $$
# \frac{\partial L}{\partial z_t} = \phi'(z_t) \odot \delta_t, \qquad
# \delta_{t-1} = W_{hh}^\top \frac{\partial L}{\partial z_t}
# = \Big(\operatorname{diag}\big(\phi'(z_t)\big) W_{hh}\Big)^{\!\top} \delta_t .
# $$
#
# The recurrent weights are used at every step, so their gradient is a sum of $T$ terms,
# one per use: $\partial L/\partial W_{hh} = \sum_t (\partial L/\partial z_t)\, h_{t-1}^\top$.
# The function returns those terms too.


# %%
def backward(p, xs, target, activation="tanh"):
    """Gradients of every parameter, the deltas dL/dh_t and the T terms of dL/dW_hh."""
    zs, hs, y = forward(p, xs, activation)
    e = y - target
    grads = {name: np.zeros_like(value) for name, value in p.items()}
    grads["W_hy"], grads["b_y"] = np.outer(e, hs[-1]), e
    deltas, terms = np.zeros_like(zs), np.zeros((len(xs), *p["W_hh"].shape))
    delta = p["W_hy"].T @ e  # dL/dh_T
    for t in range(len(xs), 0, -1):
        deltas[t - 1] = delta
        dz = phi_slope(zs[t - 1], activation) * delta  # dL/dz_t
        terms[t - 1] = np.outer(dz, hs[t - 1])  # the use of W_hh at step t
        grads["W_xh"] += np.outer(dz, xs[t - 1])
        grads["b_h"] += dz
        delta = p["W_hh"].T @ dz  # one step further back: dL/dh_{t-1}
    grads["W_hh"] = terms.sum(axis=0)
    return grads, deltas, terms


# %% [markdown]
# ## Checking it against finite differences
#
# A central difference $\big(L(\theta + \varepsilon) - L(\theta - \varepsilon)\big) / 2\varepsilon$
# has an error of order $\varepsilon^2$, so with $\varepsilon = 10^{-6}$ a correct
# gradient agrees to about seven digits. We nudge every entry of every parameter in turn.


# %%
def numerical_gradient(f, array, eps=1e-6):
    """Central differences of the scalar f() with respect to every entry of array."""
    grad = np.zeros_like(array)
    for i in np.ndindex(array.shape):
        old = array[i]
        array[i] = old + eps
        up = f()
        array[i] = old - eps
        down = f()
        array[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def worst_errors(backward_fn, p, xs, target, activation="tanh"):
    """Largest relative difference between backward_fn and finite differences, per parameter."""
    grads = backward_fn(p, xs, target, activation)[0]
    out = {}
    for name in p:
        numeric = numerical_gradient(lambda: loss(p, xs, target, activation), p[name])
        scale = max(np.abs(numeric).max(), np.abs(grads[name]).max(), 1e-12)
        out[name] = float(np.abs(grads[name] - numeric).max() / scale)
    return out


rng = np.random.default_rng(1)
p = random_params(inputs=3, hidden=4, outputs=2, seed=0)
xs, target = rng.standard_normal((6, 3)), rng.standard_normal(2)
for name, err in worst_errors(backward, p, xs, target).items():
    print(f"{name:5s} relative error {err:.0e}")

# %% [markdown]
# ## One term per step
#
# Now a longer sequence, $T = 30$. The term for the use of $W_{hh}$ at step $k$ contains
# the product of the $T - k$ Jacobians between $h_k$ and $h_T$. The read-out $W_{hy}$ sits
# next to the loss: its gradient $e\, h_T^\top$ contains no Jacobian at all.

# %%
T = 30
xs, target = rng.standard_normal((T, 3)), rng.standard_normal(2)
fig, ax = plt.subplots(figsize=(6, 3.5))
for activation in ("tanh", "sigmoid"):
    grads, deltas, terms = backward(p, xs, target, activation)
    sizes = np.linalg.norm(terms, axis=(1, 2))[1:]  # k = 2..T (h_0 = 0 makes k = 1 zero)
    hops = T - np.arange(2, T + 1)  # number of Jacobians in each term
    ax.semilogy(hops, sizes, label=f"{activation}: terms of dL/dW_hh")
    dropped = np.linalg.norm(terms[:-5].sum(axis=0)) / np.linalg.norm(grads["W_hh"])
    print(f"{activation:7s} keeping only the last 5 terms changes dL/dW_hh by {dropped:.2%}")
    print(f"        ||dL/dW_hy|| = {np.linalg.norm(grads['W_hy']):.3f} (one term, no Jacobian)")
    assert dropped < 0.05  # the claim made below the figure
ax.set_xlabel("number of Jacobians in the term, T - k")
ax.set_ylabel("norm of the term (log scale)")
ax.set_title("Each use of W_hh, seen from a loss at T = 30")
ax.legend()
plt.show()

# %% [markdown]
# Each extra Jacobian shrinks the term, and the sigmoid network's terms fall much faster
# because $\sigma' \le 1/4$. The printed lines measure what that means for the sum: throw
# away every term except the five closest to the loss, and the gradient of $W_{hh}$ hardly
# changes. In this network, whatever happened more than five steps before the loss barely
# moves the weights.

# %% [markdown]
# ## Try it 1: a three-step sequence by hand
#
# Take the smallest possible network: one unit, no biases, no read-out, tanh, with scalar
# weights $w_{hh}$ and $w_{xh}$,
#
# $$
# h_t = \tanh(w_{hh}\, h_{t-1} + w_{xh}\, x_t), \qquad h_0 = 0, \qquad
# L = \tfrac12 (h_3 - y^\ast)^2 ,
# $$
#
# and the tiny data set $x = (1, -0.5, 2)$, $y^\ast = 0.3$, at $w_{hh} = 0.8$, $w_{xh} = 0.6$.
#
# 1. Write $\partial L/\partial w_{xh}$ and $\partial L/\partial w_{hh}$ as sums over the three
#    steps, one term per use of the weight, with the slopes $\tanh'(z_t) = 1 - h_t^2$.
# 2. Evaluate them and compare with central differences.
# 3. One of the three terms of $\partial L/\partial w_{hh}$ is exactly zero. Which, and why?

# %% tags=["solution"]
# Forward: z_t = w_hh h_{t-1} + w_xh x_t, h_t = tanh(z_t), slope_t = tanh'(z_t) = 1 - h_t^2.
# The use of a weight at step k reaches h_3 through slope_k and then (w_hh slope_tau) for
# tau = k+1..3:
#   dL/dw_xh = (h_3 - y*) [ sl_3 x_3 + sl_3 w_hh sl_2 x_2 + sl_3 w_hh sl_2 w_hh sl_1 x_1 ]
#   dL/dw_hh = (h_3 - y*) [ sl_3 h_2 + sl_3 w_hh sl_2 h_1 + sl_3 w_hh sl_2 w_hh sl_1 h_0 ]
x3, y_star, w_hh, w_xh = np.array([1.0, -0.5, 2.0]), 0.3, 0.8, 0.6


def final_loss(w_hh, w_xh):
    h = 0.0
    for x_t in x3:
        h = np.tanh(w_hh * h + w_xh * x_t)
    return 0.5 * (h - y_star) ** 2


h = [0.0]
for x_t in x3:
    h.append(np.tanh(w_hh * h[-1] + w_xh * x_t))
sl = [None] + [1 - h_t**2 for h_t in h[1:]]  # sl[t] = tanh'(z_t), t = 1..3
err = h[3] - y_star
xh_terms = [
    sl[3] * x3[2],
    sl[3] * w_hh * sl[2] * x3[1],
    sl[3] * w_hh * sl[2] * w_hh * sl[1] * x3[0],
]
hh_terms = [
    sl[3] * h[2],
    sl[3] * w_hh * sl[2] * h[1],
    sl[3] * w_hh * sl[2] * w_hh * sl[1] * h[0],
]
by_hand = {"w_xh": err * sum(xh_terms), "w_hh": err * sum(hh_terms)}
eps = 1e-6
numeric = {
    "w_xh": (final_loss(w_hh, w_xh + eps) - final_loss(w_hh, w_xh - eps)) / (2 * eps),
    "w_hh": (final_loss(w_hh + eps, w_xh) - final_loss(w_hh - eps, w_xh)) / (2 * eps),
}
for name in ("w_xh", "w_hh"):
    print(f"dL/d{name}: by hand {by_hand[name]:.8f}, finite differences {numeric[name]:.8f}")
print("terms of dL/dw_hh, steps 3, 2, 1:", np.round(np.array(hh_terms) * err, 6))
# The use of w_hh at step 1 multiplies h_0 = 0, so it contributes nothing: dL/dw_hh has only
# two live terms, while w_xh, which multiplies the inputs, has three.
assert all(np.isclose(by_hand[k], numeric[k], rtol=1e-7) for k in ("w_xh", "w_hh"))
assert hh_terms[2] == 0.0 and all(term != 0.0 for term in xh_terms)

# %% [markdown]
# ## Try it 2: find the bug
#
# The backward pass below differs from the one above in **one** place. Run the
# finite-difference check on it, say which parameters come out wrong and which come out
# right, find the line, and explain why the correct ones are correct. Then a second
# question: would the check have caught the bug if the recurrent matrix had been
# symmetric, or if the sequence had a single step?


# %%
def backward_buggy(p, xs, target, activation="tanh"):
    """A BPTT with one mistake in it."""
    zs, hs, y = forward(p, xs, activation)
    e = y - target
    grads = {name: np.zeros_like(value) for name, value in p.items()}
    grads["W_hy"], grads["b_y"] = np.outer(e, hs[-1]), e
    delta = p["W_hy"].T @ e
    for t in range(len(xs), 0, -1):
        dz = phi_slope(zs[t - 1], activation) * delta
        grads["W_hh"] += np.outer(dz, hs[t - 1])
        grads["W_xh"] += np.outer(dz, xs[t - 1])
        grads["b_h"] += dz
        delta = p["W_hh"] @ dz
    return grads, None, None


# %% tags=["solution"]
xs6 = rng.standard_normal((6, 3))
buggy = worst_errors(backward_buggy, p, xs6, target)
for name, err in buggy.items():
    print(f"{name:5s} relative error {err:.0e}")
# The bug: `delta = p["W_hh"] @ dz` should be `p["W_hh"].T @ dz`. The step Jacobian is
# diag(phi') W_hh, and the gradient travels back through its TRANSPOSE.
# W_hy and b_y are still right: their gradient is taken at the last step, before anything
# is sent back through the recurrence (the short chain of the chapter).
assert min(buggy["W_hh"], buggy["W_xh"], buggy["b_h"]) > 1e-2
assert max(buggy["W_hy"], buggy["b_y"]) < 1e-6

# Counter-examples: inputs on which the wrong code passes the check.
symmetric = dict(p, W_hh=(p["W_hh"] + p["W_hh"].T) / 2)  # W^T = W: the transpose is a no-op
one_step = xs6[:1]  # T = 1: nothing is ever sent back
hidden_by_symmetry = max(worst_errors(backward_buggy, symmetric, xs6, target).values())
hidden_by_length = max(worst_errors(backward_buggy, p, one_step, target).values())
print(f"symmetric W_hh: worst error {hidden_by_symmetry:.0e}")
print(f"one time step:  worst error {hidden_by_length:.0e}")
# A gradient check is only as good as its inputs: use a generic (non-symmetric) matrix and
# a sequence of several steps.
assert hidden_by_symmetry < 1e-6 and hidden_by_length < 1e-6

# %% [markdown]
# ## Try it 3: make the early terms count
#
# In the demo the terms shrink because every Jacobian $\operatorname{diag}(\phi'(z_t)) W_{hh}$
# shrinks. Modify the demo so that no Jacobian shrinks anything: use the `"linear"`
# activation ($\phi' = 1$) and a recurrent matrix that is exactly orthogonal (`scale=1.0`).
# Predict $\lVert \delta_t \rVert$ for every $t$ before you run it, then measure again how
# much the gradient changes when you keep only the last five terms.

# %% tags=["solution"]
p_orth = random_params(inputs=3, hidden=4, outputs=2, scale=1.0, seed=0)
grads, deltas, terms = backward(p_orth, xs, target, activation="linear")
delta_norms = np.linalg.norm(deltas, axis=1)
dropped = np.linalg.norm(terms[:-5].sum(axis=0)) / np.linalg.norm(grads["W_hh"])
print(f"||dL/dh_t|| from t = 1 to {T}: min {delta_norms.min():.6f}, max {delta_norms.max():.6f}")
print(f"keeping only the last 5 terms changes dL/dW_hh by {dropped:.0%}")
# Every Jacobian is the orthogonal W_hh, which preserves lengths, so ||delta_t|| is the same
# at every step: the signal from the loss reaches step 1 intact. The early terms are now as
# large as the late ones, and cutting the sum after five terms loses most of the gradient.
assert np.allclose(delta_norms, delta_norms[-1], rtol=1e-12)
assert dropped > 0.5
