# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Lab: diagnosing a sick RNN
#
# This notebook goes with the chapter [Diagnosing a sick RNN](../../../diagnosis/). It
# builds a pocket-sized gradient monitor, about fifty lines of PyTorch, that reads the
# per-step gradients with hooks during the ordinary backward pass, and uses it on a
# training run that works. The exercises hand you two kinds of run that do not and ask
# which disease each one has, then build a task on which the training loss says "solved"
# while the part of the task that needs memory is at chance, and finally separate two loss
# curves that crawl for different reasons. You need NumPy, matplotlib and PyTorch; the
# notebook runs in about ten seconds on one CPU thread.
#
# Below every exercise is a worked solution, folded away. Try first, then open it.

# %% [markdown]
# ## Three measurements
#
# A recurrent network $h_t = \phi(W_{hh} h_{t-1} + W_{xh} x_t + b_h)$ whose loss $L$ is
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
# 3. the **early/late ratio** $R = \lVert \partial L/\partial h_1 \rVert \,/\,
#    \lVert \partial L/\partial h_T \rVert$, the share of the gradient that survives the
#    trip back to the first step: a ratio of $10^{-6}$ means the first input barely
#    influences the update, the mark of a vanishing product.
#
# The third needs every $h_t$ to be a tensor of the autograd graph. A fused `nn.RNN`
# computes all states inside one kernel, and the gradient of its output tensor holds only
# each state's *direct* effect on the loss. So on the steps where the monitor probes, the
# model below computes the same recurrence step by step with the RNN's own weights, and the
# monitor puts a **hook** on every $h_t$: during the ordinary `loss.backward()` autograd
# calls each hook with the total gradient $\partial L/\partial h_t$. That forward and
# backward are the training step itself; there is no second backward pass. (The chapter's
# monitor does the same swap for any `nn.RNN`, `nn.LSTM` or `nn.GRU` without touching the
# model's code.)

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
VANISHING_RATIO = 1e-3  # vanishing: R (median of recent probes) below this, loss stuck


def unrolled(rnn, x):
    """A one-layer, batch-first nn.RNN step by step with its own weights: (output, states)."""
    phi = torch.tanh if rnn.nonlinearity == "tanh" else torch.relu
    h, states = x.new_zeros(x.shape[0], rnn.hidden_size), []
    for t in range(x.shape[1]):
        z = x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0
        h = phi(z)
        states.append(h)
    return torch.stack(states, dim=1), states


class Monitor:
    """Loss, global gradient norm and R per optimizer step, and a verdict."""

    def __init__(self, probe_every=10):
        self.probe_every = probe_every
        self.losses, self.norms, self.ratios = [], [], {}  # ratios: step -> R
        self.pending = None  # ||dL/dh_t|| of the current probe, filled in by the hooks

    def wants_probe(self):
        return len(self.losses) % self.probe_every == 0

    def watch(self, states):
        """Hook h_1..h_T; autograd hands each hook the total dL/dh_t during backward()."""
        self.pending = [0.0] * len(states)
        for t, h in enumerate(states):
            h.register_hook(lambda grad, t=t: self.pending.__setitem__(t, grad.norm().item()))

    def record(self, loss, parameters):
        """Record the loss, the gradient norm and R. Call after backward, before clipping."""
        norm = torch.nn.utils.get_total_norm([p.grad for p in parameters]).item()
        if self.pending is not None:
            self.ratios[len(self.losses)] = self.pending[0] / self.pending[-1]
            self.pending = None
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
        ratio = statistics.median(list(self.ratios.values())[-5:])
        width = max(1, min(WINDOW, len(self.losses) // 2))
        stuck = np.median(self.losses[-width:]) > 0.5 * np.median(self.losses[:width])
        verdict = "vanishing" if ratio < VANISHING_RATIO and stuck else "healthy"
        return verdict, f"R = {ratio:.1e}, loss stuck: {stuck}, largest norm {max(self.norms):.3g}"


# %% [markdown]
# The monitor goes into an ordinary training loop in a fixed order: forward (unrolled and
# watched on probe steps), backward, record, clip (if you clip), step. The loop below trains
# a one-layer `nn.RNN` with a linear read-out of $h_T$ by plain SGD on fresh batches of 32
# sequences, and stops at the first non-finite loss or gradient.


# %%
class Net(nn.Module):
    """nn.RNN and a linear read-out of the last state; optionally W_hh = gain x orthogonal."""

    def __init__(self, inputs, nonlinearity="tanh", hidden=32, recurrent_gain=None, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.rnn = nn.RNN(inputs, hidden, nonlinearity=nonlinearity, batch_first=True)
        self.readout = nn.Linear(hidden, 1)
        if recurrent_gain is not None:
            with torch.no_grad():
                nn.init.orthogonal_(self.rnn.weight_hh_l0, gain=recurrent_gain)

    def forward(self, x, monitor=None):
        if monitor is not None and monitor.wants_probe():
            output, states = unrolled(self.rnn, x)  # the same weights, every h_t in the graph
            monitor.watch(states)
        else:
            output, _ = self.rnn(x)  # the fused kernel
        return self.readout(output[:, -1])


def train(task, T, lr, steps=200, optimizer="sgd", seed=0, **model_options):
    """Train on fresh batches of task(generator, T); return the Monitor."""
    x, _ = task(torch.Generator().manual_seed(seed), T)
    model = Net(x.shape[-1], seed=seed, **model_options)
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer](model.parameters(), lr=lr)
    data, monitor = torch.Generator().manual_seed(seed), Monitor()
    for _ in range(steps):
        x, y = task(data, T)
        loss = nn.functional.mse_loss(model(x, monitor), y)  # 1. forward, watched on probes
        opt.zero_grad()
        loss.backward()  # 2. the hooks fire here
        norm = monitor.record(loss, list(model.parameters()))  # 3. before any clipping
        if not (math.isfinite(norm) and math.isfinite(loss.item())):
            break
        opt.step()  # 4.
    return monitor


def plot_monitors(monitors, title):
    """Global gradient norm per step (top) and R per probe (bottom)."""
    _, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 4.6))
    for label, monitor in monitors.items():
        norms = np.array(monitor.norms)
        (line,) = top.semilogy(np.where(np.isfinite(norms), norms, np.nan), lw=0.8, label=label)
        ratios = monitor.ratios
        bottom.semilogy(list(ratios), list(ratios.values()), "o-", ms=3, color=line.get_color())
    bottom.axhline(VANISHING_RATIO, color="0.5", lw=0.8, ls=":")
    top.set_ylabel("global gradient norm")
    top.set_title(title)
    top.legend(fontsize="small")
    bottom.set_ylabel("R = ||dL/dh_1|| / ||dL/dh_T||")
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


healthy = train(first_bit, T=5, lr=0.1, steps=120)
verdict, evidence = healthy.diagnose()
print(f"recall over 5 steps: loss {healthy.losses[0]:.3f} -> {np.mean(healthy.losses[-10:]):.4f}")
print(f"verdict: {verdict} ({evidence})")
assert verdict == "healthy" and np.mean(healthy.losses[-10:]) < 0.05
plot_monitors({"recall, T = 5": healthy}, "A healthy run")

# %% [markdown]
# The gradient norm wanders, falls once the task is solved, and never jumps; $R$ stays near
# 1, because five steps of the product cost little. (The dotted line is the vanishing
# threshold $10^{-3}$.) A check worth doing once: on a probe step, the unrolled forward
# gives the fused layer's output, so the probe step trains the same model.

# %%
probe_net, x = Net(2), first_bit(torch.Generator().manual_seed(0), 5)[0]
fused_out, _ = probe_net.rnn(x)
assert torch.allclose(unrolled(probe_net.rnn, x)[0], fused_out, atol=1e-6)

# %% [markdown]
# ## Try it 1: two kinds of sick run
#
# Here are two kinds of run that fail. Run each with `train` for seeds 0 to 4, plot one
# seed of each with `plot_monitors`, and let the monitor name the disease. For the runs
# that blow up, how many steps of warning does the spike rule give before the first `nan`
# or `inf`? Which of the three measurements was the only one to notice the other kind's
# problem?
#
# - **Run A** learns the sum of 20 numbers drawn from $\mathcal N(0, 1)$, divided by
#   $\sqrt{20}$, with a ReLU RNN whose recurrent matrix starts as 1.1 times a random
#   orthogonal matrix, at learning rate 0.1.
# - **Run B** is the recall task of the demo with the bit 40 steps back, 50 steps.


# %%
def running_sum(generator, T, batch=32):
    """x (batch, T, 1) standard normal; y: the sum over time divided by sqrt(T)."""
    x = torch.randn(batch, T, 1, generator=generator)
    return x, x.sum(dim=1) / math.sqrt(T)


MYSTERY = {
    "A": dict(task=running_sum, T=20, lr=0.1, nonlinearity="relu", recurrent_gain=1.1),
    "B": dict(task=first_bit, T=40, lr=0.1, steps=50),
}
SEEDS = range(5)

# %% tags=["solution"]
runs = {name: [train(seed=s, **settings) for s in SEEDS] for name, settings in MYSTERY.items()}
for name, monitors in runs.items():
    verdicts = [m.diagnose()[0] for m in monitors]
    print(f"run {name}, seeds 0-4: {verdicts}")
plot_monitors({f"run {name}, seed 0": ms[0] for name, ms in runs.items()}, "Two sick runs")
blown = [m for m in runs["A"] if m.first_nonfinite() is not None]
warnings = [m.first_nonfinite() - m.first_spike() for m in blown]
print(f"run A: {len(blown)} of {len(SEEDS)} seeds reached nan/inf within 200 steps,")
print(f"       flagged by the spike rule {warnings} steps before it")
print(
    f"run B: loss over the last 20 steps {[round(float(np.mean(m.losses[-20:])), 3) for m in runs['B']]}"
)
print(f"run B: largest gradient norm {[round(max(m.norms), 2) for m in runs['B']]}")
print(f"run B: largest R of any probe {max(max(m.ratios.values()) for m in runs['B']):.1e}")
# Run A explodes in every seed: its gradient norm leaps by more than 100x the recent median,
# and where the loss overflows, the spike comes a few steps before it: early enough to stop,
# reload and lower the learning rate, but only just. Run B vanishes: its loss never leaves the baseline of 1 and
# its gradient norm looks unremarkable, of order 1. Only R shows that the first step
# receives a millionth of the last step's gradient or less.
assert all(m.diagnose()[0] == "exploding" for m in runs["A"])
assert all(m.diagnose()[0] == "vanishing" for m in runs["B"])
assert len(blown) >= 3 and min(warnings) >= 1
assert all(abs(np.mean(m.losses[-20:]) - 1) < 0.1 and max(m.norms) < 10 for m in runs["B"])
assert max(max(m.ratios.values()) for m in runs["B"]) < 1e-6

# %% [markdown]
# ## Try it 2: a loss that lies
#
# Build a counter-example to "the training loss is low, so the model works". Take a stream
# of random bits $x_t = \pm 1$, $t = 1, \dots, 30$. At every step $t \ge 2$ the target is
# the previous bit $x_{t-1}$, except at the last step, flagged by a 1 in a second input
# channel, where the target is the **first** bit $x_1$. The loss is the mean squared error
# over all 29 targets, with a read-out at every step.
#
# 1. Train a tanh `nn.RNN` with 32 units on it with Adam (learning rate 0.01, 300 steps).
#    Does the training loss look good?
# 2. Score the 28 short-range targets and the one long-range target separately on a
#    fresh test batch. What accuracy does the sign of the output reach on each?
# 3. Probe $R$ twice, on the test batch: with the training loss, and with the loss of the
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
tagger, readout = nn.RNN(2, 32, batch_first=True), nn.Linear(32, 1)
opt = torch.optim.Adam([*tagger.parameters(), *readout.parameters()], lr=0.01)
data = torch.Generator().manual_seed(0)
for _ in range(300):
    x, y = previous_and_first(data, T_LONG)
    out = readout(tagger(x)[0])[..., 0]
    loss = nn.functional.mse_loss(out[:, 1:], y[:, 1:])
    opt.zero_grad()
    loss.backward()
    opt.step()

x, y = previous_and_first(torch.Generator().manual_seed(1), T_LONG, batch=500)
R = {}
for name, targets in {"training loss": slice(1, None), "long-range loss": -1}.items():
    probe = Monitor(probe_every=1)
    output, states = unrolled(tagger, x)  # a probe: forward and backward, no optimizer step
    probe.watch(states)
    out = readout(output)[..., 0]
    probe_loss = nn.functional.mse_loss(out[:, targets], y[:, targets])
    probe_loss.backward()
    probe.record(probe_loss, [*tagger.parameters(), *readout.parameters()])
    R[name] = probe.ratios[0]
    if name == "training loss":
        whole = probe_loss.item()
        correct = (out.sign() == y).float()
short_acc, long_acc = correct[:, 1:-1].mean().item(), correct[:, -1].mean().item()
print(f"test loss over all targets: {whole:.3f}   (1/29 = {1 / 29:.3f})")
print(f"short-range accuracy {short_acc:.1%}, long-range accuracy {long_acc:.1%}")
for name, value in R.items():
    print(f"R, probed with the {name}: {value:.1e}")
# The training loss sits near 1/29: 28 of the 29 targets are answered perfectly and the
# last one scores about 1, what answering 0 scores. Its accuracy is a coin flip. Probed
# with the training loss, h_1 looks well supplied with gradient, because it feeds the
# target at t = 2 directly, one step away. The long-range loss alone shows the gradient
# that should teach the memory: many orders of magnitude below the threshold. (The
# chapter repeats this over five seeds.)
assert whole < 0.06 and short_acc > 0.99 and 0.4 < long_acc < 0.6
assert R["training loss"] > VANISHING_RATIO > 1e3 * R["long-range loss"]

# %% [markdown]
# ## Try it 3: two runs that crawl
#
# Modify the demo in two ways, each of which makes the loss barely move for its first 100
# steps:
#
# 1. the recall task with $T = 5$ at learning rate 0.01;
# 2. the recall task with $T = 20$ at learning rate 0.1.
#
# From the loss curves alone the two look alike. What does $R$ say about each? Predict
# which one a learning rate ten times higher will cure, then check: give *both* tasks both
# learning rates, 0.01 and 0.1, so that the comparison is fair. Why can a larger learning
# rate not change the early steps' share of the update?

# %% tags=["solution"]
crawls = {
    (5, 0.01): train(first_bit, T=5, lr=0.01, steps=150),
    (20, 0.1): train(first_bit, T=20, lr=0.1, steps=150),
}
others = {
    (5, 0.1): train(first_bit, T=5, lr=0.1, steps=150),
    (20, 0.01): train(first_bit, T=20, lr=0.01, steps=150),
}
for (T, lr), monitor in {**crawls, **others}.items():
    verdict, evidence = monitor.diagnose()
    first, last = np.mean(monitor.losses[:100]), np.mean(monitor.losses[-20:])
    print(
        f"T = {T:2d}, lr {lr:4}: loss {first:.2f} (steps 1-100) -> {last:.3f}; {verdict}, {evidence}"
    )

fig, ax = plt.subplots(figsize=(6.4, 3.4))
for (T, lr), monitor in {**crawls, **others}.items():
    ax.semilogy(monitor.losses, lw=0.8, label=f"T = {T}, lr {lr}")
ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
ax.set_ylim(1e-4, 1e1)
ax.set_xlabel("training step")
ax.set_ylabel("training loss (MSE)")
ax.set_title("Two crawls, each task at both learning rates")
ax.legend(fontsize="small", ncol=2)
plt.show()
# Both crawls sit near the baseline for 100 steps. The first has a healthy R: the gradient
# reaches step 1, the steps are simply short, and ten times the learning rate solves the
# task within a few dozen steps. The second has R far below the threshold, and neither rate
# gets the loss off the baseline: the learning rate multiplies every component of the
# update by the same number, so it leaves the share of the early steps where it was. (The chapter trains
# both tasks over five seeds on one grid up to a rate of 1, where both diverge, and shows
# that Adam, which rescales every parameter's step by its own gradient history, does learn
# T = 20.)
assert crawls[(5, 0.01)].diagnose()[0] == "healthy"
assert crawls[(20, 0.1)].diagnose()[0] == "vanishing"
assert np.mean(crawls[(5, 0.01)].losses[:100]) > 0.7
assert np.mean(others[(5, 0.1)].losses[-20:]) < 0.01
assert min(np.mean(m.losses[-20:]) for m in [crawls[(20, 0.1)], others[(20, 0.01)]]) > 0.95
