# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Lab: linear recurrences
#
# This notebook goes with the chapter [Linear recurrences](../../../linear/). It builds the
# core of a linear recurrent unit (LRU) from scratch, a diagonal complex recurrence
#
# $$
# h_t = \lambda \odot h_{t-1} + \kappa \odot (B x_t), \qquad
# \lambda_j = e^{-e^{\nu_j} + i\theta_j}, \qquad \kappa_j = \sqrt{1 - |\lambda_j|^2},
# $$
#
# and measures how much of a loss's gradient reaches each step. The exercises find how
# close to the unit circle the eigenvalues must sit to carry a gradient 100 steps back,
# measure what the normalisation $\kappa$ buys, write the parallel scan yourself, and make
# the decay depend on the input to keep or erase on purpose. You need PyTorch and
# matplotlib; the notebook runs in a few seconds on one CPU thread.
#
# Every exercise has a worked solution below it, folded away. Try first, then open it.

# %%
import math

import matplotlib.pyplot as plt
import torch

torch.set_num_threads(1)  # small tensors run fastest on one thread, and runs repeat exactly
torch.set_default_dtype(torch.float64)  # exact enough to compare gradients across 1e-30

T, BATCH, D, N = 100, 16, 3, 32  # steps, sequences, input size, complex state units


def eigenvalues(r_min, r_max, n=N, seed=0):
    """n eigenvalues with |λ|² uniform in [r_min², r_max²] and phases uniform in [0, 2π)."""
    g = torch.Generator().manual_seed(seed)
    radius = torch.sqrt(r_min**2 + torch.rand(n, generator=g) * (r_max**2 - r_min**2))
    nu = torch.log(-torch.log(radius))  # the trainable parameter: |λ| = exp(-exp(ν))
    theta = 2 * math.pi * torch.rand(n, generator=g)
    return torch.exp(torch.complex(-torch.exp(nu), theta))


def run(lam, x, kappa=True, B=None, seed=0):
    """The states h_1..h_T of h_t = λ h_{t-1} + κ B x_t, one step at a time, from h_0 = 0."""
    if B is None:  # complex Gaussian input weights
        g = torch.Generator().manual_seed(seed)
        B = torch.complex(*(torch.randn(len(lam), x.shape[-1], generator=g) for _ in "ri"))
    scale = torch.sqrt(1 - lam.abs() ** 2) if kappa else torch.ones(len(lam))
    h, states = torch.zeros(x.shape[0], len(lam), dtype=lam.dtype), []
    for x_t in x.unbind(1):
        h = lam * h + scale * (x_t.to(lam.dtype) @ B.T)
        states.append(h)
    return states


def profile(lam, seed=0):
    """||dL/dh_t|| / ||dL/dh_T|| for a loss on the last state, from one backward pass."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(BATCH, T, D, generator=g, requires_grad=True)  # puts the states in a graph
    states = run(lam, x)
    loss = states[-1].real.sum() + states[-1].imag.pow(2).sum()
    grads = torch.autograd.grad(loss, states)
    norms = torch.stack([grad.norm() for grad in grads])
    return norms / norms[-1]


ring = profile(eigenvalues(0.9, 0.999))
print(f"ring [0.9, 0.999]: ||dL/dh_1|| / ||dL/dh_T|| = {ring[0]:.3f}")

# %% [markdown]
# The Jacobian of one step is $\partial h_t / \partial h_{t-1} = \operatorname{diag}(\lambda)$,
# the same at every step and for every input, so the gradient $T - t$ steps back is the
# last one multiplied elementwise by $\bar\lambda^{T-t}$: its norm lies between
# $\min_j |\lambda_j|^{T-t}$ and $\max_j |\lambda_j|^{T-t}$ times the last one.

# %%
for r_min, r_max in [(0.0, 0.5), (0.5, 0.9), (0.9, 0.999)]:
    lam = eigenvalues(r_min, r_max)
    ratio = profile(lam)[0].item()
    low, high = lam.abs().min().item() ** (T - 1), lam.abs().max().item() ** (T - 1)
    print(f"ring [{r_min}, {r_max}]: ratio {ratio:.2e}, bounds {low:.2e} .. {high:.2e}")
    assert low * (1 - 1e-9) <= ratio <= high * (1 + 1e-9)
    plt.semilogy(range(1, T + 1), profile(lam), label=f"|λ| in [{r_min}, {r_max}]")
plt.xlabel("time step t")
plt.ylabel("‖∂L/∂h_t‖ / ‖∂L/∂h_T‖ (log scale)")
plt.legend()
plt.show()

# %% [markdown]
# ## Try it 1: how close to the circle?
#
# Give every unit the same radius $r$ (random phases). What is the smallest $r$ for which
# the gradient at step 1 is still at least a tenth of the gradient at step $T = 100$?
# Predict it from the bound first, then check by measuring `profile` for a few values
# around your prediction. How does the answer change for $T = 1000$?

# %% tags=["solution"]
predicted = 0.1 ** (1 / (T - 1))  # r^(T-1) = 0.1
print(f"predicted smallest radius for T = {T}: {predicted:.4f}")
for r in (predicted - 0.002, predicted + 0.002):
    lam = eigenvalues(r, r + 1e-12)  # a ring of width ~0: every |λ| = r
    ratio = profile(lam)[0].item()
    print(f"  r = {r:.4f}: ratio {ratio:.3f}")
    assert (ratio >= 0.1) == (r > predicted)
print(f"for T = 1000 the same reach needs r >= {0.1 ** (1 / 999):.5f}")
# With a single radius the bound is an equality: every unit decays by exactly r per step.
# Ten times longer sequences need 1 - r about ten times smaller: the LRU's ring must move
# towards 1 as the dependencies grow, which is why its r_max is a setting of the model.

# %% [markdown]
# ## Try it 2: what κ buys
#
# Drive one unit with white noise and compare the variance of $h_T$ with and without the
# normalisation $\kappa = \sqrt{1 - |\lambda|^2}$, for $|\lambda| = 0.9$, $0.99$ and
# $0.999$, after $T = 3000$ steps. Predict both values from
# $h_T = \sum_n \lambda^n (\text{input})_{T-n}$ first.

# %% tags=["solution"]
x = torch.randn(512, 3000, 1, generator=torch.Generator().manual_seed(1))
for r in (0.9, 0.99, 0.999):
    lam = torch.tensor([complex(r * math.cos(0.3), r * math.sin(0.3))])
    for kappa in (False, True):
        states = run(lam, x, kappa=kappa, B=torch.ones(1, 1, dtype=lam.dtype))
        variance = states[-1].abs().pow(2).mean().item()
        exact = (1 - r**6000) / (1 - r**2) * ((1 - r**2) if kappa else 1.0)
        label = "with κ   " if kappa else "without κ"
        print(f"|λ| = {r:5}, {label}: variance {variance:8.2f}, predicted {exact:8.2f}")
        assert abs(variance / exact - 1) < 0.25
# Without κ the state's variance grows like 1/(1 - |λ|²): a unit that remembers long also
# shouts, and whatever reads it has to cope with scales from 1 to 500. With κ every unit's
# variance is (close to) 1, whatever its memory.

# %% [markdown]
# ## Try it 3: the parallel scan
#
# The loop takes $T$ dependent steps. Write `scan(lam, v)` that returns every
# $h_t = \lambda h_{t-1} + v_t$ in $\lceil \log_2 T \rceil$ vectorised steps: after the step
# with offset $d$, position $t$ should hold $\sum_{n < 2d} \lambda^n v_{t-n}$. (Hint: add
# $\lambda^d$ times the tensor shifted by $d$ steps, then square $\lambda^d$.) Check it
# against the loop on $T = 77$, gradients included, and count its steps.


# %% tags=["solution"]
def scan(lam, v):
    """All h_t of h_t = λ h_{t-1} + v_t (v: batch, T, N) by log-depth doubling."""
    h, power, d, steps = v, lam, 1, 0
    while d < v.shape[1]:
        h = torch.cat([h[:, :d], h[:, d:] + power * h[:, :-d]], dim=1)
        power, d, steps = power * power, 2 * d, steps + 1
    return h, steps


torch.manual_seed(0)  # the inputs, so the printed difference is the same on every run
lam = eigenvalues(0.5, 0.99, n=8).requires_grad_()
v = torch.randn(4, 77, 8, dtype=torch.complex128, requires_grad=True)
by_scan, steps = scan(lam, v)
h, loop = torch.zeros(4, 8, dtype=torch.complex128), []
for v_t in v.unbind(1):
    h = lam * h + v_t
    loop.append(h)
by_loop = torch.stack(loop, dim=1)
grads = [torch.autograd.grad(out.abs().pow(2).sum(), [lam, v]) for out in (by_scan, by_loop)]
print(f"steps: scan {steps}, loop 77; largest difference {(by_scan - by_loop).abs().max():.1e}")
assert steps == 7 and torch.allclose(by_scan, by_loop, atol=1e-12)
assert all(torch.allclose(a, b, atol=1e-10) for a, b in zip(*grads, strict=True))
# Seven steps instead of 77, but each touches the whole sequence: about T log2 T
# multiply-adds against T. On one CPU core that extra work only pays when the loop's
# per-step overhead dominates (small batch × state); the chapter measures where.

# %% [markdown]
# ## Try it 4: a decay that depends on the input
#
# Each step brings a value $v_t$ and a mark $m_t \in \{0, 1\}$; after $T = 30$ steps the
# output must be the value at the latest mark. Make the decay a function of the input,
# $a_t = 1 - m_t$, with input $(1 - a_t) v_t$, run $h_t = a_t h_{t-1} + (1 - a_t) v_t$, and
# check that $h_T$ is exactly the target. Then compute $\partial h_T / \partial h_t$ for
# every $t$ with autograd: what do you expect, and why can no fixed $\lambda$ do this?

# %% tags=["solution"]
g = torch.Generator().manual_seed(5)
values = torch.randn(64, 30, generator=g)
marks = (torch.rand(64, 30, generator=g) < 0.1).double()
marks[:, 0] = 1.0
latest = 29 - marks.flip(1).argmax(dim=1)
target = values[torch.arange(64), latest]

a = 1.0 - marks
h, states = torch.zeros(64, requires_grad=True), []
for a_t, w_t in zip(a.unbind(1), ((1 - a) * values).unbind(1), strict=True):
    h = a_t * h + w_t
    states.append(h)
assert torch.equal(states[-1], target)
grads = torch.autograd.grad(states[-1][0], states)
print("marks of sequence 0:   ", marks[0].int().tolist())
print("dh_T/dh_t, sequence 0: ", [int(g_[0].item()) for g_ in grads])
assert all(g_[0].item() == (1.0 if t >= latest[0] else 0.0) for t, g_ in enumerate(grads))
# The gradient is exactly 1 back to the latest mark (a_t = 1: keep) and exactly 0 before
# it (a_t = 0 at the mark: erase). A fixed λ multiplies every step alike, so what it keeps
# depends on age alone; it cannot drop an old mark when a new one arrives.
