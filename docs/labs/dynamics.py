# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Lab: Lyapunov exponents and the edge of chaos
#
# This notebook goes with the chapter [The dynamics view, and what BPTT
# costs](../../../dynamics/). It computes the growth rate of a product of Jacobians, the
# largest Lyapunov exponent $\mu_1$, with the QR method; checks it on a linear network, whose
# exponents are known exactly; and maps where $\mu_1$ crosses zero for tanh networks driven by
# inputs of different sizes. The three exercises then ask how much the per-step norms
# overstate the rate, where the edge lies for an input scale of your choice, and whether a
# bias moves the edge as an input does. NumPy and matplotlib are all you need.
#
# Each exercise has a worked solution below it, folded away: try first, then open it.

# %%
import matplotlib.pyplot as plt
import numpy as np

# %% [markdown]
# ## The QR method
#
# Backpropagation through time multiplies one Jacobian $J_t = \operatorname{diag}(\phi'(z_t))
# W_{hh}$ per step. Over many steps the product grows or shrinks like $e^{\mu_1 T}$, with
#
# $$
# \mu_1 = \lim_{T\to\infty} \frac1T \log \lVert J_T \cdots J_1 v \rVert .
# $$
#
# Multiplying out overflows or underflows, so we follow $k$ orthonormal directions (the
# columns of $V$), push them through $J_t$, and split the result with a QR decomposition,
# $J_t V_{t-1} = V_t R_t$. The diagonal of $R_t$ says how much each direction was stretched,
# and $\mu_i$ is the average of $\log\lvert (R_t)_{ii}\rvert$. (Elsewhere the exponents are
# often written $\lambda_i$; the site keeps $\lambda$ for eigenvalues.)


# %%
def qr_exponents(jacobians, k=1, seed=0):
    """Average log |diag R_t| over the Jacobians given, with V_t R_t = J_t V_{t-1}."""
    V, total, steps = None, 0.0, 0
    for J in jacobians:
        if V is None:
            rng = np.random.default_rng(seed)
            V = np.linalg.qr(rng.standard_normal((J.shape[0], k)))[0]
        V, R = np.linalg.qr(J @ V)
        total = total + np.log(np.abs(np.diag(R)))
        steps += 1
    return total / steps


def orthogonal(hidden, rng):
    """A random orthogonal matrix."""
    q, r = np.linalg.qr(rng.standard_normal((hidden, hidden)))
    return q * np.sign(np.diag(r))


# %% [markdown]
# **A check with a known answer.** If every Jacobian is the same matrix $W$ (a linear
# network), the exponents are $\log\lvert\lambda_i(W)\rvert$, the logarithms of the
# eigenvalue moduli, and not the logarithms of its singular values.

# %%
rng = np.random.default_rng(3)
W = 1.2 * rng.standard_normal((6, 6)) / np.sqrt(6)
mu = qr_exponents((W for _ in range(3000)), k=6)
log_eig = np.sort(np.log(np.abs(np.linalg.eigvals(W))))[::-1]
print("QR exponents:        ", np.round(mu, 4))
print("log |eigenvalues|:   ", np.round(log_eig, 4))
print("log singular values: ", np.round(np.log(np.linalg.svd(W, compute_uv=False)), 4))
assert np.max(np.abs(mu - log_eig)) < 2e-3

# %% [markdown]
# ## A tanh network driven by inputs
#
# The network is $h_t = \tanh(W_{hh} h_{t-1} + W_{xh} x_t + b_h)$ with $W_{hh} = s\,Q$, so that
# every singular value of $W_{hh}$ is $s$, and an input drive $W_{xh} x_t = \sigma_x x_t$ with
# $x_t$ standard normal: every unit receives its own input of standard deviation $\sigma_x$.
# `b_h` is a fixed random bias of standard deviation `bias_scale` (0 unless you ask).
#
# To map many settings at once, the function below runs one network per weight scale side
# by side, following one direction each ($k = 1$: multiply, note the stretch, normalise).

# %% tags=["parameters"]
hidden = 64  # H
steps = 400  # steps averaged
burn_in = 150  # steps discarded first, so the start does not matter
seed = 0


# %%
def mu1(scales, input_scale, bias_scale=0.0, hidden=hidden, steps=steps, seed=seed):
    """mu_1 of tanh networks W_hh = s Q, one per s in `scales`, same Q, inputs and bias."""
    rng = np.random.default_rng(seed)
    Q = orthogonal(hidden, rng)
    bias = bias_scale * rng.standard_normal(hidden)
    x = rng.standard_normal((burn_in + steps, hidden))
    s = np.asarray(scales, dtype=float)[:, None]
    h = np.tile(0.1 * rng.standard_normal(hidden), (len(s), 1))
    v = np.tile(rng.standard_normal(hidden), (len(s), 1))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    total = np.zeros(len(s))
    for t in range(burn_in + steps):
        h = np.tanh(s * (h @ Q.T) + input_scale * x[t] + bias)
        v = (1.0 - h * h) * (s * (v @ Q.T))  # J_t v
        r = np.linalg.norm(v, axis=1)
        v /= r[:, None]
        if t >= burn_in:
            total += np.log(r)
    return total / steps


def crossing(scales, mu):
    """The s where mu first turns from negative to >= 0 (linear interpolation)."""
    for i in range(1, len(scales)):
        if mu[i - 1] < 0 <= mu[i]:
            return scales[i - 1] + (scales[i] - scales[i - 1]) * -mu[i - 1] / (mu[i] - mu[i - 1])
    return None


# %% [markdown]
# ## The edge of chaos
#
# Without input, a network at rest near 0 has $\tanh'(0) = 1$, so $J_t = W_{hh}$ and
# $\mu_1 = \log s$ crosses zero at $s = 1$. Inputs push the pre-activations away from 0, where
# the slopes are below 1, and the crossing moves up. The mean-field prediction solves
# $q = s^2\,\mathbb E[\tanh^2(\sqrt q\,\xi)] + \sigma_x^2$ for the variance of $z$ and then
# $\mu_1 \approx \log\big(s \sqrt{\mathbb E[\tanh'(\sqrt q\,\xi)^2]}\big)$.

# %%
nodes, weights = np.polynomial.hermite_e.hermegauss(81)
weights = weights / weights.sum()


def mean_field_rate(s, input_scale):
    """log(s sqrt(E[tanh'(z)^2])) at the mean-field variance of z (fixed-point iteration)."""
    q = input_scale**2 + 1.0
    for _ in range(500):
        q = s**2 * np.sum(weights * np.tanh(np.sqrt(q) * nodes) ** 2) + input_scale**2
    slope2 = np.sum(weights * (1.0 - np.tanh(np.sqrt(q) * nodes) ** 2) ** 2)
    return np.log(s) + 0.5 * np.log(slope2)


scales = np.round(np.arange(0.5, 3.01, 0.1), 2)
fig, ax = plt.subplots(figsize=(6.4, 3.8))
for input_scale in (0.0, 0.5, 1.0):
    m = mu1(scales, input_scale)
    (line,) = ax.plot(scales, m, label=f"σ_x = {input_scale}")
    mf = [mean_field_rate(s, input_scale) for s in scales]
    ax.plot(scales, mf, color=line.get_color(), lw=1, ls=":")
    print(f"sigma_x = {input_scale}: mu_1 crosses 0 at s = {crossing(scales, m):.2f}")
ax.plot(scales, np.log(scales), color="0.5", lw=1, ls="--", label="log s (bound)")
ax.axhline(0, color="k", lw=0.8)
ax.set_ylim(-1.5, 1.0)
ax.set_xlabel("weight scale s")
ax.set_ylabel("μ₁ per step")
ax.set_title(f"tanh networks, H = {hidden} (dotted: mean field)")
ax.legend()
plt.show()

# %% [markdown]
# Below the edge the product of Jacobians shrinks (gradients vanish, and two copies of the
# network fed the same inputs converge); above it the product grows (gradients explode, and
# the forward dynamics is chaotic). The dotted mean-field curves lie close to the measured
# ones.

# %% [markdown]
# ## Try it 1: the per-step norms overstate the rate
#
# For $s = 2$ and $\sigma_x = 1$, compute $\mu_1$ and the mean of $\log\lVert J_t\rVert_2$ over
# the same steps. Which is larger, and by how much? Why can the product of the norms never
# be smaller than the norm of the product? (For $W_{hh} = sQ$, $\lVert J_t \rVert_2 = s
# \max_i \tanh'(z_{t,i})$.)

# %% tags=["solution"]
rng1 = np.random.default_rng(1)
Q1 = orthogonal(hidden, rng1)
x1 = rng1.standard_normal((burn_in + steps, hidden))
h, jacobians, norms = np.zeros(hidden), [], []
for t in range(burn_in + steps):
    h = np.tanh(2.0 * Q1 @ h + 1.0 * x1[t])
    J = (1.0 - h * h)[:, None] * (2.0 * Q1)
    if t >= burn_in:
        jacobians.append(J)
        norms.append(np.linalg.norm(J, 2))
rate = qr_exponents(jacobians)[0]
print(
    f"mu_1 = {rate:.3f}, mean log ||J_t|| = {np.mean(np.log(norms)):.3f}, log s = {np.log(2):.3f}"
)
# ||J_T ... J_1|| <= ||J_T|| ... ||J_1|| (submultiplicativity), so the mean log norm can only
# overstate the rate. It overstates it by a lot because ||J_t|| = s max_i tanh'(z_t,i) is set
# by the one unit closest to z = 0, while a typical direction feels the average slope.
assert np.mean(np.log(norms)) > rate + 0.3
assert np.mean(np.log(norms)) <= np.log(2) + 1e-12

# %% [markdown]
# ## Try it 2: where is the edge for your input scale?
#
# Pick an input scale, say $\sigma_x = 0.5$, and find the critical weight scale $s_c$ where
# $\mu_1 = 0$ to two decimals, by bisection between $s = 1$ and $s = 3$ (use `mu1` with a
# one-element list of scales). Compare it with the mean-field prediction. Is an orthogonal
# initialisation with $s = 1$ on the ordered or the chaotic side?


# %% tags=["solution"]
def critical_scale(rate, lo=1.0, hi=3.0, tol=0.005):
    """Bisection for the s where rate(s) changes sign (rate(lo) < 0 <= rate(hi))."""
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if rate(mid) < 0 else (lo, mid)
    return 0.5 * (lo + hi)


measured = critical_scale(lambda s: mu1([s], 0.5)[0])
predicted = critical_scale(lambda s: mean_field_rate(s, 0.5))
print(f"sigma_x = 0.5: s_c measured {measured:.2f}, mean field {predicted:.2f}")
# s = 1 is well inside the ordered phase: mu_1(1) < 0, so a driven tanh network initialised
# with an orthogonal W_hh at unit scale starts with vanishing gradients.
print(f"mu_1 at s = 1: {mu1([1.0], 0.5)[0]:.3f}")
assert 1.4 < measured < 1.7 and abs(measured - predicted) < 0.1
assert mu1([1.0], 0.5)[0] < -0.1

# %% [markdown]
# ## Try it 3: a bias moves the edge too
#
# Switch the input off ($\sigma_x = 0$) but give every unit a fixed random bias of standard
# deviation 1 (`bias_scale=1.0`). Where does $\mu_1$ cross zero now? The mean-field
# equation treats a static bias like an input of the same standard deviation: compare.

# %% tags=["solution"]
m_bias = mu1(scales, 0.0, bias_scale=1.0)
with_bias = crossing(scales, m_bias)
without = crossing(scales, mu1(scales, 0.0))
predicted_bias = critical_scale(lambda s: mean_field_rate(s, 1.0))
print(f"no input, no bias:  s_c = {without:.2f}")
print(
    f"no input, bias sd 1: s_c = {with_bias:.2f} (mean field with sigma = 1: {predicted_bias:.2f})"
)
# The bias pushes the resting state away from 0, where tanh' < 1, exactly as an input does:
# the state no longer rests where the slopes are 1, and s has to be larger to make up for it.
assert abs(without - 1.0) < 0.1
assert with_bias > 1.5 and abs(with_bias - predicted_bias) < 0.15
