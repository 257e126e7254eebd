# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Lab: why gates
#
# This notebook goes with the chapter [Why gates](../../../gates/). It writes an LSTM and a
# GRU step by hand from the parameters of PyTorch's own layers, checks them against
# `nn.LSTM` and `nn.GRU`, and then uses them to measure how much of a loss's gradient
# reaches each time step in a tanh RNN, an LSTM and a GRU at initialisation. The
# exercises turn the knobs the chapter talks about: the forget-gate bias, a forget gate
# fixed at 0.9 (a counter-example to "LSTMs solve vanishing gradients"), a GRU whose
# update gate is pinned shut or open, and the parameter bill of each cell. You need
# NumPy, matplotlib and PyTorch; the notebook runs in a few seconds on one CPU thread.
#
# Every exercise has a worked solution below it, folded away. Try first, then open it.

# %% [markdown]
# ## The cells, written out
#
# With $\sigma$ the logistic sigmoid and $\odot$ the elementwise product, one LSTM step is
#
# $$
# \begin{aligned}
# i_t, f_t, o_t &= \sigma(\cdot), \quad g_t = \tanh(\cdot), \qquad
# \text{each } (\cdot) = W_{x\bullet}\, x_t + W_{h\bullet}\, h_{t-1} + b_\bullet ,\\
# c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t) ,
# \end{aligned}
# $$
#
# and one GRU step, with reset gate $r_t$, update gate $u_t$ and candidate $\hat h_t$, in
# PyTorch's form (the reset gate acts after the product with $W_{h\hat h}$),
#
# $$
# \begin{aligned}
# r_t, u_t &= \sigma(\cdot), \qquad
# \hat h_t = \tanh\big(W_{x\hat h} x_t + b_{x\hat h} + r_t \odot (W_{h\hat h} h_{t-1} + b_{h\hat h})\big),\\
# h_t &= (1 - u_t) \odot \hat h_t + u_t \odot h_{t-1} .
# \end{aligned}
# $$
#
# (PyTorch's documentation writes $z_t$ for the update gate and $n_t$ for the candidate; the
# site keeps $z_t$ for the pre-activation, see its notation page.) PyTorch stacks the gates'
# matrices by rows: `weight_ih_l0` holds $W_{x\bullet}$ for i, f, g, o (LSTM) or
# r, u, $\hat h$ (GRU, in that order), `weight_hh_l0` the $W_{h\bullet}$, and each gate adds
# **both** bias vectors, `bias_ih_l0` and `bias_hh_l0`. So `chunk(4)` (or `chunk(3)`) of
# one pre-activation splits it into the gates. The GRU's candidate is the exception: its
# two bias halves sit on either side of $r_t \odot$, so its input and recurrent parts must
# be kept apart until the reset gate has been applied.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)  # small models are fastest on one thread, and runs repeat exactly

INPUTS, HIDDEN, BATCH = 2, 32, 64
VANISHING = 1e-3  # a step-1 gradient below this share of the last step's counts as vanished


def rnn_step(rnn, x, h):
    """One tanh RNN step with nn.RNN's weights."""
    return torch.tanh(
        x @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0
    )


def lstm_step(lstm, x, h, c):
    """One LSTM step with nn.LSTM's weights: h_t, c_t and the forget gate f_t."""
    pre = x @ lstm.weight_ih_l0.T + lstm.bias_ih_l0 + h @ lstm.weight_hh_l0.T + lstm.bias_hh_l0
    i, f, g, o = pre.chunk(4, dim=1)  # PyTorch's row order: i, f, g, o
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g  # the cell: one multiplication by f_t per step
    return o * torch.tanh(c), c, f


def gru_step(gru, x, h):
    """One GRU step with nn.GRU's weights: h_t and the update gate u_t."""
    r_x, u_x, c_x = (x @ gru.weight_ih_l0.T + gru.bias_ih_l0).chunk(3, dim=1)  # r, u, h_hat
    r_h, u_h, c_h = (h @ gru.weight_hh_l0.T + gru.bias_hh_l0).chunk(3, dim=1)
    r, u = torch.sigmoid(r_x + r_h), torch.sigmoid(u_x + u_h)
    h_hat = torch.tanh(c_x + r * c_h)  # reset AFTER the product with W_h(h_hat)
    return (1 - u) * h_hat + u * h, u


def unroll(layer, x, cell_path_only=False):
    """Hand-written steps over x (batch, T, inputs) from zeros: [h_1..h_T], [c_1..c_T] (LSTM).

    cell_path_only (LSTM): the gates read a detached h_{t-1}, so the only way back is along c.
    """
    h = c = x.new_zeros(x.shape[0], layer.hidden_size)
    hs, cs = [], []
    for t in range(x.shape[1]):
        if isinstance(layer, nn.LSTM):
            h, c, _ = lstm_step(layer, x[:, t], h.detach() if cell_path_only else h, c)
            cs.append(c)
        elif isinstance(layer, nn.GRU):
            h, _ = gru_step(layer, x[:, t], h)
        else:
            h = rnn_step(layer, x[:, t], h)
        hs.append(h)
    return hs, cs


# %% [markdown]
# The three hand-written cells must agree with PyTorch's fused layers. In float64 they do,
# to rounding, for every $h_t$ and the last $c_t$:


# %%
def make(kind, seed=0):
    """A default-initialised nn.RNN / nn.LSTM / nn.GRU and a linear read-out, float64."""
    torch.manual_seed(seed)
    layer = {"tanh RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}[kind]
    return layer(INPUTS, HIDDEN, batch_first=True).double(), nn.Linear(HIDDEN, 1).double()


x_check = torch.randn(
    4, 12, INPUTS, dtype=torch.float64, generator=torch.Generator().manual_seed(7)
)
for kind in ("tanh RNN", "LSTM", "GRU"):
    layer, _ = make(kind)
    hs, cs = unroll(layer, x_check)
    fused, last = layer(x_check)
    gap = (torch.stack(hs, dim=1) - fused).abs().max().item()
    if cs:
        gap = max(gap, (cs[-1] - last[1][0]).abs().max().item())
    print(f"{kind:8s} by hand vs fused: largest difference {gap:.1e}")
    assert gap < 1e-12

# %% [markdown]
# ## Gradients per time step at initialisation
#
# The task is the adding problem: channel 0 carries numbers drawn uniformly from $[0, 1)$,
# channel 1 marks two of them, one in the first half of the sequence and one in the
# second, and the target is their sum. A linear read-out of $h_T$ gives the prediction and
# $L = \tfrac12 \operatorname{mean}(\hat y - y)^2$. We unroll the hand-written cell, keep
# every $h_t$ (and $c_t$) in the graph and ask `torch.autograd.grad` for all of
# $\partial L/\partial h_t$ in **one** backward pass. The plot shows
# $\lVert \partial L/\partial h_t \rVert / \lVert \partial L/\partial h_T \rVert$, the share
# of the last step's gradient that reaches step $t$.

# %%
T = 30


def adding_batch(seed, T, batch=BATCH):
    """Adding-problem inputs (batch, T, 2) and targets (batch,), float64."""
    gen = torch.Generator().manual_seed(seed)
    values = torch.rand(batch, T, generator=gen, dtype=torch.float64)
    first = torch.randint(0, T // 2, (batch,), generator=gen)
    second = torch.randint(T // 2, T, (batch,), generator=gen)
    marks = torch.zeros(batch, T, dtype=torch.float64)
    marks[torch.arange(batch), first] = 1.0
    marks[torch.arange(batch), second] = 1.0
    return torch.stack([values, marks], dim=-1), (values * marks).sum(dim=1)


def profile(layer, readout, x, y, cell_path_only=False):
    """||dL/dh_t|| / ||dL/dh_T|| for t = 1..T (and the same for c, LSTM), one backward pass."""
    hs, cs = unroll(layer, x, cell_path_only)
    loss = 0.5 * ((readout(hs[-1])[:, 0] - y) ** 2).mean()
    states = {"h": hs, "c": cs} if cs else {"h": hs}
    if cell_path_only:  # h_1..h_{T-1} were only used detached: they are not in the graph
        del states["h"]
    grads = torch.autograd.grad(loss, [s for seq in states.values() for s in seq])
    norms = torch.stack([g.norm() for g in grads]).reshape(len(states), x.shape[1])
    return {name: (row / row[-1]).detach().numpy() for name, row in zip(states, norms, strict=True)}


x, y = adding_batch(seed=1, T=T)
at_init = {kind: profile(*make(kind), x, y) for kind in ("tanh RNN", "LSTM", "GRU")}

fig, ax = plt.subplots(figsize=(6.4, 3.6))
steps = np.arange(1, T + 1)
for kind, found in at_init.items():
    for state, ratio in found.items():
        ax.semilogy(steps, ratio, label=f"{kind}: ‖∂L/∂{state}ₜ‖")
ax.axhline(VANISHING, color="0.5", lw=0.8, ls=":")
ax.set_xlabel(f"time step t (the loss reads h at t = {T})")
ax.set_ylabel("share of the last step's gradient")
ax.set_title("At initialisation, on adding-problem inputs")
ax.legend(fontsize="small")
plt.show()

for kind, found in at_init.items():
    for state, ratio in found.items():
        print(f"{kind:8s} ||dL/d{state}_1|| / ||dL/d{state}_{T}|| = {ratio[0]:.1e}")
assert all(ratio[0] < VANISHING for found in at_init.values() for ratio in found.values())
lstm_largest = max(ratio[0] for ratio in at_init["LSTM"].values())
assert lstm_largest < min(at_init["tanh RNN"]["h"][0], at_init["GRU"]["h"][0])

# %% [markdown]
# At initialisation the gates buy nothing: all four curves fall in nearly straight lines on
# the log scale, and by step 1 every one is far below the dotted $10^{-3}$ line. The
# LSTM's gradients fall at least as fast as the others because its forget gates start near
# $\sigma(0) = 1/2$ (PyTorch draws the biases near 0), and along the cell the gradient is
# multiplied by $\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)$ at every step.
# What the gates offer is a path that training *can* open. The exercises open it by hand.

# %% [markdown]
# ## Try it 1: the forget-gate bias
#
# Repeat the LSTM measurement with $T = 100$ and the effective forget-gate bias $b_f$
# (the f slice of `bias_ih_l0 + bias_hh_l0`) set to $-3$, to 1 and to 3, beside PyTorch's
# default. For each, how many steps back does $\lVert \partial L/\partial c_t \rVert$ stay
# above $10^{-3}$ of its value at $T$? Predict the order before you run it.

# %% tags=["solution"]
T_LONG = 100
x_long, y_long = adding_batch(seed=2, T=T_LONG)


def set_forget_bias(lstm, value):
    """Effective forget bias = value: the f rows of bias_ih, with bias_hh's f rows zeroed."""
    H = lstm.hidden_size
    with torch.no_grad():
        lstm.bias_ih_l0[H : 2 * H] = value
        lstm.bias_hh_l0[H : 2 * H] = 0.0


def reach(ratio, threshold=VANISHING):
    """How many steps back from T the ratio stays at or above threshold."""
    below = np.flatnonzero(ratio[::-1] < threshold)
    return int(below[0]) if below.size else len(ratio)


reaches, cell_profiles = {}, {}
for label, bias in {"b_f = -3": -3.0, "default": None, "b_f = 1": 1.0, "b_f = 3": 3.0}.items():
    lstm, readout = make("LSTM")
    if bias is not None:
        set_forget_bias(lstm, bias)
    cell_profiles[label] = profile(lstm, readout, x_long, y_long)["c"]
    reaches[label] = reach(cell_profiles[label])
    print(
        f"{label:9s} ||dL/dc_1|| / ||dL/dc_100|| = {cell_profiles[label][0]:8.1e}"
        f"   above 1e-3 for {reaches[label]:3d} steps back"
    )

fig, ax = plt.subplots(figsize=(6.4, 3.4))
for label, ratio in cell_profiles.items():
    ax.semilogy(np.arange(1, T_LONG + 1), ratio, label=label)
ax.axhline(VANISHING, color="0.5", lw=0.8, ls=":")
ax.set_xlabel("time step t (the loss reads h at t = 100)")
ax.set_ylabel("‖∂L/∂cₜ‖ / ‖∂L/∂c₁₀₀‖")
ax.set_ylim(1e-30, 1e3)  # b_f = -3 leaves the chart: it keeps falling, to about 1e-72
ax.set_title("LSTM at initialisation, four forget-gate biases")
ax.legend(fontsize="small")
plt.show()
# The larger the bias, the more open the forget gates (sigma(3) = 0.95, sigma(-3) = 0.05),
# and the further back the gradient reaches: the cell path multiplies by f_t per step.
# With b_f = -3 the cell forgets almost everything each step and the gradient is gone
# within a few steps; with b_f = 3 it reaches the start of the sequence undiminished, in
# fact slightly grown: the paths through h_t add to the cell path, and nothing bounds them.
ordered = list(reaches.values())
assert ordered == sorted(ordered) and len(set(ordered)) == len(ordered)  # strictly increasing
assert reaches["b_f = -3"] < 10 and reaches["b_f = 3"] == T_LONG
assert cell_profiles["b_f = -3"][0] < 1e-3 * cell_profiles["default"][0]

# %% [markdown]
# ## Try it 2: a forget gate of 0.9, and the cell path still vanishes
#
# "The cell state lets gradients flow, so LSTMs solve the vanishing gradient problem" is an
# overstatement. Build a counter-example: an LSTM whose forget gate is **exactly** 0.9 at
# every step and unit (zero the f rows of both weight matrices and set the bias to
# $\ln(0.9/0.1)$).
#
# 1. Measure $\lVert \partial L/\partial c_t \rVert$ along the cell path only
#    (`profile(..., cell_path_only=True)` feeds the gates a detached $h_{t-1}$) and compare
#    it with $0.9^{T-t}$. Is the step-1 share above or below $10^{-3}$?
# 2. Now measure with every path. Where does the difference come from? Zero the whole
#    `weight_hh_l0`, so that the cell is the only thing that connects one step to the next,
#    and measure again.
# 3. How open must a gate be to lose no more than a factor $e$ over 100 steps, and what is
#    its sigmoid slope $f(1-f)$ then?

# %% tags=["solution"]
F = 0.9
predicted = F ** (T_LONG - np.arange(1, T_LONG + 1))


def fixed_forget_lstm(no_recurrent_weights=False):
    """Default LSTM whose forget gate is the constant F; optionally with W_hh = 0."""
    lstm, readout = make("LSTM")
    with torch.no_grad():
        lstm.weight_ih_l0[HIDDEN : 2 * HIDDEN] = 0.0  # f_t no longer depends on x_t ...
        lstm.weight_hh_l0[HIDDEN : 2 * HIDDEN] = 0.0  # ... or on h_{t-1}
        if no_recurrent_weights:
            lstm.weight_hh_l0.zero_()  # no gate reads h_{t-1}: only c links the steps
    set_forget_bias(lstm, math.log(F / (1 - F)))
    return lstm, readout


cell_only = profile(*fixed_forget_lstm(), x_long, y_long, cell_path_only=True)["c"]
every_path = profile(*fixed_forget_lstm(), x_long, y_long)["c"]
only_cell_links = profile(*fixed_forget_lstm(no_recurrent_weights=True), x_long, y_long)["c"]
print(f"0.9^99 = {predicted[0]:.3e}")
print(f"cell path only:            {cell_only[0]:.3e}")
print(f"every path:                {every_path[0]:.3e}")
print(f"every path, W_hh = 0:      {only_cell_links[0]:.3e}")
f_needed = math.exp(-1 / T_LONG)
print(
    f"keeping 1/e over {T_LONG} steps needs f >= {f_needed:.4f}: bias "
    f"{math.log(f_needed / (1 - f_needed)):.2f}, slope f(1 - f) = {f_needed * (1 - f_needed):.4f}"
)
# Along the cell the Jacobian is diag(f_t) = 0.9 I, so the gradient shrinks by exactly 0.9
# per step back: 0.9^99 is about 3e-5, below the vanishing line. With every path the share
# at step 1 is thousands of times larger, but not thanks to the cell: it travels through
# h_{t-1} and the gates' recurrent matrices, products of matrices and slopes like a
# vanilla RNN's, which nothing bounds (with b_f = 3 in Try it 1 they made it grow).
# Remove those paths (W_hh = 0) and the whole LSTM decays as 0.9^(T-t), exactly.
# An additive cell stops the decay only if f = 1; a gate open enough for 100 steps sits
# where the sigmoid is flat, about 25 times less steep than at f = 1/2, so it learns slowly.
assert np.allclose(cell_only, predicted, rtol=1e-10, atol=0) and cell_only[0] < VANISHING
assert np.allclose(only_cell_links, predicted, rtol=1e-10, atol=0)
assert every_path[0] > 1e3 * cell_only[0]
assert f_needed * (1 - f_needed) < 0.25 / 20

# %% [markdown]
# ## Try it 3: a GRU with its update gate pinned
#
# In a GRU, holding the gates fixed, $\partial h_t / \partial h_{t-1} = \operatorname{diag}(u_t)$
# plus terms scaled by $1 - u_t$. Pin the update gate: zero the u rows of both weight
# matrices and set its effective bias to $+8$ (so $u_t = \sigma(8) \approx 0.9997$), then to
# $-8$ ($u_t \approx 0.0003$). With $T = 100$, what share of the last step's gradient
# reaches $h_1$ in each case? What does the first GRU do with its input (look at
# $\lvert h_T \rvert$)? And what is the second one? Hint: also pin the reset gate to 1 and
# compare with an `nn.RNN` built from the candidate's weights.


# %% tags=["solution"]
def pin_gate(gru, gate, bias):
    """Make GRU gate 'r' or 'u' a constant sigma(bias): zero its weights, set its bias."""
    rows = slice(HIDDEN * "ru".index(gate), HIDDEN * ("ru".index(gate) + 1))
    with torch.no_grad():
        gru.weight_ih_l0[rows] = 0.0
        gru.weight_hh_l0[rows] = 0.0
        gru.bias_ih_l0[rows] = bias
        gru.bias_hh_l0[rows] = 0.0


ratios, last_state = {}, {}
for bias in (8.0, -8.0):
    gru, readout = make("GRU")
    pin_gate(gru, "u", bias)
    ratios[bias] = profile(gru, readout, x_long, y_long)["h"][0]
    last_state[bias] = unroll(gru, x_long)[0][-1].abs().max().item()
    print(
        f"u = sigma({bias:+.0f}) = {1 / (1 + math.exp(-bias)):.4f}: ||dL/dh_1|| / ||dL/dh_100||"
        f" = {ratios[bias]:.2e},  largest |h_100| = {last_state[bias]:.3f}"
    )

# u = 0 and r = 1 make h_hat_t = tanh(W_x x + b_x + W_h h + b_h) (the candidate's weights)
# and h_t = h_hat_t: a tanh RNN.
gru, _ = make("GRU")
pin_gate(gru, "u", -40.0)
pin_gate(gru, "r", 40.0)
rnn, _ = make("tanh RNN")
with torch.no_grad():
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        getattr(rnn, name).copy_(getattr(gru, name)[2 * HIDDEN :])  # the candidate's rows
gap = (gru(x_long)[0] - rnn(x_long)[0]).abs().max().item()
print(f"GRU with u = 0, r = 1 against nn.RNN with the candidate's weights: {gap:.1e}")
plain = profile(*make("tanh RNN"), x_long, y_long)["h"][0]
print(f"for comparison, the default tanh RNN: ||dL/dh_1|| / ||dL/dh_100|| = {plain:.2e}")
# u near 1 copies the state forward: the Jacobian is almost the identity and nearly all of
# the gradient reaches step 1 (about sigma(8)^99 = 0.97). But the same gate lets almost
# nothing in: each step writes 1 - u = 0.0003 of the candidate, so h_100 stays near 0.
# A gate pinned open is a perfect memory of nothing; useful keeping must depend on the
# input. u near 0 overwrites the state at every step, h_t = h_hat_t: with r = 1 too the GRU
# IS a tanh RNN (the two agree to rounding). With r free near 1/2, the reset gate halves the
# candidate's recurrent matrix, and the gradient vanishes even faster than the plain RNN's.
assert ratios[8.0] > 0.9 and last_state[8.0] < 0.05
assert ratios[-8.0] < plain < VANISHING and last_state[-8.0] > 10 * last_state[8.0]
assert gap < 1e-12

# %% [markdown]
# ## Try it 4: the parameter bill
#
# Count the parameters of `nn.RNN`, `nn.GRU` and `nn.LSTM` with 2 inputs and 32 hidden
# units, and explain the ratios from the equations. Then turn the comparison around: with
# the LSTM's parameter budget, how wide can a GRU and a tanh RNN be?


# %% tags=["solution"]
def count(module):
    return sum(p.numel() for p in module.parameters())


layers = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}
counts = {name: count(layer(INPUTS, HIDDEN)) for name, layer in layers.items()}
per_block = HIDDEN * INPUTS + HIDDEN * HIDDEN + 2 * HIDDEN  # W_x, W_h, b_ih, b_hh of one block
print("parameters at H = 32:", counts, f"  one block: {per_block}")

budget = counts["LSTM"]
widths = {}
for name, layer in layers.items():
    H = 1
    while count(layer(INPUTS, H + 1)) <= budget:
        H += 1
    widths[name] = H
print(f"widest layer within {budget} parameters:", widths)
# Each block (the RNN's one map, each gate or candidate of the others) has its own W_x, W_h
# and two bias vectors, so the GRU (r, u, h_hat) costs exactly 3 blocks and the LSTM (i, f, g, o)
# 4. Parameters grow like H^2, so at equal budget a tanh RNN gets about sqrt(4) = 2 times
# the LSTM's width and a GRU about sqrt(4/3) = 1.15 times: compare at equal parameter
# counts, not equal widths.
assert counts == {"RNN": per_block, "GRU": 3 * per_block, "LSTM": 4 * per_block}
assert widths["LSTM"] == HIDDEN and 1.9 < widths["RNN"] / HIDDEN < 2.1
assert 1.1 < widths["GRU"] / HIDDEN < 1.2
