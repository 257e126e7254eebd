# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Lab: diagnosing a sick RNN
#
# This notebook goes with the chapter [Diagnosing a sick RNN](../../../diagnosis/). It
# builds a pocket-sized gradient monitor, about forty lines of PyTorch, and uses it on a
# training run that works. The exercises hand you two runs that do not and ask which
# disease each one has, then build a task on which the training loss says "solved" while
# the part of the task that needs memory is at chance, and finally separate two loss
# curves that crawl for different reasons. You need NumPy, matplotlib and PyTorch; the
# notebook runs in about ten seconds on one CPU thread.
#
# Below every exercise is a worked solution, folded away. Try first, then open it.

# %% [markdown]
# ## Three measurements
#
# A recurrent network $h_t = \phi(W_{hh} h_{t-1} + b_h + W_{xh} x_t)$ whose loss $L$ is
# computed from the last state sends its gradient back through the Jacobians
# $J_t = \partial h_t / \partial h_{t-1} = \operatorname{diag}(\phi'(z_t))\, W_{hh}$:
#
# $$
# \frac{\partial L}{\partial h_1} = J_2^\top J_3^\top \cdots J_T^\top \,
# \frac{\partial L}{\partial h_T} .
# $$
#
# A loss curve cannot tell you what this product is doing, but three cheap numbers can:
#
# 1. the **global gradient norm**, all parameters' gradients stacked into one vector and
#    measured before any clipping: a sudden jump of orders of magnitude is the mark of an
#    exploding product;
# 2. whether the loss and every gradient are **finite**;
# 3. the **early-to-late ratio** $\rho = \lVert \partial L/\partial h_1 \rVert \,/\,
#    \lVert \partial L/\partial h_T \rVert$, the share of the gradient that survives the
#    trip back to the first step: a ratio of $10^{-6}$ means the first input barely
#    influences the update, the mark of a vanishing product.
#
# The third needs every $h_t$ to be a node of the autograd graph, so the monitor below
# unrolls an `nn.RNNCell` one step at a time instead of calling a fused `nn.RNN`, and asks
# `torch.autograd.grad` for all $T$ gradients in one backward pass. It must do so **before**
# `loss.backward()`, which frees the graph; `retain_graph=True` keeps the graph alive for
# the real backward pass, and `autograd.grad` fills no `.grad` fields.

# %%
import math
import statistics

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)  # tiny models run fastest on one thread, and runs repeat exactly

SPIKE_FACTOR = 100.0  # exploding: a norm this many times the median of the steps before
WINDOW = 20  # how many earlier steps that median looks at
VANISHING_RATIO = 1e-3  # vanishing: the early-to-late ratio (median of recent probes) below this


def unroll(cell, x):
    """Run an RNN cell over x (batch, T, inputs); return the list of states h_1..h_T."""
    h, states = None, []
    for t in range(x.shape[1]):
        h = cell(x[:, t], h)
        states.append(h)
    return states


class Monitor:
    """Loss, global gradient norm and early-to-late ratio of a training run, and a verdict."""

    def __init__(self, probe_every=10):
        self.probe_every = probe_every
        self.losses, self.norms, self.ratios = [], [], {}  # ratios: step -> rho

    def wants_probe(self):
        return len(self.losses) % self.probe_every == 0

    def probe(self, loss, states):
        """Record rho = ||dL/dh_1|| / ||dL/dh_T||. Call BEFORE loss.backward()."""
        grads = torch.autograd.grad(loss, states, retain_graph=True)
        self.ratios[len(self.losses)] = (grads[0].norm() / grads[-1].norm()).item()

    def record(self, loss, parameters):
        """Record the loss and the global gradient norm. Call after backward, before clipping."""
        norm = torch.nn.utils.get_total_norm([p.grad for p in parameters]).item()
        self.losses.append(loss.item())
        self.norms.append(norm)
        return norm

    def first_spike(self):
        """The first step whose norm exceeds SPIKE_FACTOR x the median before it, or None."""
        for step in range(5, len(self.norms)):
            before = [n for n in self.norms[max(0, step - WINDOW) : step] if math.isfinite(n)]
            if self.norms[step] > SPIKE_FACTOR * statistics.median(before):
                return step
        return None

    def first_nonfinite(self):
        for step, (loss, norm) in enumerate(zip(self.losses, self.norms, strict=True)):
            if not (math.isfinite(loss) and math.isfinite(norm)):
                return step
        return None

    def diagnose(self):
        """'exploding', 'vanishing' or 'healthy', with the evidence."""
        spike, bad = self.first_spike(), self.first_nonfinite()
        if spike is not None or bad is not None:
            return "exploding", f"first spike at step {spike}, first nan/inf at step {bad}"
        rho = statistics.median(list(self.ratios.values())[-5:])
        verdict = "vanishing" if rho < VANISHING_RATIO else "healthy"
        return verdict, f"early-to-late ratio {rho:.1e}, largest norm {max(self.norms):.3g}"


# %% [markdown]
# The monitor goes into an ordinary training loop in a fixed order: probe, backward,
# record, clip (if you clip), step. The loop below trains a one-layer RNN cell with a
# linear read-out of $h_T$ by plain SGD on fresh batches of 32 sequences, and stops at the
# first non-finite loss or gradient.


# %%
def make_model(inputs, nonlinearity="tanh", hidden=32, recurrent_gain=None, seed=0):
    """An RNN cell and a linear read-out; optionally W_hh = gain x a random orthogonal matrix."""
    torch.manual_seed(seed)
    cell = nn.RNNCell(inputs, hidden, nonlinearity=nonlinearity)
    if recurrent_gain is not None:
        with torch.no_grad():
            nn.init.orthogonal_(cell.weight_hh, gain=recurrent_gain)
    return cell, nn.Linear(hidden, 1)


def train(task, T, lr, steps=200, optimizer="sgd", seed=0, **model_options):
    """Train on fresh batches of task(generator, T); return the Monitor and the model."""
    x, _ = task(torch.Generator().manual_seed(seed), T)
    cell, readout = make_model(x.shape[-1], seed=seed, **model_options)
    parameters = [*cell.parameters(), *readout.parameters()]
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer](parameters, lr=lr)
    data, monitor = torch.Generator().manual_seed(seed), Monitor()
    for _ in range(steps):
        x, y = task(data, T)
        states = unroll(cell, x)
        loss = nn.functional.mse_loss(readout(states[-1]), y)
        if monitor.wants_probe():
            monitor.probe(loss, states)  # 1. before backward
        opt.zero_grad()
        loss.backward()  # 2.
        norm = monitor.record(loss, parameters)  # 3. after backward, before any clipping
        if not (math.isfinite(norm) and math.isfinite(loss.item())):
            break
        opt.step()  # 4.
    return monitor, (cell, readout)


def plot_monitors(monitors, title):
    """Global gradient norm per step (top) and early-to-late ratio per probe (bottom)."""
    _, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 4.6))
    for label, monitor in monitors.items():
        norms = np.array(monitor.norms)
        top.semilogy(np.where(np.isfinite(norms), norms, np.nan), label=label)
        bottom.semilogy(list(monitor.ratios), list(monitor.ratios.values()), "o-", ms=3)
    bottom.axhline(VANISHING_RATIO, color="0.5", lw=0.8, ls=":")
    top.set_ylabel("global gradient norm")
    top.set_title(title)
    top.legend(fontsize="small")
    bottom.set_ylabel("||dL/dh_1|| / ||dL/dh_T||")
    bottom.set_xlabel("training step")
    plt.show()


# %% [markdown]
# ## A healthy run
#
# The patient is the recall task of the vanishing chapter. Channel 0 carries a bit
# $b = \pm 1$ at the first step and zeros after it; channel 1 carries Gaussian noise at
# every later step. At step $T$ the network must output $b$. Answering 0 scores a mean
# squared error of exactly 1, so any loss well below 1 means the bit was carried across
# the sequence. With $T = 5$ a tanh network at PyTorch's default initialisation learns it.


# %%
def first_bit(generator, T, batch=32):
    """x (batch, T, 2): a bit +-1 at t = 1 in channel 0, noise at t >= 2 in channel 1; y = bit."""
    bit = torch.randint(0, 2, (batch, 1), generator=generator).float() * 2 - 1
    x = torch.zeros(batch, T, 2)
    x[:, 0, 0] = bit[:, 0]
    x[:, 1:, 1] = torch.randn(batch, T - 1, generator=generator)
    return x, bit


healthy, _ = train(first_bit, T=5, lr=0.1)
verdict, evidence = healthy.diagnose()
print(f"recall over 5 steps: loss {healthy.losses[0]:.3f} -> {np.mean(healthy.losses[-10:]):.4f}")
print(f"verdict: {verdict} ({evidence})")
assert verdict == "healthy" and np.mean(healthy.losses[-10:]) < 0.05
plot_monitors({"recall, T = 5": healthy}, "A healthy run")

# %% [markdown]
# The gradient norm wanders within one or two orders of magnitude and never jumps; the
# ratio stays near 1, because five steps of the product cost little. (The dotted line is
# the vanishing threshold $10^{-3}$.)

# %% [markdown]
# ## Try it 1: two mystery runs
#
# Here are two runs that fail. Run each with `train`, plot both with `plot_monitors`, and
# let the monitor name the disease. For the run that blows up, how many steps of warning
# does the spike rule give before the first `nan` or `inf`? Which of the three
# measurements was the only one to notice the other run's problem?
#
# - **Run A** learns the sum of 20 numbers drawn from $\mathcal N(0, 1)$, divided by
#   $\sqrt{20}$, with a ReLU cell whose recurrent matrix starts as 1.1 times a random
#   orthogonal matrix, at learning rate 0.1.
# - **Run B** is the recall task of the demo with the bit 40 steps back.


# %%
def running_sum(generator, T, batch=32):
    """x (batch, T, 1) standard normal; y: the sum over time divided by sqrt(T)."""
    x = torch.randn(batch, T, 1, generator=generator)
    return x, x.sum(dim=1) / math.sqrt(T)


MYSTERY = {
    "A": dict(task=running_sum, T=20, lr=0.1, nonlinearity="relu", recurrent_gain=1.1),
    "B": dict(task=first_bit, T=40, lr=0.1),
}

# %% tags=["solution"]
runs = {name: train(**settings)[0] for name, settings in MYSTERY.items()}
for name, monitor in runs.items():
    verdict, evidence = monitor.diagnose()
    print(f"run {name}: {len(monitor.losses)} steps, {verdict} ({evidence})")
plot_monitors({f"run {name}": m for name, m in runs.items()}, "Two sick runs")
spike, bad = runs["A"].first_spike(), runs["A"].first_nonfinite()
print(f"run A: warned {bad - spike} steps before the first nan/inf")
print(f"run B: loss over the last 20 steps {np.mean(runs['B'].losses[-20:]):.3f}")
print(f"run B: largest gradient norm {max(runs['B'].norms):.2f}")
# Run A explodes: its gradient norm leaps by more than 100x the recent median a few steps
# before the loss overflows, early enough to stop, reload and lower the learning rate.
# Run B vanishes: its loss never leaves the baseline of 1 and its gradient norm looks
# unremarkable, of order 1. Only the ratio shows that the first step receives a billionth
# of the last step's gradient or less.
assert runs["A"].diagnose()[0] == "exploding" and runs["B"].diagnose()[0] == "vanishing"
assert spike is not None and bad is not None and bad - spike >= 1
assert abs(np.mean(runs["B"].losses[-20:]) - 1) < 0.1 and max(runs["B"].norms) < 10
assert max(runs["B"].ratios.values()) < 1e-6

# %% [markdown]
# ## Try it 2: a loss that lies
#
# Build a counter-example to "the training loss is low, so the model works". Take a stream
# of random bits $x_t = \pm 1$, $t = 1, \dots, 30$. At every step $t \ge 2$ the target is
# the previous bit $x_{t-1}$, except at the last step, flagged by a 1 in a second input
# channel, where the target is the **first** bit $x_1$. The loss is the mean squared error
# over all 29 targets, with a read-out at every step.
#
# 1. Train a tanh RNN with 32 units on it with Adam (learning rate 0.01, 300 steps). Does
#    the training loss look good?
# 2. Score the 28 short-range targets and the one long-range target separately on a
#    fresh test batch. What accuracy does the sign of the output reach on each?
# 3. Probe the early-to-late ratio twice: with the training loss, and with the loss of the
#    long-range target alone. Which probe tells the truth, and why does the other not?

# %% tags=["solution"]
T_LONG = 30


def previous_and_first(generator, T, batch=32):
    """x (batch, T, 2): bits and a query flag at t = T; y (batch, T): x_{t-1}, and x_1 at t = T."""
    bits = torch.randint(0, 2, (batch, T), generator=generator).float() * 2 - 1
    x = torch.zeros(batch, T, 2)
    x[:, :, 0] = bits
    x[:, -1, 1] = 1.0
    y = torch.zeros(batch, T)
    y[:, 1:] = bits[:, :-1]
    y[:, -1] = bits[:, 0]
    return x, y


torch.manual_seed(0)
cell, readout = nn.RNNCell(2, 32), nn.Linear(32, 1)
opt = torch.optim.Adam([*cell.parameters(), *readout.parameters()], lr=0.01)
data = torch.Generator().manual_seed(0)
for _ in range(300):
    x, y = previous_and_first(data, T_LONG)
    out = readout(torch.stack(unroll(cell, x), dim=1))[..., 0]
    loss = nn.functional.mse_loss(out[:, 1:], y[:, 1:])
    opt.zero_grad()
    loss.backward()
    opt.step()

x, y = previous_and_first(torch.Generator().manual_seed(1), T_LONG, batch=1000)
states = unroll(cell, x)
out = readout(torch.stack(states, dim=1))[..., 0]
whole = nn.functional.mse_loss(out[:, 1:], y[:, 1:])
long_only = nn.functional.mse_loss(out[:, -1], y[:, -1])
correct = (out.sign() == y).float()
short_acc, long_acc = correct[:, 1:-1].mean().item(), correct[:, -1].mean().item()
rho = {}
for name, probe_loss in {"training loss": whole, "long-range loss": long_only}.items():
    grads = torch.autograd.grad(probe_loss, states, retain_graph=True)
    rho[name] = (grads[0].norm() / grads[-1].norm()).item()
print(f"test loss over all targets: {whole.item():.3f}   (1/29 = {1 / 29:.3f})")
print(f"short-range accuracy {short_acc:.1%}, long-range accuracy {long_acc:.1%}")
for name, value in rho.items():
    print(f"early-to-late ratio, probed with the {name}: {value:.1e}")
# The training loss sits near 1/29: 28 of the 29 targets are answered perfectly and the
# last one scores 1, what answering 0 scores. Its accuracy is a coin flip. Probed with the
# training loss, h_1 looks well supplied with gradient, because it feeds the target at
# t = 2 directly, one step away. The long-range loss alone shows the gradient that should
# teach the memory: many orders of magnitude below the threshold.
assert whole.item() < 0.06 and short_acc > 0.99 and 0.4 < long_acc < 0.6
assert rho["training loss"] > VANISHING_RATIO > 1e3 * rho["long-range loss"]

# %% [markdown]
# ## Try it 3: two runs that crawl
#
# Modify the demo in two ways, each of which makes the loss barely move for 200 steps:
#
# 1. the recall task with $T = 5$ at learning rate 0.003;
# 2. the recall task with $T = 20$ at learning rate 0.1.
#
# From the loss curves alone the two look alike. What does the early-to-late ratio say
# about each? Predict which one a learning rate ten times higher will cure, then check.
# Why can a larger learning rate not change the ratio?

# %% tags=["solution"]
crawls = {
    "T = 5, lr 0.003": train(first_bit, T=5, lr=0.003)[0],
    "T = 20, lr 0.1": train(first_bit, T=20, lr=0.1)[0],
}
faster = {
    "T = 5, lr 0.03": train(first_bit, T=5, lr=0.03)[0],
    "T = 20, lr 1": train(first_bit, T=20, lr=1.0)[0],
}
for label, monitor in {**crawls, **faster}.items():
    verdict, evidence = monitor.diagnose()
    tail = np.mean(monitor.losses[-20:])
    print(f"{label:16s} loss, last 20 steps {tail:8.3g}   {verdict}: {evidence}")

fig, ax = plt.subplots(figsize=(6.4, 3.4))
for label, monitor in {**crawls, **faster}.items():
    ax.semilogy(monitor.losses, label=label)
ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
ax.set_ylim(1e-3, 1e2)
ax.set_xlabel("training step")
ax.set_ylabel("training loss (MSE)")
ax.set_title("Two crawls, and ten times the learning rate")
ax.legend(fontsize="small", ncol=2)
plt.show()
# The first crawl has a healthy ratio: the gradient reaches step 1, the steps are simply
# short, and ten times the learning rate solves the task. The second has a ratio far below
# the threshold. The learning rate multiplies every component of the update by the same
# number, so it leaves the ratio of early to late contributions where it was; what it does
# amplify is the large late-step part, and the run blows up instead of learning.
assert crawls["T = 5, lr 0.003"].diagnose()[0] == "healthy"
assert crawls["T = 20, lr 0.1"].diagnose()[0] == "vanishing"
assert np.mean(crawls["T = 5, lr 0.003"].losses[-20:]) > 0.2
assert np.mean(faster["T = 5, lr 0.03"].losses[-20:]) < 0.05
assert faster["T = 20, lr 1"].diagnose()[0] == "exploding"
