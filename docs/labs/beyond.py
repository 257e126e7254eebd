# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Lab: beyond recurrence
#
# This notebook goes with the chapter [Beyond recurrence](../../../beyond/). It measures
# how strongly the first input of a sequence still moves the output,
# $\lVert \partial y / \partial x_1 \rVert$, for a tanh RNN that reads out its last state
# and for a one-layer attention read-out that looks at every position at once. The
# exercises then count the length of the gradient path in each model's autograd graph,
# switch attention's reach off with a mask, price attention in floating-point operations,
# and give the RNN an identity path of its own. You need PyTorch and matplotlib; the
# notebook runs in a few seconds on one CPU thread.
#
# Every exercise has a worked solution below it, folded away. Try first, then open it.

# %% [markdown]
# ## Two ways to reach the first input
#
# The recurrent network updates one state per step and reads out the last one,
#
# $$
# h_t = \tanh(W_{hh} h_{t-1} + b_h + W_{xh} x_t), \qquad h_0 = 0, \qquad y = w_y^\top h_T ,
# $$
#
# so $x_1$ reaches $y$ only through $h_1 \to h_2 \to \dots \to h_T$, and the chain rule
# multiplies $T - 1$ Jacobians $\operatorname{diag}(\tanh'(z_t))\, W_{hh}$ together.
# The attention read-out adds a position code $p_k$ to each input, takes its query from the
# last position and averages the values of all positions $k$ with weights $\alpha_{T,k}$:
#
# $$
# \tilde x_k = x_k + p_k, \quad q = W_Q \tilde x_T, \quad v_k = W_V \tilde x_k, \quad
# \ell_k = \frac{q^\top W_K \tilde x_k}{\sqrt D} + \beta\, x_{k,0}, \quad
# \alpha_{T,k} = \frac{e^{\ell_k}}{\sum_\tau e^{\ell_\tau}}, \quad
# y = w_y^\top \sum_{k=1}^{T} \alpha_{T,k} v_k ,
# $$
#
# with the symbols of the site's notation page ($\tilde x_k$ the embedded input, $\ell_k$
# the scores). The inputs have $D = 8$ channels and the RNN has $H = 32$ units, at
# PyTorch's default initialisation. Channel 0 of every input, $x_{k,0}$, marks position 1:
# it is 1 there and 0 elsewhere; the other channels are drawn from $\mathcal N(0, 1)$. With
# $\beta = 0$ the scores ignore the mark (**diffuse**); with $\beta = 8$ position 1 gets a
# large score bonus, standing in for a read-out that has *learned* where to look
# (**sharp**). For $T > 1$ the input $x_1$ enters only through the score $\ell_1$ and the
# value $v_1$: one step from the output, whatever $T$ is. Everything below runs in float64, because the RNN's gradient soon drops
# below the smallest float32.

# %%
import itertools
import math
from collections import deque

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

torch.set_num_threads(1)  # small models run fastest on one thread, and runs repeat exactly
torch.set_default_dtype(torch.float64)

D, HIDDEN, BATCH = 8, 32, 32  # input size D (channel 0 marks position 1), RNN units H, batch
LENGTHS = (1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200)
SHARP = 8.0  # beta for the sharp read-out


def sequences(T, seed=0):
    """BATCH random sequences as a list of T inputs x_t of shape (BATCH, D); x_1 is marked."""
    x = torch.randn(BATCH, T, D, generator=torch.Generator().manual_seed(seed))
    x[..., 0] = 0.0
    x[:, 0, 0] = 1.0
    return [x[:, t].clone() for t in range(T)]  # each x_t its own tensor (see Try it 1)


def position_codes(T):
    """Sinusoidal codes of Vaswani et al. (2017): p_t[2i] = sin(t r_i), p_t[2i+1] = cos(t r_i)."""
    t = torch.arange(T)[:, None]
    rates = 10000.0 ** (-torch.arange(0, D, 2) / D)
    p = torch.zeros(T, D)
    p[:, 0::2], p[:, 1::2] = torch.sin(t * rates), torch.cos(t * rates)
    return p


class RNNReadout(nn.Module):
    """y = w_y^T h_T for a tanh RNN cell at PyTorch's default initialisation."""

    def __init__(self, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.cell, self.w_y = nn.RNNCell(D, HIDDEN), nn.Linear(HIDDEN, 1)

    def forward(self, xs):
        h = torch.zeros(xs[0].shape[0], HIDDEN)
        for x_t in xs:  # one state update per step: T steps in a row
            h = self.cell(x_t, h)
        return self.w_y(h)[:, 0]


class AttentionReadout(nn.Module):
    """y = w_y^T sum_k alpha_k v_k, alpha = softmax(scores) over all T positions: one step away."""

    def __init__(self, bonus=0.0, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        W_Q, W_K, W_V = (torch.randn(D, D, generator=g) / D**0.5 for _ in range(3))
        self.W_Q, self.W_K, self.W_V = nn.Parameter(W_Q), nn.Parameter(W_K), nn.Parameter(W_V)
        self.w_y = nn.Parameter(torch.randn(D, generator=g) / D**0.5)
        self.bonus = bonus

    def embed(self, xs):
        """x (batch, T, D) and the embedded input x_tilde = x + p."""
        x = torch.stack(xs, dim=1)
        return x, x + position_codes(x.shape[1])

    def scores(self, xs):
        """l_k = q^T W_K x_tilde_k / sqrt(D) + beta x_k[0], shape (batch, T)."""
        x, x_tilde = self.embed(xs)
        q = x_tilde[:, -1] @ self.W_Q.T  # the query comes from the last position
        keys = x_tilde @ self.W_K.T
        return (keys @ q[:, :, None])[..., 0] / D**0.5 + self.bonus * x[..., 0]

    def weights(self, xs):
        return torch.softmax(self.scores(xs), dim=1)

    def forward(self, xs):
        _, x_tilde = self.embed(xs)
        v = x_tilde @ self.W_V.T
        return (self.weights(xs)[:, :, None] * v).sum(dim=1) @ self.w_y


def first_input_influence(model, xs):
    """Mean over the batch of ||dy/dx_1||, from one backward pass."""
    xs = [x_t.clone().requires_grad_(True) for x_t in xs]
    (grad,) = torch.autograd.grad(model(xs).sum(), xs[0])  # the sequences are independent
    return grad.norm(dim=1).mean().item()


MODELS = {
    "tanh RNN": RNNReadout(),
    "attention, diffuse": AttentionReadout(),
    "attention, sharp": AttentionReadout(bonus=SHARP),
}
found = {
    name: [first_input_influence(model, sequences(T)) for T in LENGTHS]
    for name, model in MODELS.items()
}

print(f"||dy/dx_1||, mean over {BATCH} sequences")
print("    T" + "".join(f"{name:>20s}" for name in found))
for T in (1, 10, 50, 100, 200):
    i = LENGTHS.index(T)
    print(f"{T:5d}" + "".join(f"{found[name][i]:20.2e}" for name in found))
rnn = found["tanh RNN"]
per_step = (rnn[LENGTHS.index(200)] / rnn[LENGTHS.index(100)]) ** (1 / 100)
diffuse = found["attention, diffuse"]
slope = math.log(diffuse[LENGTHS.index(200)] / diffuse[LENGTHS.index(10)]) / math.log(200 / 10)
print(f"\ntanh RNN: x{per_step:.3f} per extra step (T = 100 to 200)")
print(f"diffuse attention: ||dy/dx_1|| ~ T^{slope:.2f} (T = 10 to 200)")
for T in (10, 200):
    alpha_1 = MODELS["attention, sharp"].weights(sequences(T))[:, 0].mean().item()
    print(f"sharp attention: weight alpha_T,1 on position 1 at T = {T}: {alpha_1:.3f}")
assert per_step < 0.8 and rnn[-1] < 1e-30  # geometric decay
assert -1.3 < slope < -0.7  # about 1/T: the softmax spreads its weight
assert min(found["attention, sharp"]) > 0.3  # a learned focus holds at every T


def plot_influence(curves, title):
    """||dy/dx_1|| against T: linear T on the left, log-log on the right."""
    _, (left, right) = plt.subplots(1, 2, figsize=(8.0, 3.3))
    for name, values in curves.items():
        left.semilogy(LENGTHS, values, "o-", ms=3, label=name)
        right.loglog(LENGTHS, values, "o-", ms=3)
    right.loglog(LENGTHS, [diffuse[0] / T for T in LENGTHS], color="0.6", lw=1, label="∝ 1/T")
    left.set_xlabel("sequence length T")
    right.set_xlabel("sequence length T (log scale)")
    left.set_ylabel("‖∂y/∂x₁‖ (log scale)")
    right.set_ylim(1e-4, 1e3)
    left.set_title(title, fontsize="medium")
    right.set_title("zoom on the top: log–log", fontsize="medium")
    left.legend(fontsize="small")
    right.legend(fontsize="small")
    plt.show()


plot_influence(found, "RNN against attention")

# %% [markdown]
# The RNN's influence shrinks by roughly the same factor at every step, a straight line on
# the left panel, and at $T = 200$ it is dozens of orders of magnitude gone. The attention
# read-outs never leave the top of the plot. On the right, the diffuse one falls about like
# $1/T$, the grey line: its path has length one, but the softmax spreads the weight over all
# $T$ positions, so $\alpha_{T,1} \approx 1/T$. The sharp one stays near 1 because its score
# margin keeps $\alpha_{T,1}$ large; a fixed margin is still slowly diluted (compare
# $\alpha_{T,1}$ at $T = 10$ and $T = 200$), as the chapter's formula predicts.

# %% [markdown]
# ## Try it 1: how long is the path?
#
# "Path length one" is a claim about the computation graph, so count it. Autograd stores
# the graph: `y.grad_fn` is the node that produced $y$, `node.next_functions` lists the
# nodes that produced its inputs, and a leaf tensor `x` that requires a gradient ends in an
# `AccumulateGrad` node whose `.variable` is `x`. Write a breadth-first search that returns
# the shortest chain of nodes from `y.grad_fn` to the leaf $x_1$, and print its length for
# both models at $T = 2, \dots, 8$ (one sequence is enough). How does each length depend
# on $T$? Print the node names along the RNN's path for $T = 3$ and find one step of the
# recurrence in it.
#
# (This is why `sequences` hands out a list of separate tensors. Given one big
# `(batch, T, D)` leaf instead, $x_1$ would not be a node of its own: every $x_t$ leads to
# that same leaf, and the search would stop at whichever $x_t$ is closest to $y$.)


# %% tags=["solution"]
def shortest_path(y, leaf):
    """Names of the autograd nodes on a shortest chain from y.grad_fn to leaf's AccumulateGrad."""
    start = y.grad_fn
    queue, came_from = deque([start]), {start: None}
    while queue:
        node = queue.popleft()
        if getattr(node, "variable", None) is leaf:
            names = []
            while node is not None:
                names.append(type(node).__name__)
                node = came_from[node]
            return names[::-1]
        for parent, _ in node.next_functions:
            if parent is not None and parent not in came_from:
                came_from[parent] = node
                queue.append(parent)
    return None  # y does not depend on leaf


def path_length(model, T):
    xs = [x_t[:1].requires_grad_(True) for x_t in sequences(T)]
    return len(shortest_path(model(xs), xs[0]))


Ts = range(2, 9)
lengths = {
    name: [path_length(MODELS[name], T) for T in Ts] for name in ("tanh RNN", "attention, sharp")
}
for name, values in lengths.items():
    print(f"{name:18s} nodes on the shortest path, T = 2..8: {values}")
xs = [x_t[:1].requires_grad_(True) for x_t in sequences(3)]
print("RNN path, T = 3:", " <- ".join(shortest_path(MODELS["tanh RNN"](xs), xs[0])))
# The RNN's path gets longer by the same number of nodes for every extra step: the nodes of
# one state update (the matrix product with W_hh, the addition, the tanh). Every one of
# those steps multiplies the gradient by a Jacobian. The attention path has the same
# length at every T: x_1 is stacked with the other inputs and goes straight into k_1 and v_1.
rnn_steps = [b - a for a, b in itertools.pairwise(lengths["tanh RNN"])]
assert len(set(rnn_steps)) == 1 and rnn_steps[0] >= 1
assert len(set(lengths["attention, sharp"])) == 1
assert lengths["attention, sharp"][0] < lengths["tanh RNN"][-1]

# %% [markdown]
# ## Try it 2: switch the reach off
#
# One step from every input does not mean every input is used. The softmax weight
# $\alpha_{T,1}$ multiplies the whole gradient, and the scores decide it.
#
# 1. Give position 1 a *negative* bonus, $\beta = -4, -8, -16$ (a read-out that has learned
#    to avoid it), and measure $\lVert \partial y/\partial x_1 \rVert$ at $T = 20$.
# 2. Mask position 1: set its score to $-\infty$ before the softmax (subclass
#    `AttentionReadout` and override `scores`). What is the gradient now? Does $y$ change
#    if you replace $x_1$ by something else entirely?
#
# What does this say about the claim that attention "solves" long-range dependencies?


# %% tags=["solution"]
class BlindToFirst(AttentionReadout):
    """The diffuse read-out with position 1 masked out of the softmax."""

    def scores(self, xs):
        scores = super().scores(xs)
        first = torch.zeros_like(scores, dtype=torch.bool)
        first[:, 0] = True
        return scores.masked_fill(first, -math.inf)


xs = sequences(20)
avoid, weight = {}, {}
for beta in (0, -4, -8, -16):
    avoid[beta] = first_input_influence(AttentionReadout(bonus=beta), xs)
    weight[beta] = AttentionReadout(bonus=beta).weights(xs)[:, 0].mean().item()
    print(f"beta = {beta:4d}: alpha_T,1 = {weight[beta]:.2e}   ||dy/dx_1|| = {avoid[beta]:.2e}")
blind = BlindToFirst()
masked = first_input_influence(blind, xs)
print(f"masked:      ||dy/dx_1|| = {masked}")
other = [torch.randn(BATCH, D, generator=torch.Generator().manual_seed(5)) * 100, *xs[1:]]
with torch.no_grad():
    unchanged = torch.equal(blind(xs), blind(other))
print(f"y unchanged, bit for bit, when x_1 is replaced: {unchanged}")
# The gradient falls with the weight alpha_T,1: once it is small, each extra -4 on the score
# divides it by about e^4 = 55 (the gradient a little less, since beta also multiplies the
# marker channel's own derivative). The mask sets alpha_T,1 = exp(-inf) = 0 exactly: the path of
# length one is still in the graph, but nothing flows along it, and x_1 has no effect on y
# at all. Attention makes every input reachable; the scores, which training must learn,
# decide which inputs are actually reached.
for values in (list(weight.values()), list(avoid.values())):
    assert all(later < 0.1 * earlier for earlier, later in itertools.pairwise(values))
assert masked == 0.0 and unchanged

# %% [markdown]
# ## Try it 3: what attention pays
#
# The read-out above asks one question (one query) of $T$ keys. A self-attention *layer*
# lets every position ask its own, and with a causal mask position $t$ sees positions
# $1, \dots, t$. Write that layer with the read-out's matrices: with the embedded inputs as
# the rows of $\tilde X$, queries $\tilde X W_Q^\top$, keys $\tilde X W_K^\top$ and values
# $\tilde X W_V^\top$, scores (queries)(keys)$^\top / \sqrt D$ with the upper triangle set to
# $-\infty$, output $\operatorname{softmax}(\cdot)$ (values). For $T = 16, 32, \dots, 512$ and
# one sequence:
#
# 1. count the finite score entries;
# 2. count the floating-point operations of the matrix products with
#    `torch.utils.flop_counter.FlopCounterMode` for the layer, for the one-query read-out
#    and for the RNN, and fit the log–log slope of each between $T = 256$ and $512$.
#
# At which $T$ does the layer start to cost more than the RNN?


# %% tags=["solution"]
def causal_self_attention(model, xs):
    """Every position t attends to positions 1..t: (batch, T, D) outputs, and the scores."""
    _, x_tilde = model.embed(xs)
    queries, keys = x_tilde @ model.W_Q.T, x_tilde @ model.W_K.T
    values = x_tilde @ model.W_V.T
    T = x_tilde.shape[1]
    future = torch.ones(T, T, dtype=torch.bool).triu(diagonal=1)
    scores = (queries @ keys.transpose(1, 2) / D**0.5).masked_fill(future, -math.inf)
    return torch.softmax(scores, dim=-1) @ values, scores


def flops(fn):
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        fn()
    return counter.get_total_flops()


layer = AttentionReadout()
COST_T = (16, 32, 64, 128, 256, 512)
cost = {"self-attention layer": [], "one-query read-out": [], "tanh RNN": []}
entries = []
for T in COST_T:
    xs = [x_t[:1] for x_t in sequences(T)]
    entries.append(torch.isfinite(causal_self_attention(layer, xs)[1]).sum().item())
    cost["self-attention layer"].append(flops(lambda xs=xs: causal_self_attention(layer, xs)))
    cost["one-query read-out"].append(flops(lambda xs=xs: layer(xs)))
    cost["tanh RNN"].append(flops(lambda xs=xs: MODELS["tanh RNN"](xs)))
print("    T   score entries" + "".join(f"{name:>22s}" for name in cost))
for i, T in enumerate(COST_T):
    print(f"{T:5d}{entries[i]:16d}" + "".join(f"{cost[name][i]:22,d}" for name in cost))
slopes = {name: math.log2(values[-1] / values[-2]) for name, values in cost.items()}
print("log-log slope, T = 256 to 512:", {name: round(s, 3) for name, s in slopes.items()})
layer_dearer = [
    T
    for T, a, r in zip(COST_T, cost["self-attention layer"], cost["tanh RNN"], strict=True)
    if a > r
]
print(f"the layer first costs more than the RNN at T = {layer_dearer[0]} (of the lengths tried)")
# T(T+1)/2 score entries, and work that quadruples when T doubles: slope close to 2. The
# RNN does the same 2(H^2 + H D) flops at every step, slope 1, and so does the one-query
# read-out: T is only squared when every position asks its own question. The layer's two
# T x T products cost about 4 D T^2 flops, so it overtakes the RNN near
# T = (H^2 + H D) / (2 D) = 80 (a little earlier, since its projections cost 6 D^2 T).
assert entries == [T * (T + 1) // 2 for T in COST_T]
assert slopes["self-attention layer"] > 1.9
assert abs(slopes["tanh RNN"] - 1) < 0.01 and abs(slopes["one-query read-out"] - 1) < 0.01
assert layer_dearer == [T for T in COST_T if T >= 128]  # crossover between 64 and 128

# %% [markdown]
# ## Try it 4: give the RNN an identity path
#
# Residual connections keep gradients alive in deep transformers. Try one in time: change
# the update to
#
# $$
# h_t = h_{t-1} + \tanh(W_{hh} h_{t-1} + b_h + W_{xh} x_t),
# $$
#
# whose Jacobian is $I + \operatorname{diag}(\tanh'(z_t))\, W_{hh}$ instead of
# $\operatorname{diag}(\tanh'(z_t))\, W_{hh}$. Keep the weights of the demo's RNN. Measure
# $\lVert \partial y/\partial x_1 \rVert$ for the same lengths, add it to the plot, and
# compute the factor per extra step between $T = 100$ and $200$. Then count its shortest
# path with Try it 1's function. Has the path become shorter?


# %% tags=["solution"]
class ResidualRNNReadout(RNNReadout):
    """h_t = h_{t-1} + tanh(W_hh h_{t-1} + b_h + W_xh x_t); same initial weights as RNNReadout."""

    def forward(self, xs):
        h = torch.zeros(xs[0].shape[0], HIDDEN)
        for x_t in xs:
            h = h + self.cell(x_t, h)  # the identity carries h_{t-1} over unchanged
        return self.w_y(h)[:, 0]


residual = ResidualRNNReadout()
found_res = [first_input_influence(residual, sequences(T)) for T in LENGTHS]
per_step_res = (found_res[LENGTHS.index(200)] / found_res[LENGTHS.index(100)]) ** (1 / 100)
res_lengths = [path_length(residual, T) for T in Ts]
print(f"||dy/dx_1|| at T = 200: residual {found_res[-1]:.2e}, plain {rnn[-1]:.2e}")
print(f"factor per extra step (T = 100 to 200): residual {per_step_res:.3f}, plain {per_step:.3f}")
print(f"residual RNN, nodes on the shortest path, T = 2..8: {res_lengths}")
with torch.no_grad():
    h = torch.zeros(BATCH, HIDDEN)
    for x_t in sequences(200):
        update = residual.cell(x_t, h)  # tanh(z_t)
        h = h + update
state_norm, last_slope = h.norm(dim=1).mean().item(), (1 - update**2).mean().item()
print(f"at T = 200: mean ||h_T|| = {state_norm:.0f}, mean tanh'(z_T) = {last_slope:.3f}")
plot_influence({**found, "residual RNN": found_res}, "with an identity path")
# The identity path turns each step's factor from about one half into about 1, and the
# first input's influence no longer vanishes; here it even grows. Nothing bounds
# ||I + diag(tanh') W_hh||, so early steps can stretch the gradient. What keeps the growth
# slow is the state: the identity adds up the updates, h_T reaches hundreds, the tanh
# saturates (the last line), diag(tanh') W_hh shrinks and each factor tends to I. But the
# path still gets longer with every step, by a single addition node now: the gradient
# still crosses T steps. The residual changed the factors, not the length; attention
# changed the length.
assert found_res[-1] > 1e-2 > 1e30 * rnn[-1]
assert 0.98 < per_step_res < 1.05 and per_step < 0.8
assert state_norm > 100 and last_slope < 0.1
res_steps = [b - a for a, b in itertools.pairwise(res_lengths)]
assert len(set(res_steps)) == 1 and res_steps[0] >= 1
