# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Lab: watching a gradient vanish and explode
#
# This notebook goes with the chapter
# [Watching a gradient vanish and explode](../../../first-look/). It rebuilds the chapter's
# demo in a few cells, then asks you to break it. Every cell runs on a laptop in well
# under a second; you need only NumPy and matplotlib.
#
# Each exercise has a worked solution underneath it, folded away: try first, then open it.

# %%
import matplotlib.pyplot as plt
import numpy as np


def norms_after(W, steps, v0=None):
    """Norm of v after n = 1..steps multiplications by W^T, starting from v0 (ones)."""
    v = np.ones(W.shape[0]) if v0 is None else np.asarray(v0, dtype=float)
    out = []
    for _ in range(steps):
        v = W.T @ v
        out.append(np.linalg.norm(v))
    return np.array(out)


# %% [markdown]
# ## The demo
#
# Backpropagation through time multiplies the gradient by the transposed recurrent
# Jacobian once per step. Ignoring the activation's derivative, $n$ steps back the
# gradient is $(W^\top)^n g$. For a diagonal $W$ its size is set by the largest
# eigenvalue magnitude, the spectral radius $\rho$: it behaves like $\rho^n$.

# %%
W_vanish = np.diag([0.5, 0.4])
W_explode = np.diag([1.3, 1.1])
vanish, explode = norms_after(W_vanish, 30), norms_after(W_explode, 10)
for n in range(5, 31, 5):
    print(f"vanishing, {n:2d} steps back: {vanish[n - 1]:.2e}")
for n in range(2, 11, 2):
    print(f"exploding, {n:2d} steps back: {explode[n - 1]:.2f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(range(1, 31), vanish, label=r"diag(0.5, 0.4), $\rho = 0.5$")
ax.semilogy(range(1, 11), explode, label=r"diag(1.3, 1.1), $\rho = 1.3$")
ax.set_xlabel("steps back, n")
ax.set_ylabel("gradient norm (log scale)")
ax.legend()
plt.show()

# %% [markdown]
# ## Try it 1: modify the demo
#
# Keep the eigenvalues $0.5$ and $0.4$ but make $W$ non-diagonal: take
# $W = V \operatorname{diag}(0.5, 0.4) V^{-1}$ for some invertible $V$ whose columns are
# nearly parallel. Does the gradient still shrink from the first step? What sets how
# large it gets before it decays?

# %% tags=["solution"]
V = np.array([[1.0, 1.0], [0.0, 0.02]])  # two nearly parallel eigenvectors
W_skew = V @ np.diag([0.5, 0.4]) @ np.linalg.inv(V)
skew = norms_after(W_skew, 30)
print("eigenvalues:", np.round(np.linalg.eigvals(W_skew), 6))
print("largest singular value:", round(np.linalg.svd(W_skew, compute_uv=False)[0], 2))
print("peak norm and the step it occurs at:", round(skew.max(), 2), int(skew.argmax()) + 1)
print("norm after 30 steps:", f"{skew[-1]:.2e}")
# Same eigenvalues, so the same long-run rate 0.5^n; but the largest singular value is
# far above 1, so the first steps amplify the gradient before the decay wins.
assert skew.max() > 1.0 and skew[-1] < 1e-4

# %% [markdown]
# ## Try it 2: a counter-example to "eigenvalues below one means vanishing"
#
# Find a $2 \times 2$ matrix whose eigenvalues are **both zero** but which still makes a
# gradient grow on the first step. What is its largest singular value?

# %% tags=["solution"]
W_nil = np.array([[8.0, 8.0], [-8.0, -8.0]])
print(
    "largest eigenvalue magnitude:",
    f"{np.abs(np.linalg.eigvals(W_nil)).max():.0e}",
    "(zero up to rounding)",
)
print("singular values:", np.round(np.linalg.svd(W_nil, compute_uv=False), 6))
g = np.array([1.0, -1.0]) / np.sqrt(2)  # the input direction that W^T stretches most
print("norm one and two steps back:", np.round(norms_after(W_nil, 2, g), 6))
# W^2 = 0, so two steps kill everything, but one step multiplies the norm by 16:
# eigenvalues describe the long run, singular values bound every single step.
assert np.allclose(W_nil @ W_nil, 0) and np.isclose(np.linalg.norm(W_nil.T @ g), 16.0)

# %% [markdown]
# ## Try it 3: a tiny data set
#
# Run a scalar linear RNN $h_t = w\,h_{t-1} + x_t$ over the sequence
# $x = (1, 0, 0, \dots, 0)$ of length $T$ and take $L = h_T$. How does $\partial L / \partial x_1$
# depend on $w$ and $T$? Check your formula numerically with a finite difference for
# $w = 0.9$ and $T = 50$.


# %% tags=["solution"]
def final_state(x, w):
    h = 0.0
    for x_t in x:
        h = w * h + x_t
    return h


T, w, eps = 50, 0.9, 1e-6
x = np.zeros(T)
x[0] = 1.0
bumped = x.copy()
bumped[0] += eps
numeric = (final_state(bumped, w) - final_state(x, w)) / eps
print(f"finite difference: {numeric:.6e}   formula w^(T-1): {w ** (T - 1):.6e}")
# dL/dx_1 = w^(T-1): with w = 0.9 and T = 50 the first input's influence is below 1%.
assert np.isclose(numeric, w ** (T - 1), rtol=1e-5)
