# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Lab: fixes that keep a vanilla RNN
#
# This notebook goes with the chapter [Fixes that keep a vanilla RNN](../../../fixes/).
# It starts with the two clipping functions of PyTorch applied to one gradient with two
# components, small enough to draw. The exercises then rescue a training run that
# diverges, make you write truncated backpropagation through time with `detach()`, and
# end with a counter-example: a dependency longer than the truncation, which no amount
# of training can learn. You need NumPy, matplotlib and PyTorch; everything runs in a few
# seconds on one CPU thread.
#
# A worked solution sits under each exercise, folded away. Try first, then open it.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)  # tiny models run fastest on one thread, and runs repeat exactly

# %% [markdown]
# ## Clipping by norm and by value
#
# Clipping changes the gradient after `backward()` has computed it and before the optimizer
# reads it. Stack the gradients of all the parameters you pass into one vector $g$.
#
# - `torch.nn.utils.clip_grad_norm_(parameters, max_norm)` multiplies **every** component
#   by the same factor,
#   $$
#   g \;\leftarrow\; g \cdot \min\!\Big(1, \frac{\text{max\_norm}}{\lVert g \rVert + 10^{-6}}\Big),
#   $$
#   so the direction of $g$ survives and only its length is capped. It returns
#   $\lVert g \rVert$ as it was before clipping, a free gradient monitor.
# - `torch.nn.utils.clip_grad_value_(parameters, clip_value)` clamps each component to
#   $[-\text{clip\_value}, \text{clip\_value}]$ separately. Large components are cut and
#   small ones kept, so in general the direction turns.
#
# Take the gradient $g = (3, 0.5)$ and the threshold 1.


# %%
def clipped(g, how, threshold=1.0):
    """Put g into the .grad of a parameter, clip it in place, return (new gradient, returned)."""
    p = nn.Parameter(torch.zeros(len(g), dtype=torch.float64))
    p.grad = torch.tensor(g, dtype=torch.float64)
    if how == "norm":
        returned = nn.utils.clip_grad_norm_([p], max_norm=threshold).item()
    else:
        returned = nn.utils.clip_grad_value_([p], clip_value=threshold)
    return p.grad.numpy(), returned


def angle(u, v):
    """The angle between two vectors, in degrees."""
    cosine = u @ v / (np.linalg.norm(u) * np.linalg.norm(v))
    return math.degrees(math.acos(min(1.0, cosine)))


g = np.array([3.0, 0.5])
by_norm, returned = clipped(g, "norm")
by_value, _ = clipped(g, "value")
print(f"original     {g}   norm {np.linalg.norm(g):.3f}")
print(
    f"by norm      {by_norm.round(3)}   norm {np.linalg.norm(by_norm):.3f}   turned by {angle(g, by_norm):.1f} deg"
)
print(
    f"by value     {by_value.round(3)}   norm {np.linalg.norm(by_value):.3f}   turned by {angle(g, by_value):.1f} deg"
)
print(f"clip_grad_norm_ returned {returned:.3f}, the norm before clipping")
assert angle(g, by_norm) < 1e-6 < 10 < angle(g, by_value)

fig, ax = plt.subplots(figsize=(6.4, 3.2))
circle = np.linspace(0, 2 * np.pi, 200)
ax.plot(np.cos(circle), np.sin(circle), color="0.6", lw=0.8, ls="--", label="||g|| = 1")
ax.plot([-1, 1, 1, -1, -1], [-1, -1, 1, 1, -1], color="0.6", lw=0.8, ls=":", label="|g_i| = 1")
arrows = {"original (3, 0.5)": g, "clipped by norm": by_norm, "clipped by value": by_value}
for number, (label, vector) in enumerate(arrows.items()):
    colour = "0.4" if number == 0 else f"C{number - 1}"
    ax.annotate(
        "", xy=vector, xytext=(0, 0), arrowprops=dict(arrowstyle="->", lw=1.8, color=colour)
    )
    ax.plot([], [], color=colour, lw=1.8, label=label)  # a legend entry for the arrow
ax.set_aspect("equal")
ax.set_xlim(-1.2, 3.3)
ax.set_ylim(-1.2, 1.2)
ax.set_xlabel("gradient component 1")
ax.set_ylabel("component 2")
ax.legend(loc="lower right", fontsize="small")
plt.show()

# %% [markdown]
# The norm-clipped arrow lies on the original line and ends on the circle; the
# value-clipped one ends in the corner of the square, pointing more steeply. One more
# consequence of "all parameters as one vector": two tensors whose gradients have norms 5
# and 12 have a global norm of 13, and **both** are scaled by $1/13$. Clipping each tensor
# on its own would scale them differently and turn the direction after all.

# %%
a, b = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(2))
a.grad, b.grad = torch.tensor([3.0, 4.0]), torch.tensor([0.0, 12.0])
total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
print(
    f"global norm {total:.1f}; after clipping: a.grad = {a.grad.numpy().round(4)}, b.grad = {b.grad.numpy().round(4)}"
)
assert torch.allclose(a.grad, torch.tensor([3.0, 4.0]) / 13, atol=1e-6)

# %% [markdown]
# ## Try it 1: rescue a diverging run
#
# The run below learns the sum of 20 numbers drawn from $\mathcal N(0,1)$, divided by
# $\sqrt{20}$ (so answering 0 scores 1), with a ReLU RNN of 32 units whose recurrent matrix
# starts as 1.1 times a random orthogonal matrix, by plain SGD at learning rate 0.1. It
# diverges. Keep the learning rate and rescue it with `clip_grad_norm_`, once with
# `max_norm=1` and once with `max_norm=5`.
#
# 1. Do both clipped runs stay finite for 300 steps? Which learns more?
# 2. Look at the gradient norm **before** clipping in the run clipped at 1. Did clipping stop
#    the gradient from exploding? What did it stop?

# %%
SEQ_LEN, BATCH, HIDDEN = 20, 32, 32


def sum_batch(generator):
    """x (BATCH, SEQ_LEN, 1) standard normal; y: the sum over time / sqrt(SEQ_LEN)."""
    x = torch.randn(BATCH, SEQ_LEN, 1, generator=generator)
    return x, x.sum(dim=1) / math.sqrt(SEQ_LEN)


def train_sum(max_norm=math.inf, lr=0.1, steps=300, seed=0):
    """SGD with clip_grad_norm_; returns losses, norms before clipping, first non-finite step."""
    torch.manual_seed(seed)
    rnn, readout = nn.RNN(1, HIDDEN, nonlinearity="relu", batch_first=True), nn.Linear(HIDDEN, 1)
    with torch.no_grad():
        nn.init.orthogonal_(rnn.weight_hh_l0, gain=1.1)
    parameters = [*rnn.parameters(), *readout.parameters()]
    optimizer = torch.optim.SGD(parameters, lr=lr)
    data = torch.Generator().manual_seed(seed)
    losses, norms = [], []
    for step in range(steps):
        x, y = sum_batch(data)
        loss = nn.functional.mse_loss(readout(rnn(x)[0][:, -1]), y)
        optimizer.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(parameters, max_norm)  # max_norm = inf: measure only
        losses.append(loss.item())
        norms.append(norm.item())
        if not (math.isfinite(losses[-1]) and math.isfinite(norms[-1])):
            return np.array(losses), np.array(norms), step
        optimizer.step()
    return np.array(losses), np.array(norms), None


losses, norms, blew_up = train_sum()
print(f"no clipping: the loss or gradient is not finite at step {blew_up}")

# %% tags=["solution"]
runs = {"no clipping": (losses, norms, blew_up)}
runs |= {f"max_norm = {m:g}": train_sum(max_norm=m) for m in (1.0, 5.0)}
for label, (run_losses, run_norms, end) in runs.items():
    finite = run_norms[np.isfinite(run_norms)]
    outcome = (
        f"nan/inf at step {end}"
        if end is not None
        else f"loss, last 20 steps {run_losses[-20:].mean():.3f}"
    )
    print(f"{label:12s} {outcome:26s}  largest finite norm before clipping {finite.max():8.3g}")

clip1, clip5 = runs["max_norm = 1"], runs["max_norm = 5"]
print(f"steps shortened by max_norm = 1: {(clip1[1] > 1).mean():.0%}")

fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 4.6))
for label, (run_losses, run_norms, _) in runs.items():
    top.semilogy(run_losses, label=label)
    bottom.semilogy(np.where(np.isfinite(run_norms), run_norms, np.nan), label=label)
top.axhline(1.0, color="0.5", lw=0.8, ls=":")
top.set_ylim(1e-2, 1e3)
top.set_ylabel("training loss (MSE)")
top.legend(fontsize="small")
bottom.set_ylabel("gradient norm\nbefore clipping")
bottom.set_xlabel("training step")
plt.show()
# Both clipped runs survive. The threshold 1 is about the norm of the first, calm steps,
# so nearly every later step is shortened to length lr x 1 = 0.1, and that run learns
# well. At 5 a spike still moves the weights five times as far, and the loss jumps with
# it. In both, the norm BEFORE clipping still spikes, to about a hundred and to thousands:
# clipping does not stop the gradient from exploding, it stops the explosion from
# reaching the weights.
assert (clip1[1] > 1).mean() > 0.9
assert blew_up is not None and clip1[2] is None and clip5[2] is None
assert clip1[0][-20:].mean() < 0.5 < clip5[0][-20:].mean()
assert clip1[1].max() > 20  # the gradient itself still explodes

# %% [markdown]
# ## Try it 2: truncated BPTT by detaching the state
#
# A long stream is trained in chunks of $k$ steps, one optimizer step per chunk. The state
# $h$ must be carried from chunk to chunk, since it is the network's memory, but the
# graph behind it must be cut, or the next `backward()` tries to run through the previous
# chunk as well.
#
# The data is an echo: a stream of random bits $\pm 1$, and at every step the target is
# the bit seen $d$ steps earlier. Write the training loop for a tanh RNN with 32 units
# (Adam, learning rate 0.01, 200 chunks, batch 32), with the state carried across chunks.
#
# 1. Leave out the `detach()` first. What does PyTorch say at the second chunk?
# 2. Then cut the graph with `h = h.detach()` and train with $k = 8$, $d = 3$. Report the
#    accuracy of the sign of the output over the last 50 chunks.


# %% tags=["solution"]
def echo_accuracy(delay, k, chunks=200, detach=True, seed=0):
    """Truncated BPTT over an echo stream in chunks of k steps; accuracy, last 50 chunks."""
    torch.manual_seed(seed)
    rnn, readout = nn.RNN(1, 32, batch_first=True), nn.Linear(32, 1)
    optimizer = torch.optim.Adam([*rnn.parameters(), *readout.parameters()], lr=0.01)
    data = torch.Generator().manual_seed(seed)
    stream = torch.randint(0, 2, (32, delay + chunks * k, 1), generator=data).float() * 2 - 1
    h, hits = None, []
    for c in range(chunks):
        start = delay + c * k
        x, target = stream[:, start : start + k], stream[:, start - delay : start - delay + k]
        out, h = rnn(x, h)
        prediction = readout(out)
        loss = nn.functional.mse_loss(prediction, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if detach:
            h = h.detach()  # keep the value, drop the history
        if c >= chunks - 50:
            hits.append((prediction.sign() == target).float().mean().item())
    return sum(hits) / len(hits)


try:
    echo_accuracy(delay=3, k=8, chunks=2, detach=False)
    message = "no error"
except RuntimeError as error:
    message = str(error).split("(")[0].strip()
print(f"without detach(): {message}")
accuracy = echo_accuracy(delay=3, k=8)
print(f"with detach(), k = 8, d = 3: accuracy {accuracy:.0%}")
# The first backward() frees chunk 1's graph. Chunk 2's state still points into it, so
# the second backward() would have to go through it again, and PyTorch refuses.
# retain_graph=True would silence the error and turn the loop into full BPTT over the
# whole stream, with a graph (and a cost) that grows chunk after chunk, built with weights
# the optimizer has already changed. detach() is the fix.
assert message.startswith("Trying to backward through the graph a second time")
assert accuracy > 0.99

# %% [markdown]
# ## Try it 3: a dependency longer than the truncation
#
# Now the counter-example. Keep $k = 4$ and let the delay $d$ run from 1 to 7.
#
# 1. Plot the echo accuracy against $d$. Where is the cliff?
# 2. Explain it with a gradient. Run two chunks of 4 steps on a stream that requires
#    gradients, with the state detached between them, and compute the gradient of the
#    second chunk's output with respect to every position of the stream. Which positions
#    get a non-zero gradient? Repeat without the `detach()`.

# %% tags=["solution"]
delays = list(range(1, 8))
accuracies = [echo_accuracy(delay=d, k=4) for d in delays]
for d, acc in zip(delays, accuracies, strict=True):
    print(f"d = {d}: accuracy {acc:.0%}")

fig, ax = plt.subplots(figsize=(6.4, 3.2))
ax.plot(delays, [100 * a for a in accuracies], "o-", label="chunks of k = 4 steps")
ax.axvline(3.5, color="0.5", lw=0.8, ls="--")
ax.axhline(50, color="0.5", lw=0.8, ls=":")
ax.text(3.6, 90, "d = k", color="0.3")
ax.text(1, 52, "chance", color="0.3")
ax.set_xlabel("delay d between an input and its target (steps)")
ax.set_ylabel("echo accuracy (%)")
ax.legend(loc="upper right")
plt.show()


def reach(detach):
    """Which stream positions receive gradient from the second chunk's output?"""
    torch.manual_seed(0)
    rnn = nn.RNN(1, 8, batch_first=True)
    stream = torch.randn(1, 8, 1, requires_grad=True)
    _, h = rnn(stream[:, :4])
    if detach:
        h = h.detach()
    out, _ = rnn(stream[:, 4:], h)
    (grad,) = torch.autograd.grad(out.sum(), stream)
    return grad[0, :, 0].abs().numpy()


for detach in (True, False):
    print(
        f"detach={detach!s:5}  |d output of chunk 2 / d x_t|, t = 1..8:", np.round(reach(detach), 4)
    )
# Below the cliff every delay is learned; from d = k = 4 on the accuracy drops towards the
# 50% of a coin flip. With the detach, positions 1 to 4 receive a gradient of exactly 0
# from chunk 2: not small, zero. A target d >= k steps after its input always sits in a
# later chunk than that input, so the gradient that would teach the echo is identically 0,
# and no learning rate, optimizer or clipping can scale up a zero. (What remains above 50%
# is not memory that was learned: the read-out is trained on whatever the state retains.)
assert min(accuracies[:3]) > 0.95 and max(accuracies[4:]) < 0.7
assert np.all(reach(detach=True)[:4] == 0) and np.all(reach(detach=True)[4:] > 0)
assert np.all(reach(detach=False) > 0)
