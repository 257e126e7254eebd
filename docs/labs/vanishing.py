# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Lab: vanishing gradients
#
# This notebook goes with the chapter [Vanishing gradients](../../../vanishing/). It
# measures how much of a gradient that enters at the last step of a sequence survives at
# each earlier step, and sets the measurement beside the guarantee of Pascanu, Mikolov &
# Bengio (2013). The three exercises then ask where a tanh network stops losing its
# gradient, for a matrix that fools the eigenvalue test, and what two sequences that differ
# only in their first input look like at the end. NumPy and matplotlib are all you need.
#
# Each exercise has a worked solution below it, folded away: try first, then open it.

# %%
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator

# %% [markdown]
# ## The experiment
#
# A vanilla RNN without biases runs for $T$ steps from $h_0 = 0$:
#
# $$
# z_t = W_{hh} h_{t-1} + W_{xh} x_t, \qquad h_t = \phi(z_t), \qquad t = 1, \dots, T .
# $$
#
# The input $x_t$ has four components drawn uniformly from $[-1, 1)$, the entries of $W_{xh}$
# are uniform in $[-\tfrac12, \tfrac12)$, and $W_{hh} = s\,Q$ with $Q$ a random orthogonal
# matrix. So **every** singular value of $W_{hh}$ equals $s$, and $\sigma_{\max}(W_{hh}) = s$. A loss at the
# last step sends in $\partial L/\partial h_T = (1, \dots, 1)/\sqrt{H}$, a vector of norm 1,
# and backpropagation through time applies
#
# $$
# \frac{\partial L}{\partial h_{t-1}} = W_{hh}^\top \operatorname{diag}\big(\phi'(z_t)\big)
# \frac{\partial L}{\partial h_t}
# $$
#
# once per step back. Since $\lvert\phi'\rvert \le \gamma$ ($\gamma = 1/4$ for the sigmoid,
# 1 for tanh, ReLU and the identity) and $W_{hh}^\top$ stretches no vector by more than $s$,
# each step back can multiply the norm by at most $\gamma s$:
#
# $$
# \left\lVert \frac{\partial L}{\partial h_t} \right\rVert \le (\gamma\, \sigma_{\max})^{T-t}
# \left\lVert \frac{\partial L}{\partial h_T} \right\rVert .
# $$
#
# This is the quantity the site's [gradient-flow explorer](../../../explorer/) draws. The
# next cell holds its five controls under the same names.

# %% tags=["parameters"]
# Parameters: the five controls of the gradient-flow explorer.
# Copy in the values of its "Use in Python" line.
activation = "tanh"  # "sigmoid", "tanh", "relu" or "linear"
scale = 0.9  # s = sigma_max(W_hh); 0.1 to 2
hidden = 32  # H, hidden units; 2 to 64
steps = 100  # T, sequence length; 2 to 200
seed = 1  # draws W_hh, W_xh and the inputs

# %% [markdown]
# The code below is a compact NumPy version of the explorer's computation. It draws its
# random numbers with NumPy's generator rather than the explorer's own, so the curves for a
# given seed agree in shape and rate, not digit for digit. (If you need the browser's exact
# numbers, the [explorer's page](../../../explorer/) offers a Python module that has them.)
#
# Gradients can fall far below the smallest positive double, about $10^{-308}$. So the
# backward sweep keeps the gradient at unit length and adds up the logarithms of the
# factors it removes: the result is $\log_{10} \lVert \partial L/\partial h_t \rVert$,
# accurate however small the norm gets.

# %%
GAMMA = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "linear": 1.0}  # the bound on |phi'|


def phi_and_slope(activation, z):
    """phi(z) and phi'(z), elementwise."""
    if activation == "sigmoid":
        h = 1.0 / (1.0 + np.exp(-z))
        return h, h * (1.0 - h)
    if activation == "tanh":
        h = np.tanh(z)
        return h, 1.0 - h**2
    if activation == "relu":
        return np.maximum(z, 0.0), (z > 0).astype(float)
    if activation == "linear":
        return z, np.ones_like(z)
    raise ValueError(f"activation must be one of {sorted(GAMMA)}, got {activation!r}")


def network(scale, hidden, steps, seed):
    """W_hh = s Q (Q random orthogonal), W_xh, and the inputs x_1..x_T."""
    rng = np.random.default_rng(seed)
    Q, R = np.linalg.qr(rng.standard_normal((hidden, hidden)))
    W_hh = scale * Q * np.sign(np.diag(R))
    W_xh = rng.uniform(-0.5, 0.5, size=(hidden, 4))
    x = rng.uniform(-1.0, 1.0, size=(steps, 4))
    return W_hh, W_xh, x


def run_forward(activation, W_hh, W_xh, x):
    """States h_1..h_T and slopes phi'(z_1)..phi'(z_T), from h_0 = 0."""
    h, states, slopes = np.zeros(W_hh.shape[0]), [], []
    for x_t in x:
        h, slope = phi_and_slope(activation, W_hh @ h + W_xh @ x_t)
        states.append(h)
        slopes.append(slope)
    return np.array(states), np.array(slopes)


def log10_gradient_norms(W_hh, slopes, g_last):
    """log10 ||dL/dh_t||, t = 1..T, for dL/dh_T = g_last; -inf once it is exactly zero."""
    T = len(slopes)
    logs = np.full(T, -np.inf)
    logs[-1] = np.log10(np.linalg.norm(g_last))
    g = g_last / np.linalg.norm(g_last)
    for t in range(T - 1, 0, -1):  # logs[t] belongs to h_{t+1}
        g = W_hh.T @ (slopes[t] * g)
        n = np.linalg.norm(g)
        if n == 0.0:  # e.g. every ReLU unit off at one step: nothing gets through
            break
        logs[t - 1] = logs[t] + np.log10(n)
        g = g / n
    return logs


def gradient_flow(activation, scale, hidden, steps, seed):
    """What the explorer plots: log10 of the gradient norms and of the bound, t = 1..T."""
    W_hh, W_xh, x = network(scale, hidden, steps, seed)
    _, slopes = run_forward(activation, W_hh, W_xh, x)
    logs = log10_gradient_norms(W_hh, slopes, np.ones(hidden) / np.sqrt(hidden))
    t = np.arange(1, steps + 1)
    bound = (steps - t) * np.log10(GAMMA[activation] * scale)
    return t, logs, bound


def powers_of_ten(ax):
    """Label a y axis that holds log10 values as 10^k."""
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"$10^{{{v:.0f}}}$"))


# %% [markdown]
# ## The measurement

# %%
t, logs, bound = gradient_flow(activation, scale, hidden, steps, seed)
W_hh = network(scale, hidden, steps, seed)[0]
finite = np.isfinite(logs)
print(f"{activation}, s = {scale}, H = {hidden}, T = {steps}, seed {seed}")
print(f"sigma_max(W_hh) = {np.linalg.svd(W_hh, compute_uv=False)[0]:.4f}")
print(f"||dL/dh_1|| = 10^{logs[0]:.2f}" if finite[0] else "||dL/dh_1|| = 0 exactly")
if finite.sum() > 1:
    per_step = 10 ** ((logs[finite][0] - logs[-1]) / (finite.sum() - 1))
    print(
        f"average factor per step back: {per_step:.3f}   bound: gamma*s = {GAMMA[activation] * scale}"
    )
print(f"bound at t = 1: 10^{bound[0]:.2f}")
assert np.all(logs <= bound + 1e-9)  # the measured norm never rises above the bound

fig, ax = plt.subplots(figsize=(6.4, 3.6))
ax.plot(t[finite], logs[finite], label=r"measured $\|\partial L/\partial h_t\|$")
ax.plot(t, bound, label=r"bound $(\gamma\,\sigma_{\max})^{T-t}$")
powers_of_ten(ax)
ax.set_xlabel("time step t (the loss is at t = T)")
ax.set_ylabel("gradient norm (log scale)")
ax.set_title(f"{activation}, s = {scale}, H = {hidden}, T = {steps}, seed {seed}")
ax.legend()
plt.show()

# %% [markdown]
# Read the plot from right to left: the gradient starts at norm 1 at $t = T$ and travels
# back in time. On a log axis a constant factor per step is a straight line. With the
# default tanh network at $s = 0.9$, $\gamma s < 1$ forces the gradient down, and it falls
# much faster than the bound demands, because most slopes $\tanh'(z_t)$ are well below 1.

# %% [markdown]
# ## Try it 1: where does tanh stop vanishing?
#
# Keep `activation = "tanh"`, $H = 32$, $T = 100$, and raise $s$ from 1.00 in steps of
# 0.01 (the explorer's slider). Find the smallest $s$ at which the gradient arriving at
# $t = 1$ is at least as large as the one that left $t = T$, that is
# $\lVert \partial L/\partial h_1 \rVert \ge 1$. Do it for seeds 1, 2 and 3. Why is the
# answer not $s = 1$, where the bound stops forcing the gradient down?


# %% tags=["solution"]
def crossing(activation, seed, hidden=32, steps=100):
    """Smallest s in 1.00, 1.01, ..., 2.00 with ||dL/dh_1|| >= ||dL/dh_T||; None if none."""
    for s in np.round(np.arange(1.0, 2.001, 0.01), 2):
        if gradient_flow(activation, s, hidden, steps, seed)[1][0] >= 0.0:
            return float(s)
    return None


found = {seed_: crossing("tanh", seed_) for seed_ in (1, 2, 3)}
for seed_, s_star in found.items():
    print(f"seed {seed_}: tanh stops vanishing at s = {s_star:.2f}")
# At s = 1 the bound allows a factor of 1 per step, but it assumes every slope tanh'(z) is 1,
# which happens only at z = 0. Any nonzero pre-activation loses a little at each step, so s
# has to exceed 1 by a clear margin before the stretching of W_hh makes up for the slopes.
assert all(s_star is not None and s_star > 1.05 for s_star in found.values())
assert gradient_flow("tanh", 1.0, 32, 100, 1)[1][0] < -1  # at s = 1: a clear loss

# %% [markdown]
# ## Try it 2: eigenvalues below one, and the gradient grows
#
# The chapter's rule is stated with the largest *singular* value, not with eigenvalues.
# Build a counter-example to the eigenvalue version: a $2 \times 2$ matrix $W_{hh}$ whose two
# eigenvalues are both below 1 in magnitude, but for which the gradient sent back through
# a **linear** network (every $\phi' = 1$), starting from $(1, 1)/\sqrt2$, grows for
# several steps before it decays. Use `log10_gradient_norms` with all slopes equal to 1,
# and check the singular-value bound $\sigma_{\max}^{n}$ along the way.

# %% tags=["solution"]
W2 = np.array([[0.9, 4.0], [0.0, 0.8]])  # triangular: the eigenvalues are 0.9 and 0.8
n_steps = 100
logs2 = log10_gradient_norms(W2, np.ones((n_steps + 1, 2)), np.ones(2) / np.sqrt(2))
norms2 = 10 ** logs2[::-1]  # index n = number of steps back, n = 0..100
eigenvalues = np.linalg.eigvals(W2)
sigma_max = np.linalg.svd(W2, compute_uv=False)[0]
print("eigenvalues:", np.round(eigenvalues, 3), "  largest singular value:", round(sigma_max, 3))
print(f"peak norm {norms2.max():.2f} after {norms2.argmax()} steps back")
print(f"norm after {n_steps} steps back: {norms2[-1]:.1e}")
# The large off-diagonal entry makes W2 non-normal: its eigenvectors are far from
# orthogonal, and W2^T first moves the gradient into a direction it stretches. The
# eigenvalues only set the long-run rate 0.9^n, which wins in the end.
assert np.abs(eigenvalues).max() < 1
assert norms2.max() > 5 and norms2.argmax() >= 5 and norms2[-1] < 1e-2
assert np.all(norms2 <= sigma_max ** np.arange(n_steps + 1) + 1e-12)

fig, ax = plt.subplots(figsize=(6.4, 3.4))
ax.semilogy(norms2, label="W = [[0.9, 4], [0, 0.8]]")
ax.semilogy(0.9 ** np.arange(n_steps + 1), label="0.9^n: the eigenvalue prediction")
ax.set_xlabel("steps back, n")
ax.set_ylabel("gradient norm (log scale)")
ax.legend()
plt.show()

# %% [markdown]
# ## Try it 3: two sequences that differ only at the start
#
# A tiny data set makes the same point without derivatives. Take the default network
# (tanh, $s = 0.9$, $H = 32$, $T = 100$, seed 1) and a second input sequence equal to the
# first except that $x_1$ is replaced by $-x_1$. Run both and print
# $\lVert h_t - h_t' \rVert$, the distance between the two states. Show that it shrinks by
# a factor of at least $s$ at every step (hint: $\lvert \tanh a - \tanh b \rvert \le \lvert a - b
# \rvert$), and say what this means for a task whose answer depends on $x_1$.

# %% tags=["solution"]
W3_hh, W3_xh, x3 = network(0.9, 32, 100, 1)
x3_flipped = x3.copy()
x3_flipped[0] = -x3[0]
h_a, _ = run_forward("tanh", W3_hh, W3_xh, x3)
h_b, _ = run_forward("tanh", W3_hh, W3_xh, x3_flipped)
gap = np.linalg.norm(h_a - h_b, axis=1)  # gap[t - 1] = ||h_t - h'_t||
for t_ in (1, 10, 50, 100):
    print(f"t = {t_:3d}: ||h_t - h'_t|| = {gap[t_ - 1]:.1e}")
# After step 1 the inputs agree, so with c = W_xh x_t the same for both,
# h_t - h'_t = tanh(W_hh h_{t-1} + c) - tanh(W_hh h'_{t-1} + c), and tanh is 1-Lipschitz:
# ||h_t - h'_t|| <= ||W_hh (h_{t-1} - h'_{t-1})|| <= 0.9 ||h_{t-1} - h'_{t-1}||.
# By t = 100 the states differ by about 1e-11: only a read-out with enormous weights could
# tell the sequences apart, and a gradient of the same size would have to find it, so in
# this network a label that depends on x_1 is out of reach.
assert np.all(gap[1:] <= 0.9 * gap[:-1] + 1e-15)
assert gap[0] > 0.1 and gap[-1] < 1e-8
